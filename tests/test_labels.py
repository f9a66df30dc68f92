"""The one label table (hotline/labels.py): every code the workflow and the actions write has a display name, in
Chinese and in English, and the Jinja filters use it. Pure unit tests: a bare Flask app with the project's Babel."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask, render_template_string
from flask_babel import Babel, force_locale

from hotline import labels, workflow
from hotline.actions.deadlines import MARKS
from hotline.validation import HANDOFF_TARGETS, RETURN_REASONS, TYPES, URGENCIES

ROOT = Path(__file__).resolve().parent.parent
# The actions written by code outside the workflow's transitions: `action="..."` / `"action": "..."` literals.
# An action named where an event is written: `action="..."`, `"action": "..."`, or hotline.timeline's positional
# `timeline.add(ticket_id, "...", ...)` / `timeline.event_row(ticket_id, "...", ...)`.
WRITTEN = re.compile(
    r"""(?:\baction=|["']action["']:\s*|timeline\.(?:add|event_row)\(\s*[\w.]+,\s*)["']([a-z][a-z-]*)["']"""
)


NAMES_AS_SAID = {("channel", "open311"), ("channel", "app")}  # Open311 and APP are said so in Chinese too


@pytest.fixture(scope="module")
def bare_app():
    app = Flask(__name__)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(ROOT / "hotline" / "translations")
    Babel(app, default_locale="zh_Hans_CN")
    labels.init_app(app)
    with app.test_request_context():
        yield app


def timeline_actions() -> set[str]:
    names = (
        set(workflow.TRANSITIONS)
        | set(workflow.SYSTEM_ACTIONS)
        | {action for _by, action in workflow.SUB_TRANSITIONS}
        | {m.action for m in MARKS}
    )
    names |= {f"supervision-{op}" for op in ("warning", "overdue")}  # deadlines._raise_notice
    for path in (ROOT / "hotline").rglob("*.py"):
        if "actions" in path.parts or "routing" in path.parts:
            names |= set(WRITTEN.findall(path.read_text(encoding="utf-8")))
    return names


def test_every_timeline_action_has_a_label():
    actions = timeline_actions()
    assert {"create", "sign", "repeat-flag", "merged-from", "handle-overdue"} <= actions  # the scan finds them
    assert sorted(actions - set(labels.ACTION)) == []


def test_every_code_has_a_label():
    assert set(workflow.Status) <= set(labels.STATUS)
    assert set(TYPES) <= set(labels.TYPE)
    assert set(URGENCIES) <= set(labels.URGENCY)
    assert set(RETURN_REASONS) <= set(labels.RETURN_REASON)
    assert set(HANDOFF_TARGETS)  # named as they are said (110/119/120/122): no label needed


def test_chinese_and_english_come_from_the_same_table(bare_app):
    for kind, table in labels.TABLES.items():
        for code, text in table.items():
            english = text._args[0] if hasattr(text, "_args") else str(text)
            with force_locale("zh_Hans_CN"):
                chinese = labels.label(kind, code)
            with force_locale("en"):
                assert labels.label(kind, code) == english
            if (kind, code) in NAMES_AS_SAID:
                continue
            assert chinese != english, (kind, code, english)
            assert re.search(r"[\u4e00-\u9fff]", chinese), (kind, code, chinese)


def test_filters(bare_app):
    with force_locale("zh_Hans_CN"):
        out = render_template_string(
            "{{ 'dispatched'|label('status') }}|{{ 'repeat-flag'|label('action') }}|{{ 2|label('satisfaction') }}"
            "|{{ 'no-such'|label('action') }}|{{ none|label('status') }}|{{ 'citizen:web'|actor }}"
            "|{{ 'system'|actor }}|{{ 'op1'|actor('张三') }}"
        )
    assert out == "待签收|重复诉求已关联|基本满意|no-such||市民（网上留言）|系统|张三"


def test_as_json_has_string_keys(bare_app):
    with force_locale("zh_Hans_CN"):
        table = labels.as_json()
    assert table["resolved"]["1"] == "已解决"
    assert table["action"]["handle-overdue"] == "办理超期"
    assert table["action"]["sign"] == "签收"
