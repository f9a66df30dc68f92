"""工单查询: GET /api/v1/tickets filters, the bigram index, paging, department scoping, and export.xlsx."""

from __future__ import annotations

import io

from sqlalchemy import text

from hotline.extensions import db
from tests.conftest import new_ticket_body


def _ids(r) -> list[int]:
    assert r.status_code == 200, r.get_json()
    return [t["id"] for t in r.get_json()["items"]]


def _seed(api):
    op = api.as_("operator")
    lamp = op.post("/tickets", new_ticket_body(content="小区门口路灯连续一周不亮，晚上出行不安全。")).get_json()
    noise = op.post(
        "/tickets",
        new_ticket_body(
            content="夜间工地施工噪音扰民，凌晨两点还在打桩。",
            caller_phone="13900001111",
            category="010101",
            region="341821",
            address="郎溪县建平镇",
            type="report",
            channel="web",
            urgency="urgent",
        ),
    ).get_json()
    water = op.post(
        "/tickets", new_ticket_body(content="Water pipe burst on Meiyuan Road, 100% flooded_now", title="自来水管爆裂")
    ).get_json()
    return lamp, noise, water


def test_search_by_words_phone_number_and_filters(api):
    lamp, noise, water = _seed(api)
    op = api.as_("operator")
    assert _ids(op.get("/tickets?q=路灯")) == [lamp["id"]]
    assert _ids(op.get("/tickets?q=噪音 打桩")) == [noise["id"]]
    assert _ids(op.get("/tickets?q=噪音 路灯")) == []  # every word must be there
    assert _ids(op.get("/tickets?q=水管爆裂")) == [water["id"]]  # the title counts
    assert _ids(op.get("/tickets?q=WATER")) == [water["id"]]  # case-insensitive
    assert _ids(op.get("/tickets?q=100%25")) == [water["id"]]  # % is a character, not a wildcard
    assert _ids(op.get("/tickets?q=r_p")) == []  # and so is _ (it would match "Water pipe")
    assert _ids(op.get("/tickets?q=d_n")) == [water["id"]]
    assert _ids(op.get("/tickets?q=灯")) == [lamp["id"]]  # one character: matched without the index
    assert _ids(op.get("/tickets?q=郎溪县建平")) == [noise["id"]]  # the address counts
    assert _ids(op.get("/tickets?phone=139-0000-1111")) == [noise["id"]]
    assert set(_ids(op.get("/tickets?phone=13812345678"))) == {lamp["id"], water["id"]}
    assert _ids(op.get("/tickets?number=" + lamp["number"].lower())) == [lamp["id"]]
    assert _ids(op.get("/tickets?category=0101")) == [noise["id"]]  # any level
    assert _ids(op.get("/tickets?category=010204")) == [water["id"], lamp["id"]]
    assert _ids(op.get("/tickets?category=01")) == [water["id"], noise["id"], lamp["id"]]
    assert _ids(op.get("/tickets?region=341821")) == [noise["id"]]
    assert set(_ids(op.get("/tickets?region=341800"))) == {lamp["id"], noise["id"], water["id"]}  # the city
    assert _ids(op.get("/tickets?type=report&channel=web&urgency=urgent")) == [noise["id"]]
    assert _ids(op.get("/tickets?urgency=normal,critical")) == [water["id"], lamp["id"]]
    assert len(_ids(op.get("/tickets?created_from=2000-01-01&created_to=2999-12-31"))) == 3
    assert _ids(op.get("/tickets?created_to=2000-01-01")) == []
    # The reply counts once there is one.
    api.as_("operator").act(lamp["id"], "dispatch", {"department": "XC-CGJ"})
    api.as_("dept_cgj").act(lamp["id"], "sign")
    api.as_("dept_cgj").act(lamp["id"], "reply", {"text": "已更换灯泡并检修线路"})
    assert _ids(op.get("/tickets?q=灯泡")) == [lamp["id"]]


def test_bad_filters_answer_422_naming_the_field(api):
    op = api.as_("operator")
    for query, field in (
        ("type=rant", "type"),
        ("channel=fax", "channel"),
        ("urgency=very", "urgency"),
        ("status=lost", "status"),
        ("category=99", "category"),
        ("region=1", "region"),
        ("phone=abc", "phone"),
        ("created_from=yesterday", "created_from"),
        ("created_from=2026-02-01&created_to=2026-01-01", "created_from"),
        ("department=NOPE", "department"),
        ("overdue=maybe", "overdue"),
        ("q=" + "长" * 51, "q"),
    ):
        r = op.get("/tickets?" + query)
        assert r.status_code == 422 and field in r.get_json()["error"]["fields"], (query, r.get_json())


