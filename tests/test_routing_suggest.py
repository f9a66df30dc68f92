"""Suggestions (智能派单), urgency and emergency detection, duplicates (并单) and repeat complainers."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from hotline.extensions import db
from hotline.models import RepeatComplaint, Ticket, TicketSignature
from hotline.outbox import job_args
from hotline.routing import duplicates, urgency

# ---- urgency and emergencies ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text, level, handoff",
    [
        ("我家楼下厨房闻到很浓的煤气味，好像燃气泄漏了", "critical", "119"),
        ("对面楼三层着火了，冒着黑烟", "critical", "119"),
        ("路边有位老人晕倒了，叫不醒", "critical", "120"),
        ("工地脚手架坍塌，下面可能有人", "critical", "119"),
        ("小区门口发生车祸，一辆电动车被撞", "critical", "122"),
        ("有人在小区里持刀打架", "critical", "110"),
        ("我们小区从昨天开始停水，到现在还没来水", "critical", None),
        ("整栋楼停电了，电梯也停了", "critical", None),
        ("暖气不热，家里只有十几度", "critical", None),
        ("暴雨后地下车库被淹了", "urgent", None),
        ("路口井盖丢失，晚上很危险", "urgent", None),
        ("小区门口路灯不亮了，希望维修", "normal", None),
        ("咨询一下公积金提取需要什么材料", "normal", None),
        ("昨天检查过了，没有着火，只是烧烤的烟", "normal", None),
    ],
)
def test_emergency_and_urgency_detection(text, level, handoff):
    d = urgency.detect(text)
    assert d["urgency"] == level, d
    assert (d["emergency"] or {}).get("handoff") == handoff
    if level != "normal":
        assert d["signals"] and d["signals"][0]["reason"]


def test_detection_only_raises_urgency():
    assert urgency.raise_urgency("urgent", "normal") == "urgent"
    assert urgency.raise_urgency("normal", "critical") == "critical"


# ---- suggestions ---------------------------------------------------------------------------


def test_suggest_api_returns_top3_with_rule_urgency_and_emergency(api):
    op = api.as_("operator")
    r = op.post("/routing/suggest", {"content": "隔壁工地每天夜间施工，噪音扰民严重，根本睡不着", "region": "341802"})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert len(body["suggestions"]) == 3
    top = body["suggestions"][0]
    assert top["department"] == "XC-STHJJ" and top["category"] == "040203"
    assert 0 < top["confidence"] <= 1
    confidences = [s["confidence"] for s in body["suggestions"]]
    assert confidences == sorted(confidences, reverse=True)
    assert body["rule"] is None and body["emergency"] is None and body["urgency"] == "normal"
    assert body["model_version"] >= 1

    # a known category (or a merged line) brings the catalogue rule as the explanation
    r = op.post("/routing/suggest", {"content": "路灯不亮", "region": "341802001", "category": "010204"})
    rule = r.get_json()["rule"]
    assert rule["department"] == "ST-341802001" and rule["rule"]["note"] == "属地: street office"
    r = op.post("/routing/suggest", {"content": "买到过期食品", "line": "12315"})
    assert r.get_json()["rule"]["department"] == "XC-SCJGJ"

    r = op.post("/routing/suggest", {"content": "厨房里燃气泄漏，味道很大", "region": "341802001"})
    body = r.get_json()
    assert body["urgency"] == "critical" and body["emergency"]["handoff"] == "119"


def test_suggest_marks_low_confidence_for_a_person(api):
    body = api.as_("operator").post("/routing/suggest", {"content": "你好，我想问一下"}).get_json()
    assert body["needs_review"] is True
    clear = api.as_("operator").post("/routing/suggest", {"content": "公司拖欠工资三个月不发"}).get_json()
    assert clear["suggestions"][0]["department"] == "XC-RSJ"


def test_suggest_validates_and_is_for_the_centre(api):
    r = api.as_("operator").post("/routing/suggest", {"content": "", "region": "000"})
    assert r.status_code == 422 and set(r.get_json()["error"]["fields"]) == {"content", "region"}
    assert api.as_("dept_cgj").post("/routing/suggest", {"content": "x"}).status_code == 403


def test_classifier_top3_on_the_small_labelled_set():
    from pathlib import Path

    from hotline.routing.cli import read_jsonl
    from hotline.routing.textmodel import TextClassifier, evaluate

    data = Path(__file__).parent / "data"
    texts, labels = read_jsonl(data / "routing_train.jsonl")
    test_texts, test_labels = read_jsonl(data / "routing_test.jsonl")
    model = TextClassifier().fit(texts, labels)
    result = evaluate(model, test_texts, test_labels)
    assert result["n"] == len(test_texts) >= 40
    # chance would be 1/8 and 3/8: the model must have learned the words
    assert result["top3"] >= 0.8 and result["top1"] >= 0.4, result
    clear = {
        "小区楼下的路灯坏了好几天，晚上一片漆黑": "XC-CGJ",
        "老板拖欠我们工人两个月的工资，一直拖着不给": "XC-RSJ",
        "化工厂晚上偷偷往河里排污水，河水都变黑了": "XC-STHJJ",
    }
    for text, label in clear.items():
        assert label in [lab for lab, _ in model.top(text, 3)], text


def test_evaluate_cli_prints_one_json_line(app, tmp_path):
    import json
    from pathlib import Path

    data = Path(__file__).parent / "data"
    r = app.test_cli_runner().invoke(
        args=[
            "routing",
            "evaluate",
            "--train",
            str(data / "routing_train.jsonl"),
            "--test",
            str(data / "routing_test.jsonl"),
        ]
    )
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1
    out = json.loads(lines[0])
    assert set(out) == {"n", "top1", "top3"} and out["n"] >= 40 and 0 <= out["top1"] <= out["top3"] <= 1
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "label": "x"}\nnot json\n', encoding="utf-8")
    r = app.test_cli_runner().invoke(args=["routing", "evaluate", "--train", str(bad), "--test", str(bad)])
    assert r.exit_code != 0 and "bad.jsonl:2" in r.output


def test_retraining_from_closed_tickets_stores_a_new_version(app, api, make_ticket):
    """The worker job trains on closed tickets' final department; the web process loads the new one."""
    from hotline.models import SuggestionModel
    from hotline.routing import suggest
    from hotline.tasks.routing import retrain

    with app.app_context():
        before = db.session.scalar(select(SuggestionModel.version).where(SuggestionModel.active.is_(True)))
        t = make_ticket("callback_pending", region="341802")  # the catalogue gives XC-CGJ there
        api.as_("operator").act(t["id"], "record-callback", {"resolved": 1, "satisfaction": 1})
        texts, labels = suggest.ticket_examples()
        assert labels == ["010204@*"] and "路灯" in texts[0]
        version = retrain("test")
        assert version == before + 1
        active = db.session.scalars(select(SuggestionModel).where(SuggestionModel.active.is_(True))).all()
        assert [m.version for m in active] == [version]
        assert active[0].metrics["ticket_examples"] == 1 and active[0].source == "tickets"
        suggest.forget_model()
        assert suggest.current_model()[0] == version
    # a department that differs from the catalogue is learned as that department
    with app.app_context():
        assert suggest.label_for("010204", "341802001", "XC-WATER") == "010204@XC-WATER"
        assert suggest.label_for("010204", "341802001", "ST-341802001") == "010204@*"


