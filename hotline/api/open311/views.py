"""The GeoReport v2 resources. Thin: parse -> access (api_key) -> one action or query -> respond."""

from __future__ import annotations

import datetime as dt

from flask import current_app, request, url_for
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from hotline import actions
from hotline.actions.public_intake import ChannelDetails
from hotline.api.auth import hash_token
from hotline.api.open311 import bp
from hotline.api.open311.formats import FORMATS, Open311Error, respond
from hotline.api.serialize import iso
from hotline.desensitise import desensitise
from hotline.errors import ValidationError
from hotline.extensions import db
from hotline.models import ApiToken, Caller, Category, Department, PublicSubmission, Region, Ticket, User
from hotline.models.base import utcnow
from hotline.public.disclosure import names_by_code
from hotline.public.forms import TYPE_LABELS
from hotline.validation import TYPES, normalize_phone
from hotline.workflow import OPEN, Status

MAX_DESCRIPTION = 4000
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(404, f"format {fmt} is not supported; use json or xml")
    jurisdiction = request.values.get("jurisdiction_id")
    if jurisdiction and jurisdiction != current_app.config["OPEN311_JURISDICTION"]:
        raise Open311Error(404, f"jurisdiction_id {jurisdiction} was not found")
    return fmt


def _api_key(required: bool) -> ApiToken | None:
    """The Open311 key sent as api_key (403 when required and missing, or when given and not valid)."""
    key = request.values.get("api_key", "").strip()
    if not key:
        if required:
            raise Open311Error(403, "api_key was not provided")
        return None
    token = db.session.scalar(
        select(ApiToken)
        .join(User, User.id == ApiToken.user_id)
        .where(
            ApiToken.token_hash == hash_token(key),
            ApiToken.kind == "open311",
            ApiToken.revoked_at.is_(None),
            User.active.is_(True),
        )
    )
    if token is None or (token.expires_at is not None and token.expires_at < utcnow()):
        raise Open311Error(403, "api_key is invalid")
    return token


# ---- discovery and services ---------------------------------------------------------------------


