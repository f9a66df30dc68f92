"""The intake inbox (待派单): every ticket waiting in `accepted`, oldest first, with its claim, the routing
suggestion and possible duplicates; claiming and releasing. The outcomes go through the ticket actions."""

from __future__ import annotations

from flask import g, jsonify
from sqlalchemy import func, select

from hotline.actions import claims
from hotline.api import bp
from hotline.api.auth import login_required
from hotline.api.serialize import iso, tickets_to_dicts
from hotline.api.tickets import _int_arg
from hotline.extensions import db
from hotline.models import Ticket
from hotline.routing import duplicates, suggest
from hotline.workflow import Status

CENTRE = ("operator", "supervisor", "admin")


def _suggestion(item: dict) -> dict | None:
    """The first department the router proposes for this ticket (rule first, then the learned model)."""
    s = suggest.suggest(item["content"], region=item["region"], line=item["line"], category=item["category"], k=1)
    if s.get("rule"):
        rule = s["rule"]
        return {"department": rule["department"], "department_name": rule.get("department_name"), "by": "rule"}
    if s["suggestions"]:
        top = s["suggestions"][0]
        return {
            "department": top["department"],
            "department_name": top["department_name"],
            "confidence": top["confidence"],
            "by": "model",
        }
    return None


@bp.get("/inbox")
@login_required(CENTRE)
def inbox():
    page = _int_arg("page", 1, 1, 100_000)
    per_page = _int_arg("per_page", 20, 1, 50)
    waiting = select(Ticket).where(Ticket.status == Status.ACCEPTED.value)
    total = db.session.scalar(select(func.count()).select_from(waiting.subquery()))
    rows = list(
        db.session.scalars(waiting.order_by(Ticket.created_at, Ticket.id).limit(per_page).offset((page - 1) * per_page))
    )
    items = tickets_to_dicts(rows, g.user)
    held = claims.live_claims([t.id for t in rows])
    for item in items:
        claim = held.get(item["id"])
        item["claim"] = (
            {
                "by": claim["claimed_by"],
                "name": claim["claimed_by_name"],
                "until": iso(claim["claimed_until"]),
                "mine": claim["user_id"] == g.user.id,
            }
            if claim
            else None
        )
        item["returned"] = item["dispatch_rounds"] > 0  # an approved return waiting to be re-dispatched
        item["suggestion"] = _suggestion(item)
        item["duplicates"] = [
            {"id": d["id"], "number": d["number"], "reasons": d["reasons"]}
            for d in duplicates.find(
                item["content"], item["caller_phone"], item["address"], item["category"], exclude_id=item["id"], limit=3
            )
        ]
    return jsonify({"items": items, "page": page, "per_page": per_page, "total": total})


@bp.post("/inbox/<int:ticket_id>/claim")
@login_required(CENTRE)
def claim(ticket_id: int):
    result = claims.claim_ticket(ticket_id, g.user)
    return jsonify({**result, "claimed_until": iso(result["claimed_until"])})


@bp.delete("/inbox/<int:ticket_id>/claim")
@login_required(CENTRE)
def release(ticket_id: int):
    claims.release_claim(ticket_id, g.user)
    return "", 204
