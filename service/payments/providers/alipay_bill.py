"""Alipay's trade bill: a zip of GBK CSV files, of which the business detail (业务明细) is read.

The detail's rows sit between comment lines starting with `#`; cells are padded with tabs and
spaces; a refund is a row of business type 退款 with a negative amount and its request number.
"""

import csv
import io
import zipfile
from datetime import datetime
from zoneinfo import ZoneInfo

from service.payments.providers.base import StatementLine

CHINA = ZoneInfo("Asia/Shanghai")
FIRST = "支付宝交易号"  # the detail's header starts with it; the summary's does not
COLUMNS = ("商户订单号", "业务类型", "完成时间", "订单金额（元）", "退款批次号/请求号")


def _fen(text: str) -> int:
    whole, _, part = text.strip().lstrip("-").partition(".")
    return int(whole or 0) * 100 + int((part + "00")[:2])


def parse_zip(raw: bytes) -> list[StatementLine]:
    """The statement lines of the bill zip Alipay's download URL gives."""
    with zipfile.ZipFile(io.BytesIO(raw)) as bundle:
        for name in bundle.namelist():
            text = bundle.read(name).decode("gb18030")
            if any(line.startswith(FIRST) for line in text.splitlines()):
                return parse(text)
    raise ValueError("no business detail in the Alipay bill")


def parse(text: str) -> list[StatementLine]:
    """The statement lines of the business detail CSV text."""
    rows = [
        [cell.strip() for cell in row]
        for row in csv.reader(io.StringIO(text.lstrip("\ufeff")))
        if row and not row[0].startswith("#")
    ]
    if not rows:
        return []
    index = {name: n for n, name in enumerate(rows[0])}
    out_trade_no, kind, done, amount, request_no = (index[name] for name in COLUMNS)
    lines = []
    for row in rows[1:]:
        at = datetime.strptime(row[done], "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA)
        if row[kind] == "退款":
            line = StatementLine(
                "refund", row[out_trade_no], _fen(row[amount]), row[request_no], at
            )
        elif row[kind] == "交易":
            line = StatementLine("payment", row[out_trade_no], _fen(row[amount]), "", at)
        else:
            continue
        lines.append(line)
    return lines