def test_paging_is_stable_and_departments_see_only_their_own(api):
    op = api.as_("operator")
    made = [op.post("/tickets", new_ticket_body(content=f"路灯第{i}盏不亮，请维修")).get_json()["id"] for i in range(7)]
    pages = [_ids(op.get(f"/tickets?q=路灯&per_page=3&page={p}")) for p in (1, 2, 3)]
    assert [i for p in pages for i in p] == sorted(made, reverse=True)
    assert op.get("/tickets?q=路灯&per_page=3").get_json()["total"] == 7
    api.as_("operator").act(made[0], "dispatch", {"department": "XC-CGJ"})
    api.as_("operator").act(made[1], "dispatch", {"department": "XC-STHJJ"})
    assert _ids(api.as_("dept_cgj").get("/tickets?q=路灯")) == [made[0]]
    assert _ids(api.as_("dept_sthjj").get("/tickets?q=路灯")) == [made[1]]


def test_the_search_uses_the_bigram_index(api, app):
    _seed(api)
    from hotline.models import Ticket
    from hotline.search import words_clause

    with app.app_context():
        from sqlalchemy import select

        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        sql = select(Ticket.id).where(words_clause("路灯"))
        compiled = sql.compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = "\n".join(r[0] for r in db.session.execute(text(f"EXPLAIN {compiled}")))
        db.session.rollback()
    assert "ix_tickets_search_grams" in plan, plan


def test_export_xlsx_has_the_rows_masked_for_departments_and_formula_safe(api):
    from openpyxl import load_workbook

    lamp, noise, water = _seed(api)
    op = api.as_("operator")
    evil = op.post(
        "/tickets", new_ticket_body(content='=HYPERLINK("http://x","点我") 路灯', address="@SUM(1)")
    ).get_json()
    r = op.get("/tickets/export.xlsx?q=路灯")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert "attachment" in r.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.data), read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[0] == "工单编号"
    numbers = [row[0] for row in body]
    assert numbers == [evil["number"], lamp["number"]]
    col = {name: i for i, name in enumerate(header)}
    assert body[1][col["来电号码"]] == "+8613812345678"  # the centre sees the number
    # A cell that would run as a formula is written as text, marked with a leading apostrophe.
    assert body[0][col["诉求内容"]].startswith("'=HYPERLINK")
    assert body[0][col["地址"]] == "'@SUM(1)"
    # A department gets its own tickets only, with the caller's phone masked.
    api.as_("operator").act(lamp["id"], "dispatch", {"department": "XC-CGJ"})
    r = api.as_("dept_cgj").get("/tickets/export.xlsx")
    rows = list(load_workbook(io.BytesIO(r.data), read_only=True).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == [lamp["number"]]
    assert rows[1][col["来电号码"]] == "138****5678"
    assert op.get("/tickets/export.xlsx?type=rant").status_code == 422


def test_a_broad_search_counts_to_the_cap_and_pages_newest_first(api, monkeypatch):
    from hotline import search

    monkeypatch.setattr(search, "COUNT_CAP", 3)
    op = api.as_("operator")
    made = [op.post("/tickets", new_ticket_body(content=f"路灯第{i}盏不亮")).get_json()["id"] for i in range(7)]
    op.post("/tickets", new_ticket_body(content="噪音扰民"))
    body = op.get("/tickets?q=路灯&per_page=2").get_json()
    assert body["total"] == 3 and body["total_exact"] is False
    pages = [_ids(op.get(f"/tickets?q=路灯&per_page=2&page={p}")) for p in (1, 2, 3, 4)]
    assert [i for p in pages for i in p] == sorted(made, reverse=True)
    body = op.get("/tickets?q=噪音").get_json()
    assert body["total"] == 1 and body["total_exact"] is True


def test_a_narrow_search_reads_the_words_once(api, app):
    """At most COUNT_CAP matches: the ids fetched to count them are the listing, so the words (the bigram index
    and the ILIKE) are searched by one statement, not once to count and again for the page."""
    from sqlalchemy import event

    op = api.as_("operator")
    made = [op.post("/tickets", new_ticket_body(content=f"路灯第{i}盏不亮")).get_json()["id"] for i in range(3)]
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        body = op.get("/tickets?q=路灯&per_page=2").get_json()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert body["total"] == 3 and body["total_exact"] is True and [t["id"] for t in body["items"]] == made[::-1][:2]
    assert len([s for s in statements if "ticket_search_grams" in s]) == 1
    assert _ids(op.get("/tickets?q=路灯&per_page=2&page=2")) == made[:1]
