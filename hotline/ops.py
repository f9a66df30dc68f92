"""Operations endpoints: GET /healthz (alive, no I/O), GET /readyz (the checks of hotline.health, 503 when one
fails), GET /metrics (Prometheus text, only from HOTLINE_METRICS_ALLOW); and the per-request counters."""

from __future__ import annotations

import ipaddress
import time

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request

from hotline import health, metrics
from hotline.config import settings

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    ready, checks = health.readiness()
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


@bp.get("/metrics")
def prometheus_metrics():
    if not allowed(request.remote_addr, current_app.config["METRICS_ALLOW_NETWORKS"]):
        return jsonify(error={"code": "forbidden", "message": "metrics are not served to this address"}), 403
    s = settings()
    dirs = metrics.multiprocess_dirs(s.METRICS_DIR, s.PROMETHEUS_MULTIPROC_DIR)
    return Response(metrics.exposition(health.live_metrics, dirs), mimetype="text/plain; version=0.0.4; charset=utf-8")


def allowed(address: str | None, networks: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in net for net in networks)


def parse_allow(value: str) -> tuple:
    """HOTLINE_METRICS_ALLOW: addresses or networks separated by commas or spaces; a bad one stops the start."""
    networks = []
    for item in value.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise SystemExit(f"HOTLINE_METRICS_ALLOW: {item!r} is not an address or network") from None
    return tuple(networks)


def _start_timer() -> None:
    g.request_started = time.perf_counter()


def _count(response):
    started = g.get("request_started")
    if started is not None:
        rule = request.url_rule
        metrics.observe_request(rule.rule if rule else "<unmatched>", request.method, response.status_code, started)
    return response


def init_app(app: Flask) -> None:
    app.config["METRICS_ALLOW_NETWORKS"] = parse_allow(app.config["METRICS_ALLOW"])
    app.register_blueprint(bp)
    app.before_request(_start_timer)
    app.after_request(_count)