# ---- duplicates and repeats ----------------------------------------------------------------

TEXT = "幸福小区3栋楼下的窨井盖破损塌陷，已经有好几天了，晚上路过很危险，请有关部门尽快修复。"


def test_intake_writes_signature_rows_in_its_transaction(api, app):
    t = (
        api.as_("operator")
        .post(
            "/tickets",
            {
                "type": "complaint",
                "content": TEXT,
                "caller_phone": "13900000001",
                "address": "幸福小区3栋",
                "category": "010204",
            },
        )
        .get_json()
    )
    with app.app_context():
        bands = db.session.scalars(select(TicketSignature.band).where(TicketSignature.ticket_id == t["id"])).all()
    assert sorted(bands) == [*range(duplicates.BANDS), duplicates.ADDRESS_BAND]


def test_duplicates_by_caller_address_and_near_identical_text(api, app):
    op = api.as_("operator")
    a = op.post(
        "/tickets",
        {
            "type": "complaint",
            "content": TEXT,
            "caller_phone": "13900000001",
            "address": "幸福小区3栋",
            "category": "010204",
        },
    ).get_json()
    b = op.post(
        "/tickets",
        {
            "type": "complaint",
            "content": "咨询社保卡补办需要带什么材料",
            "caller_phone": "13900000002",
            "address": "梅园路1号",
            "category": "150101",
        },
    ).get_json()
    c = op.post(
        "/tickets",
        {
            "type": "complaint",
            "content": "老城区菜市场周边流动摊贩占道经营，交通拥堵。",
            "caller_phone": "13900000003",
            "address": "幸福小区 3 栋",
            "category": "010204",
        },
    ).get_json()
    # a reworded repeat of `a` from someone else
    near = "幸福小区3栋楼下的窨井盖破损塌陷，已经好几天了，晚上路过太危险，请尽快修复！"
    r = op.post(
        "/routing/duplicates", {"content": near, "caller_phone": "13900000002", "address": "别处", "category": "010204"}
    )
    assert r.status_code == 200
    items = {i["number"]: i for i in r.get_json()["items"]}
    assert items[a["number"]]["reasons"] == ["similar_text"] and items[a["number"]]["similarity"] >= 0.6
    assert items[b["number"]]["reasons"] == ["same_caller"]
    assert c["number"] not in items
    # same address (normalized) and category
    r = op.post(
        "/routing/duplicates", {"content": "别的事情完全不同的描述内容", "address": "幸福小区3栋", "category": "010204"}
    )
    numbers = {i["number"]: i["reasons"] for i in r.get_json()["items"]}
    assert numbers == {a["number"]: ["same_address_category"], c["number"]: ["same_address_category"]}
    # closed or older than 30 days: not shown
    op.act(a["id"], "answer", {"text": "已解答"})
    with app.app_context():
        from hotline.models.base import utcnow

        db.session.execute(
            update(Ticket).where(Ticket.id == c["id"]).values(created_at=utcnow() - dt.timedelta(days=31))
        )
        db.session.commit()
    r = op.post("/routing/duplicates", {"content": near, "address": "幸福小区3栋", "category": "010204"})
    assert r.get_json()["items"] == []
    assert op.post("/routing/duplicates", {}).status_code == 422