@bp.get("/discovery.<fmt>")
def discovery(fmt: str):
    fmt = _format(fmt)
    base = current_app.config["PUBLIC_URL"]
    return respond(
        fmt,
        "discovery",
        {
            "changeset": "2026-11-26T00:00:00Z",
            "contact": _("12345 Government Service Hotline: call 12345"),
            "key_service": _("API keys are issued by the 12345 hotline centre."),
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": base + url_for("open311.discovery", fmt="json").rsplit("/", 1)[0],
                    "changeset": "2026-11-26T00:00:00Z",
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


def _leaf_services() -> list[Category]:
    cats = list(db.session.scalars(select(Category).order_by(Category.code)))
    parents = {c.parent_code for c in cats if c.parent_code}
    return [c for c in cats if c.code not in parents]


@bp.get("/services.<fmt>")
def services(fmt: str):
    fmt = _format(fmt)
    names = {c.code: c.name for c in db.session.scalars(select(Category).where(Category.level == 1))}
    return respond(
        fmt,
        "services",
        [
            {
                "service_code": c.code,
                "service_name": c.name,
                "description": c.path,
                "metadata": True,
                "type": "batch",
                "keywords": c.keywords or "",
                "group": names.get(c.code[:2], ""),
            }
            for c in _leaf_services()
        ],
    )


def _service(code: str) -> Category:
    cat = db.session.get(Category, code)
    if cat is None or db.session.scalar(select(Category.code).where(Category.parent_code == code).limit(1)):
        raise Open311Error(404, f"service_code {code} was not found")
    return cat


def attribute_definitions() -> list[dict]:
    """What a client may send as attribute[code]: the ticket's type, area, consent and title."""
    regions = db.session.execute(select(Region.code, Region.name).order_by(Region.code)).all()
    return [
        {
            "variable": True,
            "code": "type",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": _("One of the keys; help request if not given."),
            "order": 1,
            "description": _("Type of request"),
            "values": [{"key": key, "name": str(label)} for key, label in TYPE_LABELS.items()],
        },
        {
            "variable": True,
            "code": "region",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": _("The administrative area (division code)."),
            "order": 2,
            "description": _("Area"),
            "values": [{"key": code, "name": name} for code, name in regions],
        },
        {
            "variable": True,
            "code": "publishable",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": _(
                "true if the requester agrees to publication (desensitised); false if not given."
            ),
            "order": 3,
            "description": _("May the request and its reply be published?"),
            "values": [{"key": "true", "name": _("Yes")}, {"key": "false", "name": _("No")}],
        },
        {
            "variable": True,
            "code": "title",
            "datatype": "string",
            "required": False,
            "datatype_description": _("10 to 25 characters."),
            "order": 4,
            "description": _("Title"),
            "values": [],
        },
    ]


@bp.get("/services/<code>.<fmt>")
def service_definition(code: str, fmt: str):
    fmt = _format(fmt)
    cat = _service(code)
    return respond(fmt, "service_definition", {"service_code": cat.code, "attributes": attribute_definitions()})


# ---- POST a request -----------------------------------------------------------------------------


def _attributes() -> dict[str, str]:
    """attribute[code]=value pairs; a code the service does not define is a 404 (the specification's rule)."""
    known = {"type", "region", "publishable", "title"}
    out: dict[str, str] = {}
    for name, value in request.form.items(multi=True):
        if not name.startswith("attribute["):
            continue
        code = name[len("attribute[") :].split("]", 1)[0]
        if code not in known:
            raise Open311Error(404, f"attribute code {code} was not found")
        out[code] = value.strip()
    return out


def _coordinate(name: str, lo: float, hi: float) -> float | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise Open311Error(400, f"{name} must be a number") from None
    if not lo <= value <= hi:
        raise Open311Error(400, f"{name} is out of range")
    return value


def _short(name: str, max_len: int) -> str | None:
    value = request.form.get(name, "").strip()
    if len(value) > max_len:
        raise Open311Error(400, f"{name} may have at most {max_len} characters")
    return value or None


@bp.post("/requests.<fmt>")
def post_request(fmt: str):
    fmt = _format(fmt)
    key = _api_key(required=True)
    assert key is not None
    code = request.form.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, "service_code was not provided")
    cat = _service(code)
    attrs = _attributes()
    lat, long = _coordinate("lat", -90, 90), _coordinate("long", -180, 180)
    if (lat is None) != (long is None):
        raise Open311Error(400, "lat and long must be given together")
    address = _short("address_string", 200)
    address_id = _short("address_id", 64)
    if lat is None and not address and not address_id:
        raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
    description = request.form.get("description", "").strip()
    if not description:
        raise Open311Error(400, "description was not provided")
    if len(description) > MAX_DESCRIPTION:
        raise Open311Error(400, f"description may have at most {MAX_DESCRIPTION} characters")
    phone = _short("phone", 32)
    if phone and normalize_phone(phone) is None:
        raise Open311Error(400, "phone is not a valid phone number")
    media_url = _short("media_url", 500)
    if media_url and not media_url.lower().startswith(("http://", "https://")):
        raise Open311Error(400, "media_url must be an http or https URL")
    kind = attrs.get("type") or "help"
    if kind not in TYPES:
        raise Open311Error(400, f"attribute type must be one of {', '.join(TYPES)}")
    if attrs.get("publishable", "false") not in ("true", "false"):
        raise Open311Error(400, "attribute publishable must be true or false")
    title = attrs.get("title") or None
    if title and not 10 <= len(title) <= 25:
        raise Open311Error(400, "attribute title must have 10 to 25 characters")
    name = " ".join(filter(None, (_short("last_name", 32), _short("first_name", 32)))) or None
    payload = {
        "channel": "open311",
        "type": kind,
        "content": description,
        "category": cat.code,
        "region": attrs.get("region") or None,
        "address": address,
        "title": title,
        "caller_phone": phone,
        "caller_name": name,
        "publishable": attrs.get("publishable") == "true",
    }
    try:
        data = actions.parse_intake(payload, phone_required=False)
    except ValidationError as exc:
        problems = "; ".join(f"{k} {v}" for k, v in (exc.fields or {}).items())
        raise Open311Error(400, f"{exc.message}: {problems}") from None
    details = ChannelDetails(
        source="open311",
        lat=lat,
        long=long,
        api_token_id=key.id,
        address_id=address_id,
        email=_short("email", 120),
        device_id=_short("device_id", 64),
        account_id=_short("account_id", 64),
        media_url=media_url,
        attributes=attrs or None,
    )
    ticket, _code, token = actions.submit_public_request(data, details, actor=key.user)
    notice = _("Received by the 12345 hotline; the retrieval code was sent by SMS.") if phone else None
    return respond(
        fmt,
        "service_requests",
        [
            {
                "service_request_id": ticket.number,
                "token": token,
                "service_notice": notice,
                "account_id": details.account_id,
            }
        ],
        201,
    )


# ---- GET requests -------------------------------------------------------------------------------


def _visible(key: ApiToken | None):
    """Consented requests, and those this key submitted."""
    consented = and_(Ticket.publishable.is_(True), Ticket.confidential.is_(False))
    if key is None:
        return consented
    return or_(consented, PublicSubmission.api_token_id == key.id)


