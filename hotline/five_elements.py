"""受理五要素: what an intake must record before dispatch (DOMAIN.md "Intake"): who, when it happened, where,
the cause (the matter's category) and what happened. Pure: the consoles show what is missing."""

from __future__ import annotations

from typing import Any

ELEMENTS = ("who", "when", "where", "cause", "what")
MIN_WHAT = 10  # characters: fewer cannot say what happened


def missing(
    *,
    caller: Any,
    occurred_at: Any,
    region: str | None,
    address: str | None,
    category: str | None,
    content: str | None,
) -> list[str]:
    """The elements not yet recorded, in ELEMENTS order."""
    present = {
        "who": bool(caller),
        "when": occurred_at is not None,
        "where": bool(region) and bool((address or "").strip()),
        "cause": bool(category),
        "what": len((content or "").strip()) >= MIN_WHAT,
    }
    return [e for e in ELEMENTS if not present[e]]
