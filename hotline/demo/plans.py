"""The demo month as plans: one per ticket (and per abandoned call), drawn from a seed.

A plan says when a matter reaches the centre, how, what it is about and what will become of it; the replay
(hotline.demo.history) turns each plan into the real actions at their times. Plans depend only on the seed,
the number of days and the instant the history ends, so the same three give the same month.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from hotline.deadlines.calendar import TZ
from hotline.demo import city, texts


@dataclass
class Fate:
    """What happens to a dispatched ticket on its way (each drawn independently)."""

    misrouted: bool = False  # first dispatched to the wrong department, which returns it
    return_rejected: bool = False  # ... and the centre rejects the return
    assisting: bool = False
    late_sign: bool = False
    extension: int = 0  # working days asked for (0: none)
    extension_rejected: bool = False
    late: bool = False  # replies after the due time
    urged: bool = False
    supervised: bool = False
    reply_rejected: bool = False
    pace: float = 0.5  # how far into the allowed time the reply comes (on time: < 1)
    callback_answered_on: int = 1  # 1..3: which survey call is answered; 0: nobody answers (unreachable)
    satisfaction: int = 1
    resolved: int = 1
    dissatisfied_excluded: bool = False
    second_satisfaction: int = 1  # the rating after a reopening
    assigned: bool = False  # the liaison names a handling officer (承办人)
    sub_dispatched: bool = False  # a district passes it on to one of its streets (二级派单)


@dataclass
class TicketPlan:
    index: int
    at: dt.datetime  # when the matter reaches the centre (UTC)
    topic: texts.Topic
    channel: str
    phone_outcome: str | None  # answered | voicemail (phone only)
    type: str
    urgency: str
    region: str
    address: str
    title: str
    content: str
    reply: str
    caller_phone: str
    caller_name: str
    publishable: bool
    outcome: str  # dispatch | answer | merge | not_accept | hand_off
    seed: int
    fate: Fate = field(default_factory=Fate)


@dataclass
class CallPlan:
    """A call abandoned before an operator answered: no ticket; most are called back."""

    index: int
    at: dt.datetime
    caller_phone: str
    line: str
    called_back_after: dt.timedelta | None


def _day_starts(days: int, end: dt.datetime) -> list[dt.datetime]:
    today = end.astimezone(TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    return [today - dt.timedelta(days=d) for d in range(days, -1, -1)]


def _instants(rng: random.Random, day: dt.datetime, count: int, end: dt.datetime) -> list[dt.datetime]:
    out = []
    hours = list(range(24))
    for _ in range(count):
        hour = rng.choices(hours, weights=city.HOURLY)[0]
        at = day + dt.timedelta(hours=hour, seconds=rng.randrange(3600))
        if at < end:
            out.append(at.astimezone(dt.UTC))
    return sorted(out)


def _topic(rng: random.Random) -> texts.Topic:
    return rng.choices(texts.TOPICS, weights=[t.weight for t in texts.TOPICS])[0]


def _fate(rng: random.Random, urgency: str) -> Fate:
    f = Fate()
    normal = urgency == "normal"
    f.misrouted = normal and rng.random() < city.RETURN_SHARE
    f.return_rejected = f.misrouted and rng.random() < city.RETURN_REJECTED
    f.assisting = rng.random() < city.ASSIST_SHARE
    f.late_sign = rng.random() < city.LATE_SIGN_SHARE
    f.late = rng.random() < city.LATE_SHARE
    f.extension = rng.randint(3, 10) if normal and not f.late and rng.random() < city.EXTENSION_SHARE else 0
    f.extension_rejected = bool(f.extension) and rng.random() < city.EXTENSION_REJECTED
    f.urged = f.late or rng.random() < city.URGE_SHARE
    f.supervised = f.late and rng.random() < city.SUPERVISE_SHARE
    f.reply_rejected = rng.random() < city.REPLY_REJECTED
    f.pace = rng.uniform(1.05, 1.8) if f.late else rng.triangular(0.08, 0.95, 0.3)
    roll, acc = rng.random(), 0.0
    f.callback_answered_on = 0
    for attempt, share in enumerate(city.CALLBACK_ANSWERS_ON, start=1):
        acc += share
        if roll < acc:
            f.callback_answered_on = attempt
            break
    f.satisfaction = city.pick(rng, city.SATISFACTION)
    if f.late:  # late handling is rated worse
        f.satisfaction = city.pick(rng, {1: 55, 2: 25, 3: 20})
    f.resolved = rng.choice(city.RESOLVED_FOR[f.satisfaction])
    f.dissatisfied_excluded = rng.random() < city.DISSATISFIED_EXCLUDED
    f.second_satisfaction = city.pick(rng, {1: 60, 2: 40})
    f.assigned = rng.random() < city.ASSIGN_SHARE
    f.sub_dispatched = rng.random() < city.SUB_DISPATCH_SHARE
    return f


def _plan(
    index: int,
    at: dt.datetime,
    seed: int,
    callers: list[tuple[str, str]],
    burst: tuple[texts.Topic, str] | None = None,
) -> TicketPlan:
    rng = random.Random(f"{seed}:ticket:{index}")
    topic = _topic(rng)
    channel = city.pick(rng, city.CHANNELS)
    region = city.pick(rng, city.REGIONS)
    if burst is not None:  # one matter, many callers: a hotspot (热点)
        topic, region = burst
    road, place = rng.choice(texts.ROADS), rng.choice(texts.PLACES)
    address = f"{city.REGION_NAMES[region]}{road}{rng.randint(1, 299)}号"
    slots = {"road": road, "place": place, "addr": f"{road}{rng.randint(1, 299)}号"}
    type_ = topic.types[0] if rng.random() < 0.75 else rng.choice(topic.types)
    urgency = "normal"
    if topic.urgent_share and rng.random() < topic.urgent_share or rng.random() < 0.02:
        urgency = "urgent"
    # A quarter of the callers called before (the pool is small): repeat callers and their history.
    if callers and rng.random() < 0.25:
        caller_phone, caller_name = rng.choice(callers)
    else:
        caller_phone, caller_name = city.mobile(rng), texts.caller_name(rng)
        callers.append((caller_phone, caller_name))
    outcome = "answer" if topic.answerable and rng.random() < city.ANSWERABLE_DIRECT else city.pick(rng, city.OUTCOMES)
    if outcome == "hand_off" or (outcome == "not_accept" and type_ == "praise"):
        outcome = "dispatch" if rng.random() < 0.5 else outcome
    phone_outcome = city.pick(rng, city.PHONE_OUTCOMES) if channel == "phone" else None
    return TicketPlan(
        index=index,
        at=at,
        topic=topic,
        channel=channel,
        phone_outcome=phone_outcome,
        type=type_,
        urgency=urgency,
        region=region,
        address=address,
        title=texts.title_text(topic, rng, slots)[:25],
        content=texts.request_text(topic, rng, slots),
        reply=texts.reply_text(topic, rng, slots),
        caller_phone=caller_phone,
        caller_name=caller_name,
        publishable=rng.random() < city.PUBLISHABLE,
        outcome=outcome,
        seed=rng.randrange(2**31),
        fate=_fate(rng, urgency),
    )


def make_plans(
    days: int, seed: int, end: dt.datetime, per_day: int = city.TICKETS_PER_DAY
) -> tuple[list[TicketPlan], list[CallPlan]]:
    """The tickets and abandoned calls of the last `days` days and of today up to `end`, in time order."""
    rng = random.Random(f"{seed}:month")
    tickets: list[TicketPlan] = []
    calls: list[CallPlan] = []
    callers: list[tuple[str, str]] = []
    for day in _day_starts(days, end):
        factor = city.WEEKEND_FACTOR if day.weekday() >= 5 else 1.0
        count = round(per_day * factor * rng.uniform(0.85, 1.15))
        for at in _instants(rng, day, count, end):
            tickets.append(_plan(len(tickets), at, seed, callers))
        # Each day one matter brings many calls within two hours (a burst main, a blocked road): a hotspot.
        burst = (rng.choice([t for t in texts.TOPICS if not t.answerable]), city.pick(rng, city.REGIONS))
        start = day + dt.timedelta(hours=rng.randint(8, 16))
        for _ in range(rng.randint(city.BURST_MIN, city.BURST_MAX)):
            at = (start + dt.timedelta(seconds=rng.randrange(7200))).astimezone(dt.UTC)
            if at < end:
                tickets.append(_plan(len(tickets), at, seed, callers, burst))
        tickets.sort(key=lambda p: p.at)
        phone_calls = round(count * city.CHANNELS["phone"] / sum(city.CHANNELS.values()))
        abandoned = round(phone_calls * city.ABANDONED_SHARE / (1 - city.ABANDONED_SHARE))
        for at in _instants(rng, day, abandoned, end):
            call_rng = random.Random(f"{seed}:call:{len(calls)}")
            back = dt.timedelta(minutes=call_rng.randint(5, 240)) if call_rng.random() < 0.8 else None
            calls.append(CallPlan(len(calls), at, city.mobile(call_rng), "12345", back))
    return tickets, calls