def _query(key: ApiToken | None):
    return (
        select(
            Ticket.number,
            Ticket.status,
            Ticket.content,
            Ticket.address,
            Ticket.category_code,
            Ticket.region_code,
            Ticket.created_at,
            Ticket.updated_at,
            Ticket.due_at,
            Ticket.reply_text,
            Ticket.reply_approved_at,
            Ticket.answer_text,
            Department.name.label("department"),
            Caller.name.label("caller_name"),
            PublicSubmission.lat,
            PublicSubmission.long,
        )
        .outerjoin(Department, Department.id == Ticket.department_id)
        .outerjoin(Caller, Caller.id == Ticket.caller_id)
        .outerjoin(PublicSubmission, PublicSubmission.ticket_id == Ticket.id)
        .where(_visible(key))
    )


def _rounded(value: float | None) -> float | None:
    # About 100 m: enough to see where a problem is, not which door it came from.
    return round(value, 3) if value is not None else None


def _as_request(row, categories: dict[str, str], regions: dict[str, str]) -> dict:
    names = [row.caller_name]
    closed = Status(row.status) not in OPEN
    reply = row.reply_text if row.reply_approved_at else row.answer_text
    agency = row.department or (_("12345 hotline centre") if row.answer_text else None)
    return {
        "service_request_id": row.number,
        "status": "closed" if closed else "open",
        "status_notes": desensitise(reply, names),
        "service_name": categories.get(row.category_code or ""),
        "service_code": row.category_code,
        "description": desensitise(row.content, names),
        "agency_responsible": agency,
        "service_notice": None,
        "requested_datetime": iso(row.created_at),
        "updated_datetime": iso(row.updated_at),
        "expected_datetime": iso(row.due_at),
        "address": desensitise(row.address, names) or regions.get(row.region_code or ""),
        "address_id": None,
        "zipcode": None,
        "lat": _rounded(row.lat),
        "long": _rounded(row.long),
        "media_url": None,
    }


def _date(name: str) -> dt.datetime | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name} must be a W3C date-time such as 2026-01-01T00:00:00Z") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _list(name: str) -> list[str]:
    return [v.strip() for v in request.args.get(name, "").split(",") if v.strip()]


@bp.get("/requests.<fmt>")
def get_requests(fmt: str):
    fmt = _format(fmt)
    key = _api_key(required=False)
    cfg = current_app.config
    query = _query(key)
    if ids := _list("service_request_id"):
        # The specification: a list of ids overrides every other argument.
        query = query.where(Ticket.number.in_(ids[: cfg["OPEN311_MAX_RESULTS"]]))
    else:
        span = dt.timedelta(days=cfg["OPEN311_MAX_DAYS"])
        start, end = _date("start_date"), _date("end_date")
        if start and end and end < start:
            raise Open311Error(400, "end_date is before start_date")
        if start and end and end - start > span:
            raise Open311Error(400, f"start_date and end_date may not span more than {span.days} days")
        if start is None and end is None:
            end = utcnow()
        if start is None:
            assert end is not None
            start = end - span
        elif end is None:
            end = start + span
        query = query.where(Ticket.created_at >= start, Ticket.created_at <= end)
        if codes := _list("service_code"):
            query = query.where(Ticket.category_code.in_(codes))
        if statuses := _list("status"):
            bad = [s for s in statuses if s not in ("open", "closed")]
            if bad:
                raise Open311Error(400, "status must be open or closed")
            wanted = set()
            if "open" in statuses:
                wanted |= {s.value for s in OPEN}
            if "closed" in statuses:
                wanted |= {s.value for s in Status if s not in OPEN}
            query = query.where(Ticket.status.in_(sorted(wanted)))
    rows = db.session.execute(
        query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(cfg["OPEN311_MAX_RESULTS"])
    ).all()
    categories, regions = names_by_code(Category), names_by_code(Region)
    return respond(fmt, "service_requests", [_as_request(r, categories, regions) for r in rows])


@bp.get("/requests/<request_id>.<fmt>")
def get_request(request_id: str, fmt: str):
    fmt = _format(fmt)
    key = _api_key(required=False)
    row = db.session.execute(_query(key).where(Ticket.number == request_id)).first()
    if row is None:
        raise Open311Error(404, f"service_request_id {request_id} was not found")
    categories, regions = names_by_code(Category), names_by_code(Region)
    return respond(fmt, "service_requests", [_as_request(row, categories, regions)])


@bp.get("/tokens/<token>.<fmt>")
def get_token(token: str, fmt: str):
    fmt = _format(fmt)
    number = db.session.scalar(
        select(Ticket.number)
        .join(PublicSubmission, PublicSubmission.ticket_id == Ticket.id)
        .where(PublicSubmission.token == token)
    )
    if number is None:
        raise Open311Error(404, f"token {token} was not found")
    return respond(fmt, "service_requests", [{"service_request_id": number, "token": token}])