def test_merge_links_and_notifies_the_caller(api, app):
    op = api.as_("operator")
    a = op.post("/tickets", {"type": "complaint", "content": TEXT, "caller_phone": "13900000001"}).get_json()
    b = op.post("/tickets", {"type": "complaint", "content": TEXT, "caller_phone": "13900000009"}).get_json()
    found = op.post("/routing/duplicates", {"content": TEXT, "exclude": b["id"]}).get_json()["items"]
    assert [i["id"] for i in found] == [a["id"]]
    r = op.act(b["id"], "merge", {"into": a["id"]})
    assert r.status_code == 200 and r.get_json()["status"] == "merged"
    from hotline.models import OutboxMessage

    with app.app_context():
        sms = [
            job_args(m.payload)
            for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "job"))
            if m.payload["func"].endswith("send_sms")
        ]
    merged = [s for s in sms if s[0] == "+8613900000009" and f"已并入工单{a['number']}" in s[1]]
    assert len(merged) == 1 and merged[0][2] == b["id"] and b["number"] in merged[0][1]


def test_repeat_complainer_is_flagged_on_the_third_ticket(api, app):
    op = api.as_("operator")
    body = {"type": "complaint", "caller_phone": "13900000005", "category": "011003", "address": "阳光花园"}
    texts = [
        "物业不管小区垃圾，垃圾堆了一周没人清理",
        "物业还是不处理垃圾问题，臭味很大",
        "第三次反映物业垃圾没人清运的问题",
    ]
    ids = []
    for i, text in enumerate(texts):
        ids.append(op.post("/tickets", {**body, "content": text}).get_json()["id"])
        with app.app_context():
            flags = db.session.scalars(select(RepeatComplaint)).all()
        assert len(flags) == (1 if i == 2 else 0)
    # another caller, and another matter of the same caller, are not counted
    op.post("/tickets", {**body, "caller_phone": "13900000006", "content": texts[0]})
    op.post("/tickets", {"type": "consult", "caller_phone": "13900000005", "content": "咨询医保报销比例"})
    r = api.as_("supervisor").get("/routing/repeats")
    items = r.get_json()["items"]
    assert len(items) == 1 and items[0]["count"] == 3 and items[0]["ticket_ids"] == ids
    assert items[0]["matter"] == "category"
    t = api.as_("supervisor").get(f"/tickets/{ids[2]}").get_json()
    assert [e["action"] for e in t["timeline"]] == ["create", "repeat-flag"]
    # a fourth ticket updates the same flag
    op.post("/tickets", {**body, "content": "物业垃圾问题第四次投诉"})
    items = api.as_("supervisor").get("/routing/repeats").get_json()["items"]
    assert len(items) == 1 and items[0]["count"] == 4
    r = api.as_("supervisor").post(f"/routing/repeats/{items[0]['id']}/resolve", {"note": "已约谈物业公司"})
    assert r.status_code == 200 and r.get_json()["resolved_by"] == "supervisor"
    assert api.as_("supervisor").get("/routing/repeats").get_json()["items"] == []
    assert api.as_("operator").get("/routing/repeats").status_code == 403


