"""One way to write a timeline event (hotline.timeline) and one way to upsert (hotline.upsert), read from the source:
no other module builds a TimelineEvent or inserts into timeline_events, and no other module writes ON CONFLICT
(the intake's one statement, the fast path, is the single listed exception for both)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.models import Caller, SmsMessage, TicketNumberCounter
from hotline.upsert import upsert

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [p for pkg in ("hotline", "agents_ui", "integrations") for p in (ROOT / pkg).rglob("*.py")]
FAST_PATH = ROOT / "hotline" / "actions" / "intake.py"  # its single statement writes a caller and an event


def _calls(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            yield name, node


def _strings(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value


def test_timeline_events_are_written_by_hotline_timeline_only():
    wrong = []
    for path in SOURCES:
        if path == ROOT / "hotline" / "timeline.py" or "models" in path.parts:
            continue
        for name, node in _calls(path):
            args = [a.id for a in node.args if isinstance(a, ast.Name)]
            if name == "TimelineEvent" or (name in ("insert", "update", "delete") and "TimelineEvent" in args):
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}")
        if path != FAST_PATH and any("timeline_events" in s.lower() and "insert" in s.lower() for s in _strings(path)):
            wrong.append(str(path.relative_to(ROOT)))
    assert wrong == []


def test_upserts_go_through_hotline_upsert_only():
    wrong = []
    for path in SOURCES:
        if path == ROOT / "hotline" / "upsert.py":
            continue
        wrong += [f"{path.relative_to(ROOT)}:{n.lineno}" for name, n in _calls(path) if name.startswith("on_conflict")]
        if path != FAST_PATH and any("on conflict" in s.lower() for s in _strings(path)):
            wrong.append(str(path.relative_to(ROOT)))
    assert wrong == []


def test_upsert_sql_is_built_from_the_model():
    stmt = upsert(Caller, ("phone", "do_not_call"), on=("phone",), set_={"do_not_call": "true"}, returning=("id",))
    assert str(stmt) == (
        "INSERT INTO callers (phone, do_not_call) VALUES (:phone, :do_not_call)"
        " ON CONFLICT (phone) DO UPDATE SET do_not_call = true RETURNING id"
    )
    assert "DO NOTHING" in str(upsert(SmsMessage, ("message_sid",), on=("message_sid",)))
    with pytest.raises(ValueError, match="no column nope"):
        upsert(Caller, ("phone", "nope"), on=("phone",))


def test_upserts_on_the_database(app):
    from hotline.actions import citizen_notices
    from hotline.actions.intake import _reserve
    from hotline.extensions import db
    from hotline.models.base import utcnow

    with app.app_context():
        first, ids = _reserve("20991231", 5)
        second, _ = _reserve("20991231", 5)
        assert (first, second, len(ids)) == (5, 10, 5)
        assert db.session.get(TicketNumberCounter, "20991231").last == 10

        now = utcnow()
        citizen_notices.mark_do_not_call("+8613800000991", now)  # unknown caller: created on the list
        db.session.add(Caller(phone="+8613800000992", do_not_call=False, created_at=now))
        db.session.flush()
        citizen_notices.mark_do_not_call("+8613800000992", now)  # known caller: put on the list
        db.session.commit()
        rows = db.session.execute(
            select(Caller.phone, Caller.do_not_call).where(Caller.phone.in_(["+8613800000991", "+8613800000992"]))
        ).all()
        assert sorted(rows) == [("+8613800000991", True), ("+8613800000992", True)]
