"""The OpenAPI 3 document of the JSON API, built from the same tables the routes use."""

from __future__ import annotations

from flask import jsonify

from hotline.api import bp
from hotline.validation import CHANNELS, RETURN_REASONS, TYPES, URGENCIES
from hotline.workflow import Status

_ERROR = {"$ref": "#/components/schemas/Error"}


def _resp(desc: str, schema: dict | None = None) -> dict:
    out: dict = {"description": desc}
    if schema:
        out["content"] = {"application/json": {"schema": schema}}
    return out


def _errors(*codes: int) -> dict:
    return {str(c): _resp("error", _ERROR) for c in codes}


ACTION_BODIES = {
    "assign": {"user": {"type": "string", "description": "username of a staff member of the lead department"}},
    "sub-dispatch": {
        "department": {"type": "string", "description": "a child of the ticket's department"},
        "note": {"type": "string"},
    },
    "approve-sub-reply": {
        "text": {"type": "string", "description": "the reply to the centre; default the child's reply"},
        "note": {"type": "string"},
    },
    "reject-sub-reply": {"note": {"type": "string"}},
    "answer": {"text": {"type": "string"}},
    "dispatch": {
        "department": {"type": "string"},
        "assisting": {"type": "array", "items": {"type": "string"}},
        "note": {"type": "string"},
    },
    "merge": {"into": {"oneOf": [{"type": "integer"}, {"type": "string"}]}},
    "not-accept": {"reason": {"type": "string"}},
    "hand-off": {"to": {"type": "string", "enum": ["110", "119", "120", "122"]}, "note": {"type": "string"}},
    "sign": {},
    "return": {"reason": {"type": "string", "enum": list(RETURN_REASONS)}, "note": {"type": "string"}},
    "approve-return": {"note": {"type": "string"}},
    "reject-return": {"note": {"type": "string"}},
    "request-extension": {
        "days": {"type": "integer", "minimum": 1, "maximum": 10},
        "reason": {"type": "string"},
    },
    "approve-extension": {"note": {"type": "string"}},
    "reject-extension": {"note": {"type": "string"}},
    "reply": {"text": {"type": "string", "maxLength": 4000}},
    "approve-reply": {"note": {"type": "string"}},
    "reject-reply": {"note": {"type": "string"}},
    "record-callback": {
        "resolved": {"type": "integer", "enum": [1, 2, 3]},
        "satisfaction": {"type": "integer", "enum": [1, 2, 3]},
        "note": {"type": "string"},
    },
    "reopen": {"note": {"type": "string"}},
    "close-unreachable": {"note": {"type": "string"}},
    "close-excluded": {"reason": {"type": "string", "description": "required: why the dissatisfaction is excluded"}},
    "urge": {"note": {"type": "string"}},
    "supervise": {"note": {"type": "string"}, "answer_hours": {"type": "integer"}},
    "answer-supervision": {"text": {"type": "string"}},
    "note": {"text": {"type": "string"}},
    "reclassify": {
        "reason": {"type": "string", "description": "required: why the ticket is corrected"},
        "category": {"type": "string"},
        "type": {"type": "string", "enum": list(TYPES)},
        "urgency": {"type": "string", "enum": list(URGENCIES)},
        "region": {"type": "string"},
        "address": {"type": "string"},
        "title": {"type": "string"},
    },
}