def test_retraining_is_queued_as_a_job_and_documented(api, app):
    from hotline.models import OutboxMessage

    assert api.as_("operator").post("/routing/models/train").status_code == 403
    r = api.as_("admin").post("/routing/models/train")
    assert r.status_code == 202
    with app.app_context():
        jobs = [m.payload["func"] for m in db.session.scalars(select(OutboxMessage))]
    assert "hotline.tasks.routing.retrain" in jobs
    models = api.as_("admin").get("/routing/models").get_json()["items"]
    assert models[0]["active"] and models[0]["metrics"]["labels"] >= 500
    doc = api.client.get("/api/v1/openapi.json").get_json()
    assert {"/routing/suggest", "/routing/duplicates", "/routing/rules/import"} <= set(doc["paths"])


def test_repeat_flags_are_paged_with_their_caller_and_latest_ticket(api):
    op = api.as_("operator")
    for phone in ("13900000011", "13900000012", "13900000013"):
        for i in range(3):
            op.post(
                "/tickets",
                {"type": "complaint", "caller_phone": phone, "category": "011003", "content": f"物业垃圾没人清运{i}"},
            )
    sup = api.as_("supervisor")
    pages = [sup.get(f"/routing/repeats?per_page=2&page={p}").get_json() for p in (1, 2)]
    assert [p["total"] for p in pages] == [3, 3] and [len(p["items"]) for p in pages] == [2, 1]
    phones = [i["caller"]["phone"] for p in pages for i in p["items"]]
    assert phones == ["+8613900000013", "+8613900000012", "+8613900000011"]  # the latest first
    last = pages[0]["items"][0]["last_ticket"]
    assert last["content"] == "物业垃圾没人清运2" and last["status"] == "accepted" and last["category"] == "011003"
    assert sup.get("/routing/repeats?per_page=201").status_code == 422
