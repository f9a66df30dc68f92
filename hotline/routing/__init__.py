"""按责转办: the dispatch catalogue engine, urgency detection, the learned suggester and duplicates."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Start-up work for a process that serves suggestions: jieba's dictionary is loaded here (≈0.5 s),
    not at import and not inside the first request."""
    if app.config.get("ROUTING_WARM_START", True):
        from hotline.routing.textmodel import initialize

        initialize()