def _callback_paths() -> dict:
    """The manual calling list (回访) for supervisors."""
    cb_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    return {
        "/callbacks": {
            "get": {
                "summary": "Callbacks due now, with failed attempts, or all open (supervisor)",
                "parameters": [
                    {"name": "list", "in": "query", "schema": {"type": "string", "enum": ["due", "failed", "open"]}}
                ],
                "responses": {"200": _resp("{list, items: [callback]}"), **_errors(401, 403, 422)},
            }
        },
        "/tickets/{id}/callbacks": {
            "get": {
                "summary": "Every callback round of a ticket with its attempts (centre)",
                "parameters": [cb_id],
                "responses": {"200": _resp("a list of callbacks"), **_errors(401, 403, 404)},
            }
        },
        "/callbacks/{id}": {
            "get": {
                "summary": "One callback with its attempts",
                "parameters": [cb_id],
                "responses": {"200": _resp("the callback"), **_errors(401, 403, 404)},
            }
        },
        "/callbacks/{id}/attempts": {
            "post": {
                "summary": "Record a manual callback call; answers close or queue the ticket as record-callback does",
                "parameters": [cb_id],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["outcome"],
                                "properties": {
                                    "outcome": {
                                        "type": "string",
                                        "enum": ["answered", "no-answer", "busy", "refused", "wrong-number"],
                                    },
                                    "resolved": {"type": "integer", "enum": [1, 2, 3]},
                                    "satisfaction": {"type": "integer", "enum": [1, 2, 3]},
                                    "note": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": {"201": _resp("the callback"), **_errors(400, 401, 403, 404, 409, 422)},
            }
        },
    }


def _console_paths(paths: dict) -> dict:
    """What the agents' consoles call besides tickets (issue 5)."""
    idp = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    q = [
        {"name": "q", "in": "query", "schema": {"type": "string"}},
        {"name": "category", "in": "query", "schema": {"type": "string"}},
    ]
    article = {
        "type": "object",
        "properties": {k: {"type": "string"} for k in ("title", "body", "category", "keywords")},
    }
    body = {"required": True, "content": {"application/json": {"schema": article}}}
    attach = dict(paths.get("/tickets/{id}/attachments", {}))
    attach["post"] = {
        "summary": "Add a photo (multipart field 'file'; JPEG/PNG/GIF/WebP/HEIC by its bytes; at most 5 MB)",
        "parameters": idp,
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
                }
            },
        },
        "responses": {"201": _resp("the attachment"), **_errors(401, 403, 404, 409, 413, 422)},
    }
    return {
        "/catalogue/categories": {
            "get": {
                "summary": "The category tree, flat, parents first",
                "responses": {"200": _resp("[{code, name, parent, level, path}]")},
            }
        },
        "/catalogue/regions": {
            "get": {"summary": "Regions", "responses": {"200": _resp("[{code, name, parent, level}]")}}
        },
        "/catalogue/departments": {
            "get": {
                "summary": "Active departments",
                "responses": {"200": _resp("[{code, name, kind, region, dispatchable}]")},
            }
        },
        "/callers/history": {
            "get": {
                "summary": "Screen-pop: the caller's tickets (open first) and the repeat-caller flag",
                "parameters": [{"name": "phone", "in": "query", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _resp("{phone, name, known, open, recent, repeat, tickets}"), **_errors(403, 422)},
            }
        },
        "/knowledge": {
            "get": {
                "summary": "Search the knowledge base (Chinese bigrams)",
                "parameters": q,
                "responses": {"200": _resp("{items, tokens}")},
            },
            "post": {
                "summary": "Add an article (supervisor)",
                "requestBody": body,
                "responses": {"201": _resp("the article"), **_errors(403, 422)},
            },
        },
        "/knowledge/{id}": {
            "get": {
                "summary": "One article",
                "parameters": idp,
                "responses": {"200": _resp("the article"), **_errors(404)},
            },
            "put": {
                "summary": "Change an article (supervisor)",
                "parameters": idp,
                "requestBody": body,
                "responses": {"200": _resp("the article"), **_errors(403, 404, 422)},
            },
            "delete": {
                "summary": "Withdraw an article (supervisor)",
                "parameters": idp,
                "responses": {"204": {"description": "withdrawn"}, **_errors(403, 404)},
            },
        },
        "/wallboard": {
            "get": {
                "summary": "Wallboard figures: today by state, open, overdue, callback queue, charts",
                "responses": {"200": _resp("the figures"), **_errors(403)},
            }
        },
        "/tickets/{id}/attachments": attach,
    }


def _call_centre_paths() -> dict:
    """The call centre (issue 6): presence, calls and the call-back list, leader slots, figures."""
    call_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}

    def body(required: list[str], props: dict) -> dict:
        return {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object", "required": required, "properties": props}}},
        }

    presence = {
        "status": {"type": "string", "enum": ["available", "busy", "after_call", "away"]},
        "seconds": {"type": "integer", "minimum": 1, "maximum": 1800, "description": "after_call: how long"},
    }
    return {
        "/operators/presence": {
            "get": {
                "summary": "Centre staff's presence, longest idle first",
                "responses": {"200": _resp("[presence]"), **_errors(401, 403)},
            }
        },
        "/operators/me/presence": {
            "get": {"summary": "My presence", "responses": {"200": _resp("presence"), **_errors(401, 403)}},
            "put": {
                "summary": "Set my presence (available / busy / after_call with a timer / away)",
                "requestBody": body(["status"], presence),
                "responses": {"200": _resp("presence"), **_errors(400, 401, 403, 422)},
            },
            "post": {
                "summary": "The same as PUT (for clients that can only POST)",
                "requestBody": body(["status"], presence),
                "responses": {"200": _resp("presence"), **_errors(400, 401, 403, 422)},
            },
        },
        "/calls": {
            "get": {
                "summary": "Call records, newest first; callback=1 gives the call-back list",
                "parameters": [
                    {"name": "callback", "in": "query", "schema": {"type": "string", "enum": ["1"]}},
                    {"name": "outcome", "in": "query", "schema": {"type": "string"}},
                    {"name": "page", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {"200": _resp("[call]"), **_errors(401, 403, 422)},
            }
        },
        "/calls/{id}": {
            "get": {
                "summary": "One call record",
                "parameters": [call_id],
                "responses": {"200": _resp("call"), **_errors(401, 403, 404)},
            }
        },
        "/telephony/token": {
            "get": {
                "summary": "The softphone's Twilio Access Token with a Voice grant: {token, identity}",
                "responses": {"200": _resp("token"), **_errors(401, 403, 409)},
            }
        },
        "/calls/{id}/console/answer": {
            "post": {
                "summary": "Console provider: answer the call ringing at me",
                "parameters": [call_id],
                "responses": {"200": _resp("call"), **_errors(401, 403, 404, 409)},
            }
        },
        "/calls/{id}/console/hang-up": {
            "post": {
                "summary": "Console provider: hang up my call",
                "parameters": [call_id],
                "responses": {"200": _resp("call"), **_errors(401, 403, 404, 409)},
            }
        },
        "/calls/{id}/hold": {
            "post": {
                "summary": "Hold (保持): the caller hears the hold music (a worker moves the caller's leg)",
                "parameters": [call_id],
                "responses": {"202": _resp("call"), **_errors(401, 403, 404, 409)},
            }
        },
        "/calls/{id}/resume": {
            "post": {
                "summary": "Resume a held call: the caller's leg dials the operator again",
                "parameters": [call_id],
                "responses": {"202": _resp("call"), **_errors(401, 403, 404, 409)},
            }
        },
        "/calls/{id}/consult": {
            "post": {
                "summary": "Warm transfer (咨询转接): bring a department or a supervisor into the call",
                "parameters": [call_id],
                "requestBody": body([], {"department": {"type": "string"}, "supervisor": {"type": "boolean"}}),
                "responses": {"202": _resp("call"), **_errors(400, 401, 403, 404, 409, 422)},
            }
        },
        "/calls/{id}/consult/complete": {
            "post": {
                "summary": "Warm transfer: leave the caller with the person consulted",
                "parameters": [call_id],
                "responses": {"202": _resp("call"), **_errors(401, 403, 404, 409)},
            }
        },
        "/calls/{id}/consult/cancel": {
            "post": {
                "summary": "Warm transfer: take the caller back (the person consulted leaves)",
                "parameters": [call_id],
                "responses": {"202": _resp("call"), **_errors(401, 403, 404, 409)},
            }
        },
        "/calls/outgoing": {
            "post": {
                "summary": "Console provider: the softphone calls a citizen out (to, callback_of?, ticket?)",
                "requestBody": body(
                    ["to"],
                    {"to": {"type": "string"}, "callback_of": {"type": "integer"}, "ticket": {"type": "integer"}},
                ),
                "responses": {"201": _resp("call"), **_errors(400, 401, 403, 409, 422)},
            }
        },
        "/calls/{id}/ticket": {
            "post": {
                "summary": "Link the call to the ticket made from it",
                "parameters": [call_id],
                "requestBody": body(["ticket"], {"ticket": {"type": "integer"}}),
                "responses": {"200": _resp("call"), **_errors(400, 401, 403, 404, 409, 422)},
            }
        },
        "/calls/{id}/call-back": {
            "post": {
                "summary": "Call the missed caller back (placed by a worker through Twilio)",
                "parameters": [call_id],
                "responses": {"202": _resp("call"), **_errors(401, 403, 404, 409)},
            }
        },
        "/calls/{id}/called-back": {
            "post": {
                "summary": "Record that the caller was called back from a desk phone",
                "parameters": [call_id],
                "responses": {"200": _resp("call"), **_errors(401, 403, 404, 409)},
            }
        },
        "/leader-slots": {
            "get": {"summary": "Leader answering slots (领导接听)", "responses": {"200": _resp("[slot]")}},
            "post": {
                "summary": "Schedule a leader to answer calls first in a period",
                "requestBody": body(
                    ["leader", "starts_at", "ends_at"],
                    {
                        "leader": {"type": "string"},
                        "starts_at": {"type": "string", "format": "date-time"},
                        "ends_at": {"type": "string", "format": "date-time"},
                        "note": {"type": "string"},
                    },
                ),
                "responses": {"201": _resp("slot"), **_errors(400, 401, 403, 409, 422)},
            },
        },
        "/leader-slots/{id}": {
            "delete": {
                "summary": "Remove a leader slot",
                "parameters": [call_id],
                "responses": {"204": _resp("removed"), **_errors(401, 403, 404)},
            }
        },
        "/reports/calls": {
            "get": {
                "summary": "Call-centre figures: answer rate, answered within 15 s, average wait and talk, "
                "abandon rate, missed calls called back",
                "parameters": [
                    {"name": "from", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}},
                    {"name": "to", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}},
                ],
                "responses": {"200": _resp("figures"), **_errors(401, 403, 422)},
            }
        },
    }


