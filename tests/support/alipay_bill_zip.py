"""Alipay's day bill as its download host serves it: a zip of GBK CSVs (detail and summary)."""

import io
import zipfile
from datetime import datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
DETAIL = (
    "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,"
    "对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,"
    "商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,"
    "退款批次号/请求号,服务费（元）,分润（元）,备注"
)
RULE = "#" + "-" * 41


def _at(when: datetime) -> str:
    return when.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


def _row(trade_no, out_trade_no, kind, at, fen, request_no) -> str:
    amount = ("-" if fen < 0 else "") + f"{abs(fen) // 100}.{abs(fen) % 100:02d}"
    zeros = ["0.00"] * 5
    cells = [trade_no, out_trade_no, kind, "小时达订单", _at(at), _at(at), "", "", "", ""]
    cells += ["buyer@example.com", amount, amount, *zeros, "", "0.00", "0.00", request_no]
    cells += ["0.00", "0.00", ""]
    return ",".join(f"{cell}\t" for cell in cells)  # Alipay pads its cells with a tab


def bill_zip(appid: str, day: str, rows: list[tuple]) -> bytes:
    """The zip of `day`'s rows (trade_no, out_trade_no, 交易/退款, at, fen, request_no)."""
    lines = ["#支付宝业务明细查询", f"#账号：[{appid}]", RULE + "业务明细列表" + RULE[1:], DETAIL]
    lines += [_row(*row) for row in rows if _at(row[3]).startswith(day)]
    lines += [RULE + "业务明细列表结束" + RULE[1:], "#导出时间：[2026年12月07日 10:00:00]"]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as bundle:
        bundle.writestr(f"{appid}_{day}_业务明细.csv", "\r\n".join(lines).encode("gbk"))
        summary = "门店编号,门店名称,交易订单总笔数\r\n".encode("gbk")
        bundle.writestr(f"{appid}_{day}_业务明细(汇总).csv", summary)
    return out.getvalue()
