"""The supervisors' queues, paged: every ticket of a queue is reachable, none silently cut off."""

from __future__ import annotations


def test_each_queue_pages_oldest_first_with_its_total(api, make_ticket):
    returns = [make_ticket("return_pending")["id"] for _ in range(5)]
    reply = make_ticket("reply_review")
    sup = api.as_("supervisor")
    pages = [sup.get(f"/queues/returns?per_page=2&page={p}").get_json() for p in (1, 2, 3)]
    assert [p["total"] for p in pages] == [5, 5, 5]
    assert [t["id"] for p in pages for t in p["items"]] == returns
    assert pages[0]["items"][0]["return"]["reason"] == "wrong_area"
    assert [t["id"] for t in sup.get("/queues/replies").get_json()["items"]] == [reply["id"]]
    assert sup.get("/queues/nothing").status_code == 404
    assert sup.get("/queues/returns?per_page=500").status_code == 422
    assert api.as_("operator").get("/queues/returns").status_code == 403
    assert api.as_("dept_cgj").get("/queues/returns").status_code == 403


def test_dissatisfied_and_callback_queues_are_apart(api, make_ticket):
    waiting = make_ticket("callback_pending")
    unhappy = make_ticket("callback_pending")
    api.as_("operator").act(unhappy["id"], "record-callback", {"resolved": 3, "satisfaction": 3})
    sup = api.as_("supervisor")
    assert [t["id"] for t in sup.get("/queues/dissatisfied").get_json()["items"]] == [unhappy["id"]]
    assert [t["id"] for t in sup.get("/queues/callbacks").get_json()["items"]] == [waiting["id"]]
    # close-excluded needs a reason (422 naming it), then leaves the queue.
    r = sup.act(unhappy["id"], "close-excluded", {})
    assert r.status_code == 422 and "reason" in r.get_json()["error"]["fields"]
    assert sup.act(unhappy["id"], "close-excluded", {"reason": "依法强制执行，诉求不合理"}).status_code == 200
    assert sup.get("/queues/dissatisfied").get_json()["total"] == 0


def test_queue_counts_come_from_the_database_not_a_capped_list(api, make_ticket, monkeypatch):
    """GET /queues (the wallboard's cards): each queue's full count and its first few tickets, whatever the cap of
    the old all-in-one answer (/queues/supervisor)."""
    from hotline.api import supervision

    monkeypatch.setattr(supervision, "QUEUE_LIMIT", 2)  # the old answer's cap, made small
    returns = [make_ticket("return_pending")["id"] for _ in range(4)]
    sup = api.as_("supervisor")
    assert len(sup.get("/queues/supervisor").get_json()["returns"]) == 2  # capped
    q = sup.get("/queues?per_page=3").get_json()
    assert set(q) == {"returns", "extensions", "replies", "dissatisfied", "callbacks", "escalated"}
    assert q["returns"]["total"] == 4 and [t["id"] for t in q["returns"]["items"]] == returns[:3]
    assert q["replies"] == {"total": 0, "items": []}
    assert sup.get("/queues?per_page=0").get_json()["returns"] == {"total": 4, "items": []}
    assert sup.get("/queues?per_page=51").status_code == 422
    assert api.as_("leader").get("/queues").status_code == 200
    assert api.as_("operator").get("/queues").status_code == 403
