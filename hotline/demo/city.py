"""The demo city's proportions: how its tickets spread over the day, the channels, the areas and what becomes
of them. Chosen to look like a prefecture-level city's 12345 month (DOMAIN.md gives the real figures the
shares are near: phone ~60% of intake, about half answered directly, satisfaction around 95%, on-time
resolution above 90%); the category mix is texts.TOPICS' weights."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

TICKETS_PER_DAY = 150

# Intake channel -> share. Phone is the bulk; the rest are written channels.
CHANNELS = {"phone": 60, "web": 14, "app": 10, "sms": 7, "mailbox": 5, "open311": 4}

# How a phone contact reaches the centre: talked to an operator, or left a voice message (out of hours or a
# long queue). Calls that were abandoned make no ticket; they are ABANDONED_PER_DAY more calls.
PHONE_OUTCOMES = {"answered": 93, "voicemail": 7}
ABANDONED_SHARE = 0.06  # of the day's calls, abandoned before an operator answered

# Where the matter is: the district's five streets carry most of the city's population, then the counties.
REGIONS = {
    "341802001": 12,
    "341802002": 11,
    "341802003": 10,
    "341802004": 8,
    "341802005": 7,
    "341802": 8,
    "341882": 9,
    "341881": 8,
    "341821": 7,
    "341823": 6,
    "341824": 5,
    "341825": 4,
}
REGION_NAMES = {
    "341802001": "宣州区澄江街道",
    "341802002": "宣州区鳌峰街道",
    "341802003": "宣州区济川街道",
    "341802004": "宣州区西林街道",
    "341802005": "宣州区飞彩街道",
    "341802": "宣州区",
    "341882": "广德市",
    "341881": "宁国市",
    "341821": "郎溪县",
    "341823": "泾县",
    "341824": "绩溪县",
    "341825": "旌德县",
}
# The district's own matters in the district outside its streets go to the district government (属地管理),
# whatever the city bureau in the catalogue: the operator's choice, as in real dispatch.
DISTRICT = "341802"
DISTRICT_GOVERNMENT = "GOV-341802"
DISTRICT_LOCAL_SHARE = 0.6

# Tickets per hour of the local day (relative): quiet at night, peaks mid-morning and early afternoon.
HOURLY = (1, 0.5, 0.3, 0.3, 0.4, 0.8, 2, 4, 8, 10, 10, 9, 6, 7, 9, 9, 8, 7, 5, 4, 3.5, 3, 2, 1.5)
WEEKEND_FACTOR = 0.7
BURST_MIN, BURST_MAX = 4, 9  # tickets of the day's hotspot (included in the day's count)

# What the operator does with a new ticket that has no direct answer in its topic.
OUTCOMES = {"dispatch": 80, "answer": 12, "merge": 4, "not_accept": 3, "hand_off": 1}
ANSWERABLE_DIRECT = 0.85  # a policy question the knowledge base answers

# What happens on the way, for a dispatched ticket (each independent).
RETURN_SHARE = 0.07  # the department returns it (退单): mostly approved and re-dispatched
RETURN_REJECTED = 0.3  # of those, the centre rejects the return (不当退单)
EXTENSION_SHARE = 0.06  # asks for more time (延期); mostly approved
EXTENSION_REJECTED = 0.25
LATE_SHARE = 0.06  # replies after the due time (超期), urged and often supervised on the way
LATE_SIGN_SHARE = 0.05
URGE_SHARE = 0.08  # urged (催办) while open
SUPERVISE_SHARE = 0.3  # of the late ones, formally supervised (督办)
REPLY_REJECTED = 0.05  # the centre sends the reply back for redoing
PUBLISHABLE = 0.6  # the caller consents to publication
ASSIST_SHARE = 0.05  # co-handled with an assisting department
ASSIGN_SHARE = 0.3  # the department's liaison names a handling officer (承办人)
SUB_DISPATCH_SHARE = 0.5  # of a district's tickets, passed on to one of its streets (二级派单)

# The callback survey (回访): who answers, and how.
CALLBACK_ANSWERS_ON = (0.72, 0.14, 0.06)  # answered at the 1st, 2nd, 3rd call; else unreachable
MANUAL_CALLBACK = 0.4  # the centre's staff call back by hand (the rest: the IVR survey call)
SATISFACTION = {1: 80, 2: 14, 3: 6}  # 满意 / 基本满意 / 不满意
RESOLVED_FOR = {1: (1, 1, 1, 2), 2: (1, 2, 2), 3: (2, 3, 3)}
DISSATISFIED_EXCLUDED = 0.25  # verified dissatisfaction with a lawful outcome: closed, excluded

HANDOFF_TARGETS = ("110", "119", "120", "122")
NOT_ACCEPTED_REASONS = (
    "属于法院审理中的民事纠纷，已告知来电人通过诉讼途径解决。",
    "反映内容无具体事项，来电人无法提供有效信息，已解释。",
    "属于劳动仲裁受理范围，已告知来电人向劳动人事争议仲裁委员会申请仲裁。",
)
RETURN_REASONS = ("wrong_area", "ownership_unclear", "overlapping_duties")
RETURN_NOTES = {
    "wrong_area": "经核实，反映地点不在我单位辖区，请改派属地。",
    "ownership_unclear": "该设施权属尚不明确，非我单位管养，请中心协调。",
    "overlapping_duties": "该事项涉及多个部门职能交叉，建议由主管部门牵头办理。",
}
EXTENSION_REASONS = (
    "需协调多个部门联合处置，现场整改需要时间，申请延期。",
    "涉及设施改造，需履行采购程序，申请延期办理。",
    "当事人暂时联系不上，需进一步调查取证，申请延期。",
)
URGE_NOTES = ("市民再次来电催促，请抓紧办理。", "该件即将超期，请加快办理进度。", "请尽快反馈办理情况。")
SUPERVISE_NOTES = ("该件已超期，请于期限内书面反馈办理情况。", "群众反映强烈，请主要负责人督促办理。")
REPLY_REJECT_NOTES = ("回复内容过于简单，未说明具体处理结果，请补充。", "未与来电人联系核实，请联系后重新回复。")
REOPEN_NOTES = ("来电人表示问题仍未解决，经核实情况属实，发回重办。", "回访不满意，经核实整改不到位，请重新办理。")


def pick(rng: random.Random, weights: dict[T, float]) -> T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def pick_from(rng: random.Random, items: Sequence[T], weights: Sequence[float]) -> T:
    return rng.choices(items, weights=weights)[0]


def mobile(rng: random.Random) -> str:
    """A plausible mainland mobile number, E.164 (the callers' pool is small enough for repeat callers)."""
    return (
        "+86"
        + rng.choice(("138", "139", "135", "137", "150", "151", "157", "158", "186", "187", "177", "199"))
        + (f"{rng.randrange(10**8):08d}")
    )
