"""The intake writes every column of its rows from lists derived from the models: a column that is NOT NULL or
has a default must get a value, so that a column added to the model is never silently written NULL."""

from __future__ import annotations

import datetime as dt

import pytest

from hotline.actions.intake import EVENT_COLUMNS, TICKET_COLUMNS, IntakeData, event_values, ticket_values
from hotline.models import Ticket, TimelineEvent


def _must_have_a_value(table) -> set[str]:
    return {
        c.name
        for c in table.columns
        if not c.primary_key and (not c.nullable or c.default is not None or c.server_default is not None)
    } | {c.name for c in table.columns if c.primary_key and c.name != "id"}


@pytest.mark.parametrize("line", [None, "12315"])
def test_every_not_null_or_defaulted_column_is_written(ctx, line):
    data = IntakeData(channel="web", type="complaint", urgency="normal", content="路灯不亮", category_code="010204")
    data.line = line
    now = dt.datetime.now(dt.UTC)
    values = ticket_values(data, None, "XC2026120400001", 1, "123456", now)
    event = event_values(data, None, 1, now)
    assert tuple(values) == TICKET_COLUMNS == tuple(c.name for c in Ticket.__table__.columns)
    assert tuple(event) == EVENT_COLUMNS
    # caller_id is filled in by the statement itself (the caller upsert's id)
    missing = {c for c in _must_have_a_value(Ticket.__table__) if values[c] is None} - {"caller_id"}
    assert not missing, f"the intake writes NULL into {sorted(missing)}"
    missing = {c for c in _must_have_a_value(TimelineEvent.__table__) if event[c] is None}
    assert not missing, f"the intake's first event writes NULL into {sorted(missing)}"
    assert values["id"] == 1 and event["ticket_id"] == 1