def _int_path(name: str = "id") -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


def _query(name: str, kind: str = "string", desc: str | None = None, **schema) -> dict:
    out: dict = {"name": name, "in": "query", "schema": {"type": kind, **schema}}
    if desc:
        out["description"] = desc
    return out


def _json_body(props: dict, required: list[str] | None = None) -> dict:
    schema: dict = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    return {"required": True, "content": {"application/json": {"schema": schema}}}


# GET /api/v1/tickets and GET /api/v1/tickets/export.xlsx take the same filters (hotline.search).
SEARCH_FILTERS = [
    _query("q", desc="words in the content, title, address or reply (Chinese included)"),
    _query("phone", desc="the caller's phone"),
    _query("number", desc="the ticket number"),
    _query("category", desc="a category code at any level (everything under it)"),
    _query("region", desc="a division code at any level (everything under it)"),
    _query("type", desc="comma-separated: " + ",".join(TYPES)),
    _query("channel", desc="comma-separated: " + ",".join(CHANNELS)),
    _query("urgency", desc="comma-separated: " + ",".join(URGENCIES)),
    _query("status", desc="comma-separated statuses"),
    _query("department", desc="the lead department's code"),
    _query("handler", desc="me: the tickets the caller is the handling officer of", enum=["me"]),
    _query("overdue", enum=["true", "false"]),
    _query("created_from", format="date", desc="first day (Asia/Shanghai), included"),
    _query("created_to", format="date", desc="last day (Asia/Shanghai), included"),
]


