"""Helpers for the public-side tests: a CSRF-aware message form, image bytes, consented tickets with replies."""

from __future__ import annotations

import io
import re

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 200
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200


def csrf(client) -> str:
    html = client.get("/message").get_data(as_text=True)
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no csrf field on /message"
    return m.group(1)


def message_form(client, photos=(), **over) -> dict:
    form = {
        "csrf": csrf(client),
        "type": "complaint",
        "title": "小区门口路灯一周不亮了",
        "content": "梅园小区门口的路灯连续一周不亮，晚上出行很不安全，请尽快维修。",
        "region": "341802001",
        "address": "梅园路12号",
        "phone": "13812345678",
        "name": "张三",
        "publishable": "yes",
    }
    form.update(over)
    if photos:
        form["photos"] = [(io.BytesIO(data), name) for name, data in photos]
    return form


def replied_ticket(api, content: str, publishable: bool = True, reply: str = "已安排维修，路灯已恢复照明。", **over):
    """A ticket through dispatch, sign, reply and approval: its reply is public."""
    from tests.conftest import new_ticket_body

    op, dept, sup = api.as_("operator"), api.as_("dept_cgj"), api.as_("supervisor")
    t = op.post("/tickets", new_ticket_body(content=content, publishable=publishable, **over)).get_json()
    assert op.act(t["id"], "dispatch", {"department": "XC-CGJ"}).status_code == 200
    assert dept.act(t["id"], "sign").status_code == 200
    assert dept.act(t["id"], "reply", {"text": reply}).status_code == 200
    assert sup.act(t["id"], "approve-reply").status_code == 200
    return t
