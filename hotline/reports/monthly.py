"""The monthly report (月度报告): sections of rows, written as XLSX (one sheet per section), CSV, or a page."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from hotline.reports import hotspots, kpis
from hotline.reports.periods import Period, previous_month

SECTIONS = ("kpis", "rankings", "top_issues", "hotspots", "repeat_complaints", "call_centre")


@dataclass
class Section:
    key: str
    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)


def _pct(v: float | None) -> float | None:
    return None if v is None else round(100 * v, 2)


def build(p: Period) -> list[Section]:
    rows = kpis.department_kpis(p)
    direct = kpis.direct_answer(p)
    kpi = Section(
        "kpis",
        _("KPIs"),
        [
            _("Department"),
            _("Name"),
            _("Dispatched"),
            _("On-time signing %"),
            _("On-time resolution %"),
            _("Resolution rate %"),
            _("Satisfaction rate %"),
            _("Callback rate %"),
            _("Return rate %"),
            _("Rejected returns"),
            _("Reopen rate %"),
            _("Score"),
        ],
    )
    for r in rows:
        kpi.rows.append(
            [
                r["department"],
                r["name"],
                r["dispatched"],
                _pct(r["signed_on_time_rate"]),
                _pct(r["resolved_on_time_rate"]),
                _pct(r["resolution_rate"]),
                _pct(r["satisfaction_rate"]),
                _pct(r["callback_rate"]),
                _pct(r["return_rate"]),
                r["rejected_returns"],
                _pct(r["reopen_rate"]),
                r["score"],
            ]
        )
    kpi.rows.append(
        [
            _("Centre"),
            _("Direct-answer rate %"),
            direct["accepted"],
            _pct(direct["direct_answer_rate"]),
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        ]
    )

    ranking = Section(
        "rankings",
        _("Rankings"),
        [
            _("Kind"),
            _("Rank"),
            _("Department"),
            _("Name"),
            _("Score"),
            _("Previous rank"),
            _("Rank change"),
            _("Score change"),
        ],
    )
    for kind, ranked in kpis.rankings(p, previous_month(p)).items():
        for r in ranked:
            ranking.rows.append(
                [
                    kind,
                    r["rank"],
                    r["department"],
                    r["name"],
                    r["score"],
                    r["previous_rank"],
                    r["rank_change"],
                    r["score_change"],
                ]
            )

    top = Section("top_issues", _("Top issues"), [_("Rank"), _("Category"), _("Name"), _("Count"), _("Previous")])
    for r in hotspots.top_issues(end=p.end, days=(p.end - p.start).days):
        top.rows.append([r["rank"], r["category"], r["category_name"], r["count"], r["previous"]])

    hot = Section(
        "hotspots",
        _("Hotspot alerts"),
        [
            _("Category"),
            _("Name"),
            _("Region"),
            _("Region name"),
            _("Count"),
            _("Baseline"),
            _("Window end"),
        ],
    )
    for a in hotspots.alerts(p.start, p.end):
        hot.rows.append(
            [
                a["category"],
                a["category_name"],
                a["region"],
                a["region_name"],
                a["count"],
                a["baseline"],
                a["window_end"],
            ]
        )

    repeat = Section(
        "repeat_complaints",
        _("Repeat complaints"),
        [
            _("Kind"),
            _("Caller or address"),
            _("Category"),
            _("Count"),
            _("Tickets"),
        ],
    )
    rc = hotspots.repeat_complaints(end=p.end, days=(p.end - p.start).days)
    for r in rc["by_caller"]:
        repeat.rows.append([_("Caller"), r["caller_phone"], None, r["count"], " ".join(r["tickets"])])
    for r in rc["by_address"]:
        repeat.rows.append([_("Address"), r["address"], r["category"], r["count"], " ".join(r["tickets"])])

    calls = kpis.call_centre(p)
    centre = Section("call_centre", _("Call centre"), [_("Figure"), _("Value")])
    if calls is None:
        centre.rows.append([_("No call records yet"), None])
    else:
        centre.rows.extend([[k, v] for k, v in calls.items()])
    return [kpi, ranking, top, hot, repeat, centre]


def to_xlsx(p: Period, sections: list[Section]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from hotline.spreadsheet import xlsx_append

    wb = Workbook()
    wb.remove(wb.active)
    for s in sections:
        ws = wb.create_sheet(title=s.title[:31])
        xlsx_append(ws, [s.title, p.label()])
        xlsx_append(ws, s.headers)
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for row in s.rows:
            xlsx_append(ws, row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_csv(section: Section) -> str:
    from hotline.spreadsheet import csv_text

    # A byte-order mark so spreadsheet programs read the Chinese text as UTF-8.
    return "\ufeff" + csv_text([section.headers, *section.rows])
