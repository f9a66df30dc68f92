"""Every CSV and XLSX the project writes goes through here, so that a cell a citizen typed (an address, a
name, a reply) can never become a formula in the spreadsheet program that opens it (CSV/formula injection).

A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is neutralised: in CSV it gets a
leading `'` (which spreadsheet programs show as a text marker), in XLSX it is written as a text cell, never a
formula. Numbers, dates and empty cells pass unchanged."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")


def is_dangerous(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(DANGEROUS_FIRST)


def csv_cell(value: Any) -> Any:
    return "'" + value if is_dangerous(value) else value


def csv_text(rows: Iterable[Sequence[Any]], lineterminator: str = "\r\n") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=lineterminator)
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return buf.getvalue()


def xlsx_append(ws, row: Sequence[Any]) -> None:
    """openpyxl's ws.append, with dangerous text stored as text (openpyxl would make "=..." a formula)."""
    ws.append(list(row))
    for cell in ws[ws.max_row]:
        if is_dangerous(cell.value) or cell.data_type == "f":
            cell.value = str(cell.value)
            cell.data_type = "s"
