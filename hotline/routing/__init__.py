"""按责转办: the dispatch catalogue engine, urgency detection, the learned suggester and duplicates."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Start-up work for a process that serves suggestions: jieba's dictionary is loaded (≈0.5-1 s of CPU) in a
    background thread as the app starts, not at import and not inside the first request (one that comes earlier
    waits for it). HOTLINE_ROUTING_WARM_START=0 in the processes that serve none (deploy/)."""
    if app.config.get("ROUTING_WARM_START", True):
        import threading

        from hotline.routing.textmodel import initialize

        threading.Thread(target=initialize, name="routing-warm-start", daemon=True).start()
