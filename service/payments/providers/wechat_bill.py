"""WeChat Pay's trade bill (交易账单) CSV layout: written by the sandbox, read for every provider
whose statement comes in it. Every value is prefixed with a backtick; a summary follows the rows."""

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from service.payments.providers.base import StatementLine

CHINA = ZoneInfo("Asia/Shanghai")
HEADER = [
    "交易时间",
    "公众账号ID",
    "商户号",
    "特约商户号",
    "设备号",
    "微信订单号",
    "商户订单号",
    "用户标识",
    "交易类型",
    "交易状态",
    "付款银行",
    "货币种类",
    "应结订单金额",
    "代金券金额",
    "微信退款单号",
    "商户退款单号",
    "退款金额",
    "充值券退款金额",
    "退款类型",
    "退款状态",
    "商品名称",
    "商户数据包",
    "手续费",
    "费率",
    "订单金额",
    "申请退款金额",
    "费率备注",
]
SUMMARY = (
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
)


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _fen(text: str) -> int:
    whole, _, part = text.strip().partition(".")
    return int(whole or 0) * 100 + int((part + "00")[:2])


def write(merchant: str, lines: Iterable[StatementLine]) -> str:
    """The bill text of `lines` (payments as SUCCESS rows, refunds as REFUND rows)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    count = paid = refunded = 0
    for line in lines:
        refund = line.kind == "refund"
        at = (line.at or datetime.now(CHINA)).astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")
        row = [
            at,
            "wx-sandbox",
            merchant,
            "0",
            "",
            f"4200{line.out_trade_no}",
            line.out_trade_no,
            "",
            "JSAPI",
            "REFUND" if refund else "SUCCESS",
            "OTHERS",
            "CNY",
            "0.00" if refund else _yuan(line.amount_fen),
            "0.00",
            f"50{line.out_refund_no}" if refund else "0",
            line.out_refund_no or "0",
            _yuan(line.amount_fen) if refund else "0.00",
            "0.00",
            "ORIGINAL" if refund else "",
            "SUCCESS" if refund else "",
            "商品",
            "",
            "0.00",
            "0.60%",
            "0.00" if refund else _yuan(line.amount_fen),
            _yuan(line.amount_fen) if refund else "0.00",
            "",
        ]
        writer.writerow(["`" + value for value in row])
        count += 1
        paid += 0 if refund else line.amount_fen
        refunded += line.amount_fen if refund else 0
    writer.writerow(SUMMARY.split(","))
    totals = [
        str(count),
        _yuan(paid),
        _yuan(refunded),
        "0.00",
        "0.00",
        _yuan(paid),
        _yuan(refunded),
    ]
    writer.writerow(["`" + value for value in totals])
    return out.getvalue()


def parse(text: str) -> list[StatementLine]:
    """The statement lines of a bill text (the summary is skipped)."""
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(rows, None)
    if header is None:
        return []
    index = {name: n for n, name in enumerate(header)}
    lines = []
    for row in rows:
        if not row or row[0] == SUMMARY.split(",")[0]:
            break
        value = [cell.lstrip("`") for cell in row]
        at = datetime.strptime(value[index["交易时间"]], "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA)
        if value[index["交易状态"]] == "REFUND":
            lines.append(
                StatementLine(
                    "refund",
                    value[index["商户订单号"]],
                    _fen(value[index["退款金额"]]),
                    value[index["商户退款单号"]],
                    at,
                )
            )
        else:
            lines.append(
                StatementLine(
                    "payment",
                    value[index["商户订单号"]],
                    _fen(value[index["应结订单金额"]]),
                    "",
                    at,
                )
            )
    return lines
