"""Retraining the dispatch suggester runs here, on a worker, never inside a request."""

from __future__ import annotations

from hotline.tasks import job


@job(queue="low", timeout=1800, result_ttl=3600)
def retrain(actor: str = "system") -> int:
    """Train on the catalogue and the closed tickets; store the next model version and activate it.
    Running it twice stores two versions; the newest is active, so the outcome is the same."""
    from hotline.routing.suggest import train_and_store

    return train_and_store(actor).version
