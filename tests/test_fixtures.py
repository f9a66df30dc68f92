"""The test fixtures themselves: each test starts on the database as seeded, whatever the test before it did."""

from __future__ import annotations

from sqlalchemy import func, select, update

from hotline.extensions import db
from hotline.models import Ticket, User


def test_a_test_changes_seeded_rows_and_adds_tickets(ctx, make_ticket):
    make_ticket("dispatched")
    db.session.execute(update(User).where(User.username == "operator").values(display_name="改过的名字"))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_the_next_test_sees_the_seeded_database(ctx, make_ticket):
    assert db.session.scalar(select(User.display_name).where(User.username == "operator")) != "改过的名字"
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0
    t = make_ticket()
    assert t["id"] == 1  # sequences are set back too
