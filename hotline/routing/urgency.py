"""Urgency and emergency signals in a citizen's words (紧急/特急 and 110/119/120/122 hand-offs).

The result is a proposal: the operator confirms, and fires the hand-off action when an emergency
service should take over. Signals are patterns, so an operator can read why one fired.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RANK = {"normal": 0, "urgent": 1, "critical": 2}


@dataclass(frozen=True)
class Signal:
    name: str
    pattern: re.Pattern
    urgency: str
    handoff: str | None  # 110 police, 119 fire and rescue, 120 ambulance, 122 traffic police
    reason: str  # shown to the operator (Chinese: the operators' language)


def _p(*words: str) -> re.Pattern:
    return re.compile("|".join(words))


# Order matters only for which hand-off is proposed when several fire: the first in this list wins.
SIGNALS: tuple[Signal, ...] = (
    Signal(
        "fire",
        _p("着火", "起火", "失火", "火灾", "火情", "烧起来", "冒出火", "火苗", "明火"),
        "critical",
        "119",
        "疑似火情，建议转119",
    ),
    Signal(
        "gas_leak",
        _p(
            "(燃气|煤气|天然气|液化气|沼气)[^，。,.！!]{0,6}(泄漏|泄露|漏气|外泄)",
            "漏气",
            "(燃气|煤气|天然气|液化气)味",
        ),
        "critical",
        "119",
        "疑似燃气泄漏，建议转119并通知燃气公司",
    ),
    Signal("explosion", _p("爆炸", "炸了"), "critical", "119", "疑似爆炸，建议转119"),
    Signal("trapped", _p("被困", "困在电梯", "电梯困人", "困人"), "critical", "119", "有人被困，建议转119"),
    Signal(
        "collapse",
        _p("坍塌", "倒塌", "塌方", "塌陷", "垮塌", "房屋开裂.{0,4}危险"),
        "critical",
        "119",
        "坍塌险情，建议转119",
    ),
    Signal(
        "injury",
        _p(
            "受伤",
            "昏迷",
            "晕倒",
            "不省人事",
            "流血",
            "重伤",
            "伤亡",
            "触电",
            "溺水",
            "抽搐",
            "呼吸困难",
            "心脏病发",
            "没有呼吸",
            "中毒",
            "摔伤",
            "骨折",
        ),
        "critical",
        "120",
        "有人受伤或病危，建议转120",
    ),
    Signal(
        "traffic_accident", _p("车祸", "交通事故", "撞车", "追尾", "撞人"), "critical", "122", "交通事故，建议转122"
    ),
    Signal(
        "violence",
        _p(
            "打架",
            "斗殴",
            "持刀",
            "砍人",
            "抢劫",
            "行凶",
            "绑架",
            "家暴",
            "殴打",
            "正在偷",
            "入室盗窃",
            "威胁要杀",
            "跳楼",
            "轻生",
            "自杀",
        ),
        "critical",
        "110",
        "治安或人身安全警情，建议转110",
    ),
    Signal(
        "flood",
        _p("洪水", "内涝", "被淹", "淹水", "水漫", "倒灌", "决堤", "积水没过", "漫进"),
        "urgent",
        None,
        "积水内涝，需尽快处置",
    ),
    Signal(
        "utility_cut",
        _p(
            "停水",
            "停电",
            "停气",
            "停暖",
            "断水",
            "断电",
            "断气",
            "没水",
            "没电",
            "没有水",
            "没有电",
            "没有暖气",
            "暖气不热",
            "不供暖",
            "暖气不通",
            "没有燃气",
        ),
        "critical",
        None,
        "水电气暖中断（特急）",
    ),
    Signal(
        "danger",
        _p(
            "随时可能",
            "砸到人",
            "摇摇欲坠",
            "井盖(丢失|缺失|被盗|没了)",
            "电线(裸露|掉落|断落)",
            "高压线",
            "危及生命",
            "安全隐患很大",
            "老人小孩",
        ),
        "urgent",
        None,
        "存在人身安全隐患",
    ),
)
# "没有着火" / "不是燃气泄漏": a negation directly before the signal word cancels it.
_NEGATION = re.compile(r"(没有|并未|不是|未|无)$")


def detect(text: str | None) -> dict:
    """{"urgency": normal|urgent|critical, "emergency": {"handoff", "reason"} | None, "signals": [...]}"""
    text = text or ""
    urgency = "normal"
    emergency = None
    fired = []
    for sig in SIGNALS:
        for m in sig.pattern.finditer(text):
            if _NEGATION.search(text[max(0, m.start() - 2) : m.start()]):
                continue
            fired.append({"signal": sig.name, "text": m.group(0), "reason": sig.reason})
            if RANK[sig.urgency] > RANK[urgency]:
                urgency = sig.urgency
            if sig.handoff and emergency is None:
                emergency = {"handoff": sig.handoff, "reason": sig.reason, "signal": sig.name}
            break
    return {"urgency": urgency, "emergency": emergency, "signals": fired}


def raise_urgency(current: str | None, detected: str) -> str:
    """Detection only raises urgency; it never lowers what the operator chose."""
    current = current if current in RANK else "normal"
    return detected if RANK[detected] > RANK[current] else current
