"""gunicorn settings shared by the socket group and the API group (deploy/systemd, `make deploy-local`):
`gunicorn -c deploy/gunicorn.conf.py ...`; the groups' sizes stay on their command lines.

Metrics: each group writes prometheus_client's multiprocess files in its own PROMETHEUS_MULTIPROC_DIR, emptied
here when the group starts (files of an earlier run would be summed in; this file is read before any process
imports the app); a worker process that exits is marked dead, so its live gauges (Socket.IO connections) stop
counting."""

import os
from pathlib import Path

from prometheus_client import multiprocess

_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip()
if _metrics_dir:
    Path(_metrics_dir).mkdir(parents=True, exist_ok=True)
    for _file in Path(_metrics_dir).glob("*.db"):
        _file.unlink(missing_ok=True)


def child_exit(server, worker):
    if _metrics_dir:
        multiprocess.mark_process_dead(worker.pid)


# After a stop signal, a process still running this long is killed. The app's requests take milliseconds; a
# worker process sometimes lingered ~9 s after "Worker exiting" (on its interpreter's exit), which made every
# restart that slow.
graceful_timeout = 3
