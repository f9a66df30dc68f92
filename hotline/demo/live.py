"""The live day (演示): calls, SMS and web messages keep arriving through the real actions, so the wallboard and
the consoles move during a demonstration. Off by default.

A contact is a chain of steps, each a function of JSON-able arguments that returns the steps that follow it with
their delays: a call rings (incoming call, routed to a free operator or the queue), is answered, and ends with
the ticket the operator took (dispatched by the catalogue, or answered directly); a queued call leaves a voice
message; an SMS and a web message become tickets waiting in the operators' inbox. Two drivers run the chains:
`flask --app wsgi simulate --rate N` in the foreground, and the switch on /agents/simulator, which the worker
reads every minute (hotline.tasks.demo) and turns into scheduled jobs.
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
import secrets
import time
from collections.abc import Callable

from sqlalchemy import select

from hotline import actions
from hotline.actions import call_records, sms_intake, voice_messages
from hotline.actions import calls as call_actions
from hotline.demo import city, texts
from hotline.errors import DomainError
from hotline.extensions import db, get_redis
from hotline.models import Call, User
from hotline.routing.catalogue import match

SWITCH_KEY = "hotline:demo:live-rate"  # contacts per minute while the live day is on; absent: off
MAX_RATE = 60
Step = tuple[float, str, dict]  # (delay in seconds, step name, arguments)


# ---- the switch ------------------------------------------------------------------------------------------


def live_rate() -> int:
    raw = get_redis().get(SWITCH_KEY)
    return int(raw) if raw else 0


def set_live_rate(rate: int) -> None:
    """0 turns the live day off. It also turns itself off after 8 hours (a forgotten demo stops)."""
    if rate <= 0:
        get_redis().delete(SWITCH_KEY)
    else:
        get_redis().set(SWITCH_KEY, min(rate, MAX_RATE), ex=8 * 3600)


# ---- contacts ------------------------------------------------------------------------------------------


def new_contact(rng: random.Random) -> Step:
    """The first step of a new contact, by channel share."""
    topic = rng.randrange(len(texts.TOPICS))
    region = city.pick(rng, city.REGIONS)
    phone = city.mobile(rng)
    content = texts.request_text(texts.TOPICS[topic], rng, {})
    args = {"topic": topic, "region": region, "phone": phone, "content": content, "seed": rng.randrange(2**31)}
    channel = city.pick(rng, {"call": 60, "sms": 15, "web": 25})
    return 0.0, channel, args


def _operator() -> User:
    user = db.session.scalar(select(User).where(User.username == "operator"))
    if user is None:
        raise RuntimeError("the demo users are missing: run seed-demo first")
    return user


def _sid(prefix: str) -> str:
    return f"{prefix}live{secrets.token_hex(12)}"


def step_call(args: dict) -> list[Step]:
    rng = random.Random(args["seed"])
    sid = _sid("CA")
    call_actions.incoming_call(sid, args["phone"], "12345")
    route = call_actions.route_call(sid)
    args = {**args, "sid": sid}
    if route.kind == "dial":  # the operator's console rings; the operator picks up after a few seconds
        return [(rng.uniform(4, 20), "answer", args)]
    return [(rng.uniform(20, 60), "voicemail", args)]  # nobody free: the caller leaves a message


def step_answer(args: dict) -> list[Step]:
    rng = random.Random(args["seed"] + 1)
    call_actions.call_status(f"{args['sid']}-op", "in-progress", parent_call_sid=args["sid"])
    return [(rng.uniform(60, 180), "hangup", args)]


def _intake(args: dict, channel: str) -> actions.IntakeData:
    topic = texts.TOPICS[args["topic"]]
    return actions.IntakeData(
        channel=channel,
        type=topic.types[0],
        urgency="urgent" if topic.urgent_share > 0.3 else "normal",
        content=args["content"],
        caller_phone=args["phone"],
        category_code=topic.category,
        region_code=args["region"],
        address=f"{city.REGION_NAMES[args['region']]}{random.Random(args['seed']).choice(texts.ROADS)}",
        publishable=True,
    )


def step_hangup(args: dict) -> list[Step]:
    """The operator took the matter during the call: a ticket, dispatched by the catalogue or answered."""
    op = _operator()
    topic = texts.TOPICS[args["topic"]]
    ticket, _code = actions.create_ticket(_intake(args, "phone"), op)
    call = db.session.scalar(select(Call).where(Call.call_sid == args["sid"]))
    if call is not None:
        call_records.link_call_ticket(call.id, ticket.id, op)
    try:
        if topic.answerable:
            actions.answer_ticket(ticket.id, op, topic.answer or "已解答来电人。")
        else:
            rule = match(topic.category, args["region"])
            if rule:
                actions.dispatch_ticket(ticket.id, op, rule["department"])
    except DomainError:
        pass  # someone at a console acted on it first
    call_actions.call_status(args["sid"], "completed")
    return []


def step_voicemail(args: dict) -> list[Step]:
    voice_messages.voice_message(args["sid"], None, args["content"])
    call_actions.call_status(args["sid"], "completed")
    return []


def step_sms(args: dict) -> list[Step]:
    sms_intake.incoming_sms(_sid("SM"), args["phone"], "12345", args["content"])
    return []


def step_web(args: dict) -> list[Step]:
    topic = texts.TOPICS[args["topic"]]
    data = _intake(args, "web")
    data.title = texts.title_text(topic, random.Random(args["seed"]), {})[:25]
    actions.submit_public_request(data, actions.ChannelDetails(source="web"))
    return []


STEPS: dict[str, Callable[[dict], list[Step]]] = {
    "call": step_call,
    "answer": step_answer,
    "hangup": step_hangup,
    "voicemail": step_voicemail,
    "sms": step_sms,
    "web": step_web,
}


def run_step(name: str, args: dict) -> list[Step]:
    return STEPS[name](args)


# ---- the foreground driver ----------------------------------------------------------------------------


def simulate(rate: float, minutes: float | None, seed: int | None, echo=print) -> int:
    """Contacts arrive as a Poisson stream of `rate` a minute (for `minutes`, or until interrupted); each
    contact's steps run at their delays. Returns how many contacts arrived."""
    rng = random.Random(seed)
    start = time.monotonic()
    stop = start + minutes * 60 if minutes else None
    queue: list[tuple[float, int, str, dict]] = []
    counter = arrived = 0
    next_arrival = start
    while True:
        now = time.monotonic()
        if next_arrival <= now and (stop is None or now < stop):
            _delay, name, args = new_contact(rng)
            heapq.heappush(queue, (now, counter := counter + 1, name, args))
            arrived += 1
            next_arrival = now + rng.expovariate(rate / 60)
        if queue and queue[0][0] <= now:
            _at, _n, name, args = heapq.heappop(queue)
            try:
                follow = run_step(name, args)
            except DomainError as exc:
                echo(f"{name}: {exc}")
                follow = []
            finally:
                db.session.remove()
            if name in ("call", "sms", "web"):
                echo(f"{dt.datetime.now().strftime('%H:%M:%S')} {name} from {args['phone'][:6]}****")
            for delay, step, step_args in follow:
                heapq.heappush(queue, (now + delay, counter := counter + 1, step, step_args))
            continue
        if stop is not None and now >= stop and not queue:
            return arrived
        wake = min([next_arrival] + ([queue[0][0]] if queue else []))
        time.sleep(max(0.05, min(1.0, wake - now)))
