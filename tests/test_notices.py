"""Notices to departments: the liaison's SMS (through the outbox to Twilio, retried) and the staff's inbox, as
each department chooses."""

from __future__ import annotations

from rq import Queue, SimpleWorker
from rq.job import Job
from sqlalchemy import select

from hotline.extensions import db, get_redis
from hotline.models import OutboxMessage
from hotline.outbox import job_args, relay_all
from tests.conftest import new_ticket_body
from tests.twilio_support import FakeTwilioApi, twilio_config


def _run_worker(redis) -> None:
    SimpleWorker([Queue(q, connection=redis) for q in ("high", "default", "low")], connection=redis).work(burst=True)


def _sms_rows(app) -> list[list]:
    """The arguments of the SMS jobs to liaisons (the caller gets a receipt at intake too: not what these tests
    count), unsealed."""
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "job")).all()
        sms = [job_args(r.payload) for r in rows if r.payload["func"] == "hotline.tasks.notify.send_sms"]
        return [args for args in sms if args[0].startswith("+86139000000")]


def test_liaison_sms_on_dispatch_reaches_twilio_and_staff_get_an_inbox_notice(app, api, redis_url):
    with FakeTwilioApi() as fake:
        old = twilio_config(app, fake.base)
        try:
            t = api.as_("operator").post("/tickets", new_ticket_body()).get_json()
            assert api.as_("operator").act(t["id"], "dispatch", {"department": "XC-CGJ"}).status_code == 200
            with app.app_context():
                relay_all()
                redis = get_redis(redis_url)
                jobs = [Job.fetch(j, connection=redis) for j in Queue("default", connection=redis).job_ids]
                # RQ holds the outbox row's id, never the number: the row says what the job is
                rows = {r.id: r.payload for r in db.session.scalars(select(OutboxMessage))}
                assert not any("+86" in str(j.args) for j in jobs)
                # a private job names one row (run_sealed) or the rows due together (run_sealed_batch)
                sealed = {
                    "hotline.tasks.run_sealed": lambda j: [j.args[0]],
                    "hotline.tasks.run_sealed_batch": lambda j: j.args[0],
                }
                sms_jobs = [
                    j
                    for j in jobs
                    if j.func_name in sealed
                    for row in sealed[j.func_name](j)
                    if rows[row]["func"] == "hotline.tasks.notify.send_sms"
                    and job_args(rows[row])[0] == "+8613900000001"
                ]
                assert len(sms_jobs) == 1 and sms_jobs[0].retries_left == 3  # retried if Twilio refuses
                _run_worker(redis)
        finally:
            app.config.update(old)
    sms = [
        r["form"] for r in fake.requests if r["path"].endswith("/Messages.json") and r["form"]["To"] != "+8613812345678"
    ]
    assert sms == [
        {
            "To": "+8613900000001",
            "From": "+8656312345",
            "Body": f"【12345】新工单{t['number']}已派至贵单位，请及时签收办理。",
        }
    ]

    inbox = api.as_("dept_cgj").get("/notices").get_json()
    assert (
        inbox["unread"] == 1 and inbox["items"][0]["kind"] == "dispatch" and inbox["items"][0]["number"] == t["number"]
    )
    assert api.as_("dept_sthjj").get("/notices").get_json()["unread"] == 0
    assert api.as_("dept_cgj").post("/notices/read").get_json() == {"unread": 0}
    with app.app_context():
        events = [
            r.payload["event"] for r in db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "socket"))
        ]
    assert [e["kind"] for e in events if e["op"] == "notice"] == ["dispatch"]


def test_each_department_chooses_per_kind_and_admins_set_defaults(app, api):
    cgj = api.as_("dept_cgj")
    put = lambda who, code, body: who.client.put(  # noqa: E731
        f"/api/v1/departments/{code}/notice-preferences", json=body, headers=who._headers()
    )
    r = put(cgj, "XC-CGJ", {"dispatch": {"sms": False, "inbox": True}})
    assert r.status_code == 200 and r.get_json()["dispatch"] == {"sms": False, "inbox": True}
    assert put(cgj, "XC-STHJJ", {"dispatch": {"sms": False, "inbox": True}}).status_code == 403
    assert put(cgj, "XC-CGJ", {"lunch": {"sms": True, "inbox": True}}).status_code == 422
    assert put(api.as_("admin"), "default", {"urge": {"sms": True, "inbox": False}}).status_code == 200

    t = api.as_("operator").post("/tickets", new_ticket_body()).get_json()
    api.as_("operator").act(t["id"], "dispatch", {"department": "XC-CGJ"})
    assert _sms_rows(app) == []  # the department turned the dispatch SMS off
    api.as_("supervisor").act(t["id"], "urge", {"note": "请加快"})
    assert [a[1] for a in _sms_rows(app)] == [f"【12345】工单{t['number']}已被催办，请抓紧办理。"]
    kinds = [i["kind"] for i in cgj.get("/notices").get_json()["items"]]
    assert kinds == ["dispatch"]  # the default turned the urge inbox notice off
    audit = api.as_("admin").get("/audit?target_type=notices").get_json()["items"]
    assert {a["target"] for a in audit} == {"XC-CGJ", "(default)"}


def test_sub_dispatch_notifies_the_street(app, api):
    t = api.as_("operator").post("/tickets", new_ticket_body()).get_json()
    api.as_("operator").act(t["id"], "dispatch", {"department": "GOV-341802"})
    api.as_("dept_xzq").act(t["id"], "sign")
    api.as_("dept_xzq").act(t["id"], "sub-dispatch", {"department": "ST-341802001"})
    assert [a[0] for a in _sms_rows(app)] == ["+8613900000003", "+8613900000004"]
    assert api.as_("dept_cjjd").get("/notices").get_json()["items"][0]["kind"] == "sub-dispatch"
