"""Citizen pages: leave a message (photos, CSRF, limits), the receipt, track, published replies, hotspots."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import Attachment, OutboxMessage, PublicSubmission, Ticket
from hotline.outbox import job_args
from tests.public_helpers import JPEG, PNG, csrf, message_form, replied_ticket


def ticket_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Ticket))


def test_pages_are_chinese_first_and_english_on_request(client):
    for path in ("/", "/message", "/track", "/published", "/published/hotspots"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert 'lang="zh-CN"' in r.get_data(as_text=True)
    assert "我要留言" in client.get("/message").get_data(as_text=True)
    r = client.get("/message?lang=en")
    assert "Leave a message" in r.get_data(as_text=True) and 'lang="en"' in r.get_data(as_text=True)
    # The choice is remembered by a cookie on the next page.
    assert 'lang="en"' in client.get("/track").get_data(as_text=True)
    assert 'name="viewport"' in client.get("/").get_data(as_text=True)  # usable on a phone


def test_leave_a_message_with_photos_gives_number_code_and_sms(client, app):
    form = message_form(client, photos=[("a.png", PNG), ("b.jpg", JPEG)], lat="30.94", long="118.75")
    r = client.post("/message", data=form, content_type="multipart/form-data")
    assert r.status_code == 303 and r.headers["Location"].endswith("/message/done")
    html = client.get("/message/done").get_data(as_text=True)
    number = re.search(r'id="number">([^<]+)<', html).group(1)
    code = re.search(r'id="code">(\d{6})<', html).group(1)
    # The receipt is shown once.
    assert code not in client.get("/message/done").get_data(as_text=True)
    with app.app_context():
        t = db.session.scalar(select(Ticket).where(Ticket.number == number))
        assert (
            t.channel == "web"
            and t.title == "小区门口路灯一周不亮了"
            and t.publishable
            and t.region_code == "341802001"
        )
        photos = list(db.session.scalars(select(Attachment).where(Attachment.ticket_id == t.id)))
        assert sorted(p.content_type for p in photos) == ["image/jpeg", "image/png"]
        for p in photos:
            path = Path(app.config["UPLOAD_DIR"]) / p.storage_key
            assert path.read_bytes() in (PNG, JPEG) and "a.png" not in str(path)
        sub = db.session.scalar(select(PublicSubmission).where(PublicSubmission.ticket_id == t.id))
        assert sub.source == "web" and sub.lat == 30.94 and sub.long == 118.75
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "job"))
        sms = [m for m in rows if "send_sms" in str(m.payload)]
        assert len(sms) == 1 and code not in str(sms[0].payload)  # sealed in the outbox
        assert number in str(job_args(sms[0].payload)) and code in str(job_args(sms[0].payload))
    r = client.get(f"/track?number={number}&code={code}")
    assert r.status_code == 200 and "已受理" in r.get_data(as_text=True)


def test_message_rules_name_each_bad_field_and_write_nothing(client, app):
    form = message_form(client, title="太短的标题", content="长" * 601, phone="12", region="")
    r = client.post("/message", data=form, content_type="multipart/form-data")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    for field in ("title-error", "content-error", "phone-error", "region-error"):
        assert field in html, field
    assert "太短的标题" in html  # what was typed is kept
    assert ticket_count(app) == 0


def test_a_form_without_the_session_token_is_refused(client, app):
    form = message_form(client)
    form["csrf"] = "forged"
    assert client.post("/message", data=form, content_type="multipart/form-data").status_code == 400
    other = app.test_client()  # no session at all
    assert other.post("/message", data={k: v for k, v in form.items() if k != "csrf"}).status_code == 400
    assert ticket_count(app) == 0


def test_photo_over_1_mb_is_413_and_a_disguised_file_is_refused(client, app):
    big = PNG + b"\x00" * (1024 * 1024)
    r = client.post(
        "/message", data=message_form(client, photos=[("big.png", big)]), content_type="multipart/form-data"
    )
    assert r.status_code == 413
    # An HTML page named .jpg (the browser says image/jpeg): the bytes decide.
    fake = b"<html><script>alert(1)</script></html>"
    r = client.post("/message", data=message_form(client, photos=[("x.jpg", fake)]), content_type="multipart/form-data")
    assert r.status_code == 422 and "photos-error" in r.get_data(as_text=True)
    # More than 5 photos.
    six = [(f"{i}.png", PNG) for i in range(6)]
    r = client.post("/message", data=message_form(client, photos=six), content_type="multipart/form-data")
    assert r.status_code == 422
    assert ticket_count(app) == 0
    uploads = Path(app.config["UPLOAD_DIR"])
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0
    assert not uploads.exists() or not any(p.is_file() and p.read_bytes() == fake for p in uploads.rglob("*"))


def test_a_whole_body_over_the_limit_is_413(client, app):
    token = csrf(client)
    blob = b"x" * (7 * 1024 * 1024)
    r = client.post("/message", data={"csrf": token, "content": blob.decode()}, content_type="multipart/form-data")
    assert r.status_code == 413
    assert ticket_count(app) == 0


def test_script_in_a_message_renders_as_text(client, api, app):
    evil = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    form = message_form(client, title="<script>alert(1)</script>", content=evil)
    assert client.post("/message", data=form, content_type="multipart/form-data").status_code == 303
    t = replied_ticket(api, content=evil, reply=evil)
    for path in ("/published", f"/track?number={t['number']}&code={t['retrieval_code']}"):
        html = client.get(path).get_data(as_text=True)
        assert "&lt;script&gt;" in html, path
        assert "<script>alert" not in html and "<img src=x" not in html, path


def test_published_shows_only_consented_replied_requests_desensitised(client, api):
    replied_ticket(
        api, content="我叫李四，电话13987654321，住梅园路8号3栋501室，楼下饭店油烟太大。", caller_name="李四"
    )
    replied_ticket(api, content="不同意公开的诉求内容", publishable=False)
    api.as_("operator").post("/tickets", {**_body(), "content": "尚未答复的诉求"})
    html = client.get("/published").get_data(as_text=True)
    assert "楼下饭店油烟太大" in html
    for secret in ("李四", "13987654321", "8号", "501", "不同意公开", "尚未答复", "13812345678"):
        assert secret not in html, secret
    assert "已安排维修" in html and "市城市管理局" in html


def _body(**over):
    from tests.conftest import new_ticket_body

    return new_ticket_body(**over)


def test_published_search_by_category_and_region_and_paging(client, api, monkeypatch):
    import hotline.public.disclosure as disclosure

    replied_ticket(api, content="路灯不亮的问题一", category="010204", region="341802001")
    replied_ticket(api, content="路灯不亮的问题二", category="010204", region="341802002")
    replied_ticket(api, content="园林绿化的问题三", category="010209", region="341802001")
    html = client.get("/published?category=01&region=341802001").get_data(as_text=True)
    assert "问题一" in html and "问题三" in html and "问题二" not in html
    html = client.get("/published?region=341802").get_data(as_text=True)  # a district includes its streets
    assert all(s in html for s in ("问题一", "问题二", "问题三"))
    html = client.get("/published?category=02").get_data(as_text=True)
    assert "问题" not in html.split("<h1>", 1)[1].split("</form>", 1)[1]
    monkeypatch.setattr(disclosure, "PER_PAGE", 2)
    page1 = client.get("/published").get_data(as_text=True)
    page2 = client.get("/published?page=2").get_data(as_text=True)
    assert "问题三" in page1 and "问题二" in page1 and "问题一" not in page1
    assert "问题一" in page2 and 'rel="prev"' in page2
    assert client.get("/published?page=abc&region=<x>").status_code == 200


def test_monthly_hotspots_count_one_category_in_one_area(client, api, app):
    op = api.as_("operator")
    for _ in range(3):
        op.post("/tickets", _body(category="010204", region="341802001"))
    for _ in range(2):
        op.post("/tickets", _body(category="010209", region="341802002"))
    html = client.get("/published/hotspots").get_data(as_text=True)
    assert "城市公共设施" in html and "澄江街道" in html
    assert "鳌峰街道" not in html  # 2 requests: under the threshold of 3
    assert "13812345678" not in html and "梅园路" not in html
    last_month = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    assert "城市公共设施" not in client.get(f"/published/hotspots?month={last_month}").get_data(as_text=True)
    assert client.get("/published/hotspots?month=bogus").status_code == 200


def test_staff_who_see_the_ticket_can_open_its_photos(client, app, api):
    form = message_form(client, photos=[("a.png", PNG)])
    assert client.post("/message", data=form, content_type="multipart/form-data").status_code == 303
    with app.app_context():
        ticket_id = db.session.scalar(select(Ticket.id))
    listed = api.as_("operator").get(f"/tickets/{ticket_id}/attachments")
    assert listed.status_code == 200 and listed.get_json()[0]["content_type"] == "image/png"
    url = listed.get_json()[0]["url"]
    r = client.get(url, headers={"Authorization": f"Bearer {api.token('operator')}"})
    assert r.status_code == 200 and r.data == PNG and r.mimetype == "image/png"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(url).status_code == 401  # the public never sees photos
    assert api.as_("dept_cgj").get(f"/tickets/{ticket_id}/attachments").status_code == 404  # not its ticket


def test_an_api_body_over_the_limit_is_413_json(client, api, app):
    blob = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    r = api.as_("operator").post("/tickets", data=blob, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.is_json and r.get_json()["error"]["code"]
    assert ticket_count(app) == 0
