"""Concurrency on the real database: unique numbers under parallel intake, one winner when two sign."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

from hotline.cli import create_or_update_user
from tests.conftest import Api, new_ticket_body


def test_ticket_numbers_unique_under_8_concurrent_writers(app, api):
    token = api.token("operator")
    per_writer = 25

    def writer(i: int) -> list[str]:
        client = app.test_client()
        out = []
        for j in range(per_writer):
            r = client.post(
                "/api/v1/tickets",
                json=new_ticket_body(content=f"并发受理测试 {i}-{j}", caller_phone=f"1390000{i:02d}{j:02d}"),
                headers={"Authorization": f"Bearer {token}"},
            )
            assert r.status_code == 201, r.get_json()
            out.append(r.get_json()["number"])
        return out

    with ThreadPoolExecutor(8) as pool:
        numbers = [n for chunk in pool.map(writer, range(8)) for n in chunk]
    assert len(numbers) == 8 * per_writer == len(set(numbers))
    assert all(re.fullmatch(r"XC\d{8}\d{5}", n) for n in numbers)
    sequences = sorted(int(n[-5:]) for n in numbers)
    assert sequences == list(range(1, 8 * per_writer + 1))  # no gaps when nothing failed


def test_concurrent_signing_one_wins_one_gets_409(app, api, make_ticket):
    with app.app_context():
        create_or_update_user("dept_cgj2", "pw-2", "department", "XC-CGJ", "second liaison")
    t = make_ticket("dispatched")
    barrier = threading.Barrier(2)
    results: list[int] = []

    def sign(username: str) -> None:
        mine = Api(app, app.test_client())
        mine._tokens = api._tokens
        mine.token(username)
        barrier.wait()
        results.append(mine.as_(username).act(t["id"], "sign").status_code)

    threads = [threading.Thread(target=sign, args=(u,)) for u in ("dept_cgj", "dept_cgj2")]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(results) == [200, 409]
    timeline = api.as_("operator").get(f"/tickets/{t['id']}").get_json()["timeline"]
    assert [e["action"] for e in timeline].count("sign") == 1


def test_number_blocks_from_several_processes_never_collide(app):
    """Each web process reserves its own blocks from the daily counter: numbers interleave, never repeat."""
    from hotline.actions.intake import _NumberBlocks

    processes = [_NumberBlocks() for _ in range(3)]
    with app.app_context():
        taken = [p.take("20261126", 5) for _ in range(7) for p in processes]
    numbers = [seq for seq, _ in taken]
    assert len(numbers) == len(set(numbers)) == 21
    assert sorted(numbers)[0] == 1
    ids = [ticket_id for _, ticket_id in taken]
    # ticket ids are reserved with the numbers, from the tickets' own sequence: never twice
    assert None not in ids and len(set(ids)) == 21
