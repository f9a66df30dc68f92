"""/agents/simulator: the live-day switch (hotline.demo.live). While it is on, the worker keeps calls, SMS and
web messages arriving at the chosen rate; it is off by default and turns itself off after 8 hours."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from agents_ui.views import bp, page, roles
from hotline.demo import live


@bp.get("/agents/simulator")
@roles("supervisor", "admin")
def simulator_page():
    try:
        rate, error = live.live_rate(), None
    except Exception:  # noqa: BLE001 - Redis down: say so instead of failing the page
        rate, error = 0, _("Redis is not reachable; the live day cannot run.")
    return page("agents/simulator.html", rate=rate, error=error, max_rate=live.MAX_RATE)


@bp.post("/agents/simulator")
@roles("supervisor", "admin")
def simulator_switch():
    raw = request.form.get("rate", "0") if request.form.get("switch") == "on" else "0"
    try:
        rate = int(raw)
    except ValueError:
        rate = -1
    if not 0 <= rate <= live.MAX_RATE:
        flash(_("The rate must be a whole number from 1 to %(n)d a minute.", n=live.MAX_RATE))
        return redirect(url_for("agents.simulator_page")), 303
    live.set_live_rate(rate)
    return redirect(url_for("agents.simulator_page")), 303