def _intake_and_supervision_paths() -> dict:
    """The intake inbox, the supervisors' queues, reply templates, exports (issue 17) and what issue 14 and the
    call centre added besides."""
    template = {
        "title": {"type": "string", "maxLength": 40},
        "text": {"type": "string", "maxLength": 1000},
        "category": {"type": "string", "nullable": True},
    }
    queue_names = ["returns", "extensions", "replies", "dissatisfied", "callbacks", "escalated"]
    page = [_query("page", "integer", minimum=1), _query("per_page", "integer", minimum=1)]
    return {
        "/inbox": {
            "get": {
                "summary": "待派单: tickets in accepted, oldest first, with claims, suggestions, duplicates (centre)",
                "parameters": page,
                "responses": {"200": _resp("{items, page, per_page, total}"), **_errors(401, 403, 422)},
            }
        },
        "/inbox/{id}/claim": {
            "post": {
                "summary": "Claim a waiting ticket (lapses after 10 minutes idle); 409 when another holds it",
                "parameters": [_int_path()],
                "responses": {"200": _resp("{ticket_id, claimed_by, claimed_until}"), **_errors(401, 403, 404, 409)},
            },
            "delete": {
                "summary": "Release one's claim",
                "parameters": [_int_path()],
                "responses": {"204": _resp("released"), **_errors(401, 403, 404)},
            },
        },
        "/queues": {
            "get": {
                "summary": "How many tickets wait in each supervision queue, counted in full (the wallboard's cards)",
                "responses": {
                    "200": _resp(
                        "{queue name: count}",
                        {"type": "object", "additionalProperties": {"type": "integer"}},
                    ),
                    **_errors(401, 403),
                },
            }
        },
        "/queues/supervisor": {
            "get": {
                "summary": "The first 200 tickets of each queue in one answer (kept for old clients; page with "
                "/queues/{name})",
                "responses": {"200": _resp("{returns, extensions, replies, ...}"), **_errors(401, 403)},
            }
        },
        "/queues/{name}": {
            "get": {
                "summary": "One supervision queue, paged, oldest first",
                "parameters": [
                    {"name": "name", "in": "path", "required": True, "schema": {"type": "string", "enum": queue_names}},
                    *page,
                ],
                "responses": {"200": _resp("{queue, items, page, per_page, total}"), **_errors(401, 403, 404, 422)},
            }
        },
        "/reply-templates": {
            "get": {
                "summary": "常用语: standard phrases, optionally of one category",
                "parameters": [_query("category")],
                "responses": {"200": _resp("a list of templates"), **_errors(401, 422)},
            },
            "post": {
                "summary": "Add a standard phrase (supervisor)",
                "requestBody": _json_body(template, ["title", "text"]),
                "responses": {"201": _resp("the template"), **_errors(400, 401, 403, 422)},
            },
        },
        "/reply-templates/{id}": {
            "put": {
                "summary": "Change a standard phrase (supervisor)",
                "parameters": [_int_path()],
                "requestBody": _json_body(template),
                "responses": {"200": _resp("the template"), **_errors(400, 401, 403, 404, 422)},
            },
            "delete": {
                "summary": "Remove a standard phrase (supervisor)",
                "parameters": [_int_path()],
                "responses": {"204": _resp("removed"), **_errors(401, 403, 404)},
            },
        },
        "/tickets/export.xlsx": {
            "get": {
                "summary": "The search's tickets as an XLSX workbook (up to 50,000 rows, streamed, masked as the "
                "caller sees them, formula-safe)",
                "parameters": SEARCH_FILTERS,
                "responses": {
                    "200": {
                        "description": "the workbook",
                        "content": {
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                                "schema": {"type": "string", "format": "binary"}
                            }
                        },
                    },
                    **_errors(401, 422),
                },
            }
        },
        "/calendar/status": {
            "get": {
                "summary": "Today and the years still provisional (the calendar banner)",
                "responses": {"200": _resp("{today, provisional_years}"), **_errors(401)},
            }
        },
        "/calendar/overrides": {
            "get": {
                "summary": "Local changes to the official calendar (supervisor, admin)",
                "responses": {"200": _resp("a list of {date, workday, note}"), **_errors(401, 403)},
            }
        },
        "/calendar/overrides/{date}": {
            "put": {
                "summary": "Make a day a working day or not, locally (admin)",
                "parameters": [{"name": "date", "in": "path", "required": True, "schema": {"type": "string"}}],
                "requestBody": _json_body(
                    {"workday": {"type": "boolean"}, "note": {"type": "string", "maxLength": 200}}, ["workday"]
                ),
                "responses": {"200": _resp("{date, workday, note}"), **_errors(400, 401, 403, 422)},
            },
            "delete": {
                "summary": "Drop a local change (admin)",
                "parameters": [{"name": "date", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"204": _resp("dropped"), **_errors(401, 403, 404, 422)},
            },
        },
        "/calls/{id}/recording": {
            "get": {
                "summary": "A voice message's audio (WAV), once the worker has fetched it (centre)",
                "parameters": [_int_path()],
                "responses": {"200": {"description": "the audio", "content": {"audio/wav": {}}}, **_errors(401, 404)},
            }
        },
        "/calls/{id}/tickets": {
            "post": {
                "summary": "The intake form of a call: 201 and the ticket, linked to the call, with its retrieval code",
                "parameters": [_int_path()],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewTicket"}}},
                },
                "responses": {"201": _resp("the ticket"), **_errors(400, 401, 403, 404, 409, 422)},
            }
        },
        "/calls/{id}/transfer": {
            "post": {
                "summary": "转接 a call in progress to a department's hotline number or to a supervisor; 202",
                "parameters": [_int_path()],
                "requestBody": _json_body({"department": {"type": "string"}, "supervisor": {"type": "boolean"}}),
                "responses": {"202": _resp("the call"), **_errors(400, 401, 403, 404, 409, 422)},
            }
        },
        "/openapi.json": {
            "get": {"summary": "This document", "security": [], "responses": {"200": _resp("OpenAPI 3")}}
        },
    }


