"""Prometheus metrics (prometheus_client): what each process counts, and the exposition for GET /metrics.

A low-level module (no models, no app, no settings of its own): actions count through it, hotline.ops serves it
with the directories of the settings object (METRICS_DIR, PROMETHEUS_MULTIPROC_DIR).

Under gunicorn several processes serve one host, so counters live in prometheus_client's multiprocess files:
each process group (socket, API, each worker) has its own directory, PROMETHEUS_MULTIPROC_DIR =
HOTLINE_METRICS_DIR/<group> (prometheus_client itself reads that variable), emptied when the group starts
(deploy/gunicorn.conf.py, hotline.worker), and /metrics merges every group's directory under HOTLINE_METRICS_DIR.
A group restarting alone empties only its own files. Without PROMETHEUS_MULTIPROC_DIR (tests, `make run`) the
counters are this process's own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector

REQUESTS = Counter(
    "hotline_http_requests", "HTTP requests answered, by endpoint, method and status", ["endpoint", "method", "status"]
)
LATENCY = Histogram(
    "hotline_http_request_seconds",
    "Time to answer an HTTP request in the app (proxy excluded), by endpoint",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
TICKETS_CREATED = Counter("hotline_tickets_created", "Tickets created, by channel", ["channel"])
ACTIONS = Counter("hotline_actions", "Ticket actions committed, by name", ["action"])
SOCKET_CONNECTIONS = Gauge(
    "hotline_socketio_connections", "Socket.IO consoles connected (/agents)", multiprocess_mode="livesum"
)


def multiprocess_dirs(metrics_dir: Path | None, own_dir: Path | None) -> list[Path]:
    """Every process group's metrics directory on this host (the METRICS_DIR setting's subdirectories), or this
    process's own (PROMETHEUS_MULTIPROC_DIR), or none."""
    if metrics_dir is not None and metrics_dir.is_dir():
        return sorted(p for p in metrics_dir.iterdir() if p.is_dir())
    return [own_dir] if own_dir is not None else []


def reset_own_dir(own_dir: Path | None, keep_pid: int) -> None:
    """A worker process at its start: files of the processes of an earlier run in its directory go."""
    if own_dir is not None:
        for file in own_dir.glob("*.db"):
            if not file.stem.endswith(f"_{keep_pid}"):
                file.unlink(missing_ok=True)


class _HostCollector(Collector):
    """prometheus_client's multiprocess merge over the files of all the host's process groups."""

    def __init__(self, dirs: list[Path]):
        self.dirs = dirs

    def collect(self) -> Iterable[Metric]:
        files = [str(f) for d in self.dirs for f in d.glob("*.db")]
        return MultiProcessCollector.merge(files, accumulate=True)


class _Live(Collector):
    """Figures read at scrape time (outbox backlog, queue lengths, ...): `read()` gives Metric objects."""

    def __init__(self, read: Callable[[], Iterable[Metric]]):
        self.read = read

    def collect(self) -> Iterable[Metric]:
        return self.read()


def exposition(live: Callable[[], Iterable[Metric]], dirs: list[Path]) -> bytes:
    """The Prometheus text of this host's counters (merged from `dirs`, or this process's own) plus the live
    figures."""
    if dirs:
        counted = CollectorRegistry()
        counted.register(_HostCollector(dirs))
    else:
        counted = REGISTRY
    read_now = CollectorRegistry()
    read_now.register(_Live(live))
    return generate_latest(counted) + generate_latest(read_now)


def observe_request(endpoint: str, method: str, status: int, started: float) -> None:
    REQUESTS.labels(endpoint, method, str(status)).inc()
    LATENCY.labels(endpoint).observe(time.perf_counter() - started)
