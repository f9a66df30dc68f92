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