def document() -> dict:
    ticket_ref = {"$ref": "#/components/schemas/Ticket"}
    paths: dict = {
        "/auth/token": {
            "post": {
                "summary": "Exchange a username and password for a bearer token",
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["username", "password"],
                                "properties": {
                                    "username": {"type": "string"},
                                    "password": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _resp("a token", {"type": "object", "properties": {"token": {"type": "string"}}}),
                    **_errors(400, 401, 422, 429),
                },
            },
            "delete": {
                "summary": "Revoke the bearer token this request presents",
                "responses": {"204": _resp("revoked"), **_errors(401)},
            },
        },
        "/tickets": {
            "post": {
                "summary": "Create a ticket (operator)",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewTicket"}}},
                },
                "responses": {
                    "201": _resp("the ticket, with its retrieval code", ticket_ref),
                    **_errors(400, 401, 403, 422),
                },
            },
            "get": {
                "summary": "List tickets visible to the caller",
                "parameters": [
                    *SEARCH_FILTERS,
                    _query("page", "integer", minimum=1),
                    _query("per_page", "integer", minimum=1),
                    _query("updated_since", format="date-time", desc="only tickets changed since (a sync)"),
                ],
                "responses": {"200": _resp("a page of tickets, with a total counted up to 1,000"), **_errors(401, 422)},
            },
        },
        "/tickets/{id}": {
            "get": {
                "summary": "One ticket with its timeline",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": _resp("the ticket", ticket_ref), **_errors(401, 404)},
            }
        },
        "/public/tickets/{number}": {
            "get": {
                "summary": "Public status by ticket number and retrieval code",
                "security": [],
                "parameters": [
                    {"name": "number", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "code", "in": "query", "required": True, "schema": {"type": "string"}},
                ],
                "responses": {"200": _resp("the public status"), **_errors(404, 429)},
            }
        },
        "/public/tickets/{number}/code": {
            "post": {
                "summary": "忘记提取码: a new retrieval code by SMS to the caller (always 202; 3 a ticket a day)",
                "security": [],
                "parameters": [{"name": "number", "in": "path", "required": True, "schema": {"type": "string"}}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["phone"],
                                "properties": {"phone": {"type": "string"}},
                            }
                        }
                    },
                },
                "responses": {"202": _resp("accepted, whatever the number and phone"), **_errors(400, 422, 429)},
            }
        },
        "/public/rankings": {
            "get": {
                "summary": "办理情况公开: the departments' figures and rank for a closed month",
                "security": [],
                "parameters": [
                    {"name": "month", "in": "query", "required": False, "schema": {"type": "string"}},
                ],
                "responses": {"200": _resp("{month, min_tickets, departments: [...]}"), **_errors(422)},
            }
        },
        "/calendar/days/{date}": {
            "get": {
                "summary": "One day of the working calendar: {date, workday, name, source}",
                "parameters": [{"name": "date", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _resp("the day"), **_errors(401, 422)},
            }
        },
        "/calendar/import": {
            "post": {
                "summary": "Import a year's official schedule (CSV date,workday,name; admin); all or nothing",
                "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}},
                "responses": {"200": _resp("{year, days, changed_days, tickets_moved}"), **_errors(401, 403, 413, 422)},
            }
        },
        "/tickets/{id}/attachments": {
            "get": {
                "summary": "Photos sent with the ticket's web message (staff who see the ticket)",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": _resp("a list of {id, content_type, size, created_at, url}"), **_errors(401, 404)},
            }
        },
        "/tickets/{id}/attachments/{attachment_id}": {
            "get": {
                "summary": "One photo, with the type found from its bytes",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                    {"name": "attachment_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                ],
                "responses": {"200": _resp("the image"), **_errors(401, 404)},
            }
        },
    }
    paths.update(_callback_paths())
    paths.update(_console_paths(paths))
    paths.update(_call_centre_paths())
    paths.update(_intake_and_supervision_paths())
    for action, props in ACTION_BODIES.items():
        paths[f"/tickets/{{id}}/actions/{action}"] = {
            "post": {
                "summary": f"Action: {action}",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "requestBody": {
                    "required": False,
                    "content": {"application/json": {"schema": {"type": "object", "properties": props}}},
                },
                "responses": {
                    "200": _resp("the updated ticket", ticket_ref),
                    **_errors(400, 401, 403, 404, 409, 422),
                },
            }
        }
    from hotline.api.people import openapi_paths as people_paths
    from hotline.api.reports import openapi_paths as report_paths
    from hotline.api.routing import openapi_paths as routing_paths

    paths.update(report_paths())
    paths.update(routing_paths())
    paths.update(people_paths())
    return {
        "openapi": "3.0.3",
        "info": {"title": "12345 hotline API", "version": "1.0.0"},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                            },
                        }
                    },
                },
                "NewTicket": {
                    "type": "object",
                    "required": ["type", "content", "caller_phone"],
                    "properties": {
                        "channel": {"type": "string", "enum": list(CHANNELS)},
                        "type": {"type": "string", "enum": list(TYPES)},
                        "urgency": {"type": "string", "enum": list(URGENCIES)},
                        "category": {"type": "string"},
                        "region": {"type": "string"},
                        "address": {"type": "string"},
                        "occurred_at": {
                            "type": "string",
                            "format": "date-time",
                            "description": "when the matter happened (default: the intake time)",
                        },
                        "content": {"type": "string", "maxLength": 4000},
                        "caller_phone": {"type": "string"},
                        "caller_name": {"type": "string"},
                        "publishable": {"type": "boolean"},
                        "line": {"type": "string"},
                    },
                },
                "Ticket": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "number": {"type": "string"},
                        "status": {"type": "string", "enum": [s.value for s in Status]},
                        "type": {"type": "string"},
                        "urgency": {"type": "string"},
                        "channel": {"type": "string"},
                        "category": {"type": "string", "nullable": True},
                        "region": {"type": "string", "nullable": True},
                        "department": {"type": "string", "nullable": True},
                        "assisting": {"type": "array", "items": {"type": "string"}},
                        "sign_due_at": {"type": "string", "format": "date-time", "nullable": True},
                        "due_at": {"type": "string", "format": "date-time", "nullable": True},
                        "overdue": {"type": "boolean"},
                        "created_at": {"type": "string", "format": "date-time"},
                        "updated_at": {"type": "string", "format": "date-time"},
                        "timeline": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    k: {"type": "string", "nullable": True}
                                    for k in (
                                        "at",
                                        "action",
                                        "actor",
                                        "from_status",
                                        "to_status",
                                        "department",
                                        "note",
                                    )
                                },
                            },
                        },
                    },
                },
            },
        },
    }


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(document())
