#!/usr/bin/env python
"""Intake benchmark: how many tickets per second the JSON API takes, and how fast they read back.

Prints figures, not pass/fail. Run from the repository root with the project's venv:

    .venv/bin/python bench/intake.py [--n 2000] [--concurrency 8] [--workers 2] [--threads 2]
                                     [--keep] [--json] [--ref HEAD] [--py-spy FILE]
    .venv/bin/python bench/intake.py --url http://127.0.0.1:8080 [--database-url URL] ...

--url URL measures a deployment that is already running (`make deploy-local`: through its nginx) instead of
starting gunicorn on a scratch database: no database or server of its own, the demo operator logs in there,
the tickets stay. Start it with the status lookups' limit out of reach, as the bench does for its own server
(HOTLINE_PUBLIC_LOOKUP_RATE_LIMIT="1000000000 per minute;1000000000 per hour"): every client is one address.
--database-url (the deployment's database) adds the ticket-number check in the database; the baseline runs on
--admin-url's database either way. CPU is counted per part of a deploy-local on the same machine (nginx, api,
socket, worker: found by the port), else it is in "other"; --py-spy samples its API group.

--ref REF serves a `git archive` snapshot of REF instead of the working tree (useful while the
tree is mid-edit); --py-spy FILE samples the gunicorn worker (GIL holder) during intake and prints
where its CPU goes (needs `.venv/bin/pip install py-spy`; it slows the server somewhat).

What it does, all in one run:
  1. drops and recreates a scratch PostgreSQL database (default `hotline_bench` on the server of
     --admin-url), flushes Redis db 13, runs `flask --app wsgi db upgrade` and `seed-demo` on it;
  2. baseline: raw psycopg `INSERT ...; COMMIT`, one ticket-sized row per transaction into a
     scratch table, at the same concurrency, to show what the database alone can do;
  3. starts gunicorn (gthread) on 127.0.0.1:8771 against that database and waits until it answers;
  4. logs in as the demo operator, creates --n tickets through POST /api/v1/tickets (varied
     Chinese content, leaf categories from categories.csv, regions from regions.csv), then reads
     each back with GET /api/v1/tickets/<id>, then checks each through the public status endpoint
     GET /api/v1/public/tickets/<number>?code=<retrieval_code>;
  5. prints throughput and latency percentiles per phase, CPU seconds per process group over the
     phase (server = gunicorn master + workers; postgres / redis = every such process on the
     machine; client = this process; other = the rest of the machine's busy time, e.g. another
     test run), a summary table against the targets, and cleans up (gunicorn stopped, database
     dropped unless --keep).

The load generator is plain threads over http.client with keep-alive (one connection per thread),
and runs on the same machine as the server and PostgreSQL: the figures are for client, server
and database sharing the machine's cores.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import itertools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
SRC = ROOT  # the source tree that is migrated and served (--ref runs a git snapshot instead)

TARGET_INTAKE_RPS = 400.0
TARGET_INTAKE_P99_MS = 50.0
TARGET_STATUS_RPS = 1000.0

OUT = sys.stdout  # human-readable output; moved to stderr with --json


def say(*parts: object) -> None:
    print(*parts, file=OUT, flush=True)


# --------------------------------------------------------------------------------------------
# Realistic intake payloads
# --------------------------------------------------------------------------------------------

ROADS = (
    "叠嶂中路",
    "鳌峰路",
    "昭亭北路",
    "梅园路",
    "状元南路",
    "薰化路",
    "宝城路",
    "府山路",
    "敬亭路",
    "水阳江大道",
    "锦城路",
    "梅溪路",
    "宣城大道",
    "健康路",
    "响山路",
    "双塔路",
)
ESTATES = (
    "阳光花园",
    "锦绣江南",
    "梅园新村",
    "敬亭苑",
    "恒大名都",
    "碧桂园",
    "东方明珠小区",
    "御景园",
    "金色家园",
    "宛陵小区",
    "水岸名都",
    "奥林匹克花园",
    "政通小区",
    "日月潭小区",
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
DURATIONS = ("三天", "一周", "半个多月", "一个多月", "两个月", "近半年", "每天晚上", "每逢周末")
IMPACTS = (
    "严重影响周边居民的正常生活和休息",
    "给附近老人和孩子出行带来安全隐患",
    "小区居民意见很大",
    "已影响到沿街商户的正常经营",
    "来电人表示情绪较为激动",
    "存在较大安全隐患，担心发生意外",
    "雨天积水严重，行人无法通行",
)
ASKS = (
    "希望相关部门尽快到现场核实处理",
    "请求有关部门协调解决，并给予答复",
    "要求相关部门依法查处",
    "希望尽快安排人员处理，处理后请回复",
    "请职能部门核实情况后电话联系来电人",
)
HISTORY = (
    "此前已向物业和社区反映过，至今未得到解决。",
    "来电人称已多次拨打12345反映，问题反复出现。",
    "",
    "",
    "来电人表示可以配合现场核实。",
    "来电人要求对其个人信息保密。",
)
QUESTIONS = (
    "需要准备哪些材料、在哪里办理、多长时间能办结",
    "申请条件和办理流程",
    "目前的收费标准和依据",
    "是否可以在网上办理，具体入口在哪里",
    "相关补贴的发放时间和标准",
    "政策的执行时间以及是否适用于外地户籍人员",
)


@dataclass
class Catalogue:
    categories: list[tuple[str, str, str, str]]  # code, level1, level2, level3
    regions: list[tuple[str, str, str]]  # code, name, level


def load_catalogue() -> Catalogue:
    data = SRC / "hotline" / "data"
    with open(data / "categories.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    codes = {r["code"] for r in rows}
    # Leaf categories: a third level, and no other code below this one.
    leaves = [
        (r["code"], r["level1"], r["level2"], r["level3"])
        for r in rows
        if r["level3"] and not any(c != r["code"] and c.startswith(r["code"]) for c in codes)
    ]
    with open(data / "regions.csv", encoding="utf-8-sig") as fh:
        regions = [(r["code"], r["name"], r["level"]) for r in csv.DictReader(fh)]
    if not leaves or not regions:
        raise SystemExit("categories.csv / regions.csv gave no leaf categories or regions")
    return Catalogue(leaves, regions)


def make_payload(rng: random.Random, cat: Catalogue, phones: random.Random | None = None) -> dict:
    """One intake body; the caller's number from `phones` (default `rng`)."""
    code, level1, level2, level3 = rng.choice(cat.categories)
    region_code, region_name, _level = rng.choice(cat.regions)
    kind = rng.choices(("complaint", "help", "consult"), weights=(45, 30, 25))[0]
    channel = rng.choices(("phone", "web", "app", "sms"), weights=(70, 15, 10, 5))[0]
    urgency = rng.choices(("normal", "urgent", "critical"), weights=(90, 8, 2))[0]
    road = rng.choice(ROADS)
    address = f"宣城市{region_name}{road}{rng.randint(1, 399)}号{rng.choice(ESTATES)}"
    if rng.random() < 0.6:
        address += f"{rng.randint(1, 32)}栋{rng.randint(1, 6)}单元"
    where = f"{region_name}{road}{rng.choice(ESTATES)}附近"
    if kind == "complaint":
        content = (
            f"来电人反映：{where}存在{level3}问题（{level2}），已持续{rng.choice(DURATIONS)}，"
            f"{rng.choice(IMPACTS)}。{rng.choice(HISTORY)}{rng.choice(ASKS)}。"
        )
    elif kind == "help":
        content = (
            f"来电人求助：{where}遇到{level3}方面的困难，{rng.choice(IMPACTS)}。"
            f"{rng.choice(HISTORY)}{rng.choice(ASKS)}。"
        )
    else:
        content = (
            f"来电人咨询{level1}—{level2}中{level3}的相关规定，想了解{rng.choice(QUESTIONS)}。"
            f"来电人居住在{region_name}，{rng.choice(HISTORY) or '请相关部门予以解答。'}"
        )
    # Some callers talk for a while: pad a share of tickets with more detail.
    for _ in range(rng.choices((0, 1, 2, 4), weights=(50, 25, 15, 10))[0]):
        content += f"补充说明：{rng.choice(DURATIONS)}以来，{rng.choice(IMPACTS)}，{rng.choice(ASKS)}。"
    payload = {
        "channel": channel,
        "type": kind,
        "urgency": urgency,
        "category": code,
        "region": region_code,
        "address": address,
        "content": content,
        "caller_phone": "13" + "".join((phones or rng).choice("0123456789") for _ in range(9)),
        "publishable": rng.random() < 0.3,
    }
    if rng.random() < 0.7:
        payload["caller_name"] = rng.choice(SURNAMES) + rng.choice(("先生", "女士"))
    return payload


# --------------------------------------------------------------------------------------------
# Measurement helpers
# --------------------------------------------------------------------------------------------


def pct(sorted_values: list[float], p: float) -> float:
    """Percentile with linear interpolation (p in 0..100) of an ascending list."""
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


CLK_TCK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime
    except (OSError, IndexError, ValueError):
        return None


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return out


def _by_comm(names: tuple[str, ...]) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as fh:
                comm = fh.read().strip()
        except OSError:
            continue
        if comm in names:
            out.append(int(entry))
    return out


def _machine_jiffies() -> tuple[int, int, int]:
    """(busy, idle, steal) jiffies over all cores since boot; busy excludes steal."""
    with open("/proc/stat") as fh:
        parts = [int(x) for x in fh.readline().split()[1:]] + [0] * 8
    user, nice, system, idle, iowait, irq, softirq, steal = parts[:8]
    return user + nice + system + irq + softirq, idle + iowait, steal


def deployment_groups(port: int) -> dict[str, list[int]]:
    """The processes of the `make deploy-local` on `port`, by part: nginx, api, socket, worker. Each of its
    Python processes names its part in PROMETHEUS_MULTIPROC_DIR (instance/deploy-local-PORT/metrics/<part>);
    nginx is found by its config's path. Only this user's processes are readable; none found: {}."""
    marker = f"deploy-local-{port}"
    groups: dict[str, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read().decode(errors="replace")
            if cmdline.startswith("nginx:"):  # its workers' title; the master's names the config
                with open(f"/proc/{entry}/stat") as fh:
                    parent = int(fh.read().rsplit(")", 1)[1].split()[1])
                with open(f"/proc/{parent}/cmdline", "rb") as fh:
                    parent_cmd = fh.read().decode(errors="replace")
                if marker in cmdline or marker in parent_cmd:
                    groups.setdefault("nginx", []).append(int(entry))
                continue
            with open(f"/proc/{entry}/environ", "rb") as fh:
                environ = fh.read().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        for var in environ:
            if var.startswith(b"PROMETHEUS_MULTIPROC_DIR=") and marker.encode() in var:
                part = var.rsplit(b"/", 1)[-1].decode(errors="replace").split("-")[0]  # worker-1 -> worker
                groups.setdefault(part, []).append(int(entry))
    return groups


class CpuMeter:
    """CPU seconds used by the server, PostgreSQL, Redis and this client over a phase; with `deployment` (a
    deploy-local's port), by that deployment's part instead of "server"."""

    def __init__(self, server_pid: int | None, deployment: int | None = None):
        self.server_pid = server_pid
        self.deployment = deployment

    def _groups(self) -> dict[str, list[int]]:
        groups = {
            "postgres": _by_comm(("postgres",)),
            "redis": _by_comm(("redis-server",)),
            "client": [os.getpid()],
        }
        if self.server_pid:
            groups["server"] = [self.server_pid, *_children(self.server_pid)]
        if self.deployment:
            groups.update(deployment_groups(self.deployment))
        return groups

    def snapshot(self) -> dict:
        per = {name: {pid: _proc_cpu(pid) for pid in pids} for name, pids in self._groups().items()}
        busy, idle, steal = _machine_jiffies()
        return {"t": time.perf_counter(), "per": per, "busy": busy, "idle": idle, "steal": steal}

    @staticmethod
    def diff(a: dict, b: dict) -> dict:
        out: dict[str, float] = {}
        for name, after in b["per"].items():
            before = a["per"].get(name, {})
            total = 0.0
            for pid, cpu in after.items():
                if cpu is None:
                    continue
                total += cpu - (before.get(pid) or 0.0)
            out[name] = round(total, 3)
        busy = b["busy"] - a["busy"]
        idle = b["idle"] - a["idle"]
        steal = b["steal"] - a["steal"]
        ticks = busy + idle + steal
        accounted = sum(out.values())
        out["other"] = round(max(busy / CLK_TCK - accounted, 0.0), 3)  # other processes, softirq
        out["machine_busy_fraction"] = round(busy / ticks, 3) if ticks else 0.0
        out["steal_fraction"] = round(steal / ticks, 3) if ticks else 0.0
        out["wall_s"] = round(b["t"] - a["t"], 3)
        return out


@dataclass
class PhaseResult:
    name: str
    requests: int
    concurrency: int
    wall_s: float
    latencies_ms: list[float]
    statuses: Counter
    first_error: str | None
    bodies: list[bytes] = field(default_factory=list, repr=False)
    cpu: dict = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.wall_s if self.wall_s else 0.0

    def summary(self, ok_status: int) -> dict:
        lat = sorted(self.latencies_ms)
        bad = sum(n for s, n in self.statuses.items() if s != ok_status)
        return {
            "requests": self.requests,
            "concurrency": self.concurrency,
            "wall_s": round(self.wall_s, 3),
            "rps": round(self.rps, 1),
            "p50_ms": round(pct(lat, 50), 2),
            "p95_ms": round(pct(lat, 95), 2),
            "p99_ms": round(pct(lat, 99), 2),
            "max_ms": round(lat[-1], 2) if lat else None,
            "mean_ms": round(sum(lat) / len(lat), 2) if lat else None,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": bad,
            "first_error": self.first_error,
            "cpu_s": self.cpu,
        }


def run_http_phase(
    name: str,
    host: str,
    port: int,
    jobs: list,
    build,
    concurrency: int,
    ok_status: int,
    meter: CpuMeter,
    keep_bodies: bool = False,
) -> PhaseResult:
    """Send one request per job from `concurrency` threads, each with its own keep-alive connection.

    build(job) -> (method, path, body bytes | None, headers). Bodies are parsed after the phase so
    the client spends as little CPU as possible while timing.
    """
    n = len(jobs)
    latencies = [0.0] * n
    statuses = [0] * n
    bodies: list[bytes] = [b""] * n
    counter = itertools.count()  # next() on it is atomic under the GIL
    prepared = [build(job) for job in jobs]
    clock: dict = {}

    def start() -> None:  # runs once every thread has its connection open
        clock["before"] = meter.snapshot()
        clock["t0"] = time.perf_counter()

    barrier = threading.Barrier(concurrency, action=start)

    def worker() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        conn.connect()
        barrier.wait()
        perf = time.perf_counter
        while True:
            i = next(counter)
            if i >= n:
                break
            method, path, body, headers = prepared[i]
            t0 = perf()
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                status = resp.status
                if resp.will_close:
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=60)
            except (http.client.HTTPException, OSError) as exc:
                data = f"{type(exc).__name__}: {exc}".encode()
                status = 0
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=60)
            latencies[i] = (perf() - t0) * 1000.0
            statuses[i] = status
            if keep_bodies or status != ok_status:
                bodies[i] = data
        conn.close()

    threads = [threading.Thread(target=worker, name=f"{name}-{k}", daemon=True) for k in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - clock["t0"]
    after = meter.snapshot()
    first_error = None
    for i in range(n):
        if statuses[i] != ok_status:
            first_error = f"request #{i}: HTTP {statuses[i]}: {bodies[i][:500].decode(errors='replace')}"
            break
    return PhaseResult(
        name,
        n,
        concurrency,
        wall,
        latencies,
        Counter(statuses),
        first_error,
        bodies,
        CpuMeter.diff(clock["before"], after),
    )


# --------------------------------------------------------------------------------------------
# Setup and teardown
# --------------------------------------------------------------------------------------------


def with_dbname(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def recreate_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flask_cmd() -> list[str]:
    exe = VENV_BIN / "flask"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "flask"]


def run_flask(args: list[str], env: dict) -> None:
    cmd = [*flask_cmd(), "--app", "wsgi", *args]
    proc = subprocess.run(cmd, cwd=SRC, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


def git_snapshot(ref: str) -> tuple[Path, str]:
    """Extract `ref` (git archive, read-only for the repository) into a temporary directory."""
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", ref], check=True, capture_output=True, text=True
    ).stdout.strip()
    target = Path(tempfile.mkdtemp(prefix=f"bench-src-{commit}-"))
    archive = subprocess.Popen(["git", "-C", str(ROOT), "archive", "--format=tar", ref], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(target)], stdin=archive.stdout, check=True)
    archive.stdout.close()
    if archive.wait() != 0:
        raise SystemExit(f"git archive {ref} failed")
    return target, commit


def source_description() -> str:
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            [
                "git",
                "-C",
                str(ROOT),
                "status",
                "--porcelain",
                "--",
                "hotline",
                "migrations",
                "wsgi.py",
                "agents_ui",
            ],
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "working tree"
    return f"working tree at {commit}" + (" with uncommitted changes" if dirty else "")


def pg_settings(url: str) -> dict:
    names = (
        "server_version",
        "synchronous_commit",
        "fsync",
        "wal_sync_method",
        "shared_buffers",
        "max_connections",
    )
    with psycopg.connect(url, autocommit=True) as conn:
        return {n: conn.execute(f"SHOW {n}").fetchone()[0] for n in names}


class Server:
    def __init__(self, workers: int, threads: int, host: str, port: int, env: dict, extra: list[str] | None = None):
        self.cmd = [
            str(VENV_BIN / "gunicorn"),
            "--no-control-socket",
            "-w",
            str(workers),
            "--threads",
            str(threads),
            "-b",
            f"{host}:{port}",
            *(extra or []),
            "wsgi:app",
        ]
        self.host, self.port, self.env = host, port, env
        fd, self.log_path = tempfile.mkstemp(prefix="bench-gunicorn-", suffix=".log")
        self.log = os.fdopen(fd, "wb")
        self.proc: subprocess.Popen | None = None
        self.seen_children: set[int] = set()

    def start(self, timeout: float = 60.0) -> None:
        try:  # something already answering on the port would be measured instead of this server
            socket.create_connection((self.host, self.port), timeout=1).close()
        except OSError:
            pass
        else:
            raise SystemExit(f"port {self.port} is already in use: stop what listens there or pass --port")
        self.proc = subprocess.Popen(
            self.cmd,
            cwd=SRC,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=2)
                conn.request("GET", "/api/v1/openapi.json")
                resp = conn.getresponse()
                resp.read()
                conn.close()
                if resp.status == 200:
                    self.seen_children.update(_children(self.proc.pid))
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise SystemExit(f"gunicorn did not answer within {timeout:.0f}s:\n{self.log_tail()}")

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        pids = _children(self.proc.pid)
        self.seen_children.update(pids)
        return pids

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(Path(self.log_path).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None:
            return
        self.worker_pids()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.log.close()
        # Workers normally exit with the master; make sure none of ours is left behind.
        for pid in self.seen_children:
            try:
                os.kill(pid, 0)
            except OSError:
                continue
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


# --------------------------------------------------------------------------------------------
# Baseline: raw INSERT; COMMIT through psycopg
# --------------------------------------------------------------------------------------------

SCRATCH_DDL = """
CREATE TABLE bench_scratch (
    id bigserial PRIMARY KEY,
    number varchar(24) NOT NULL UNIQUE,
    retrieval_code_hash varchar(64) NOT NULL,
    channel varchar(12) NOT NULL,
    type varchar(12) NOT NULL,
    urgency varchar(12) NOT NULL,
    status varchar(20) NOT NULL,
    category_code varchar(6),
    region_code varchar(12),
    content text NOT NULL,
    address varchar(200),
    caller_phone varchar(20),
    caller_name varchar(64),
    publishable boolean NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
)
"""
SCRATCH_INSERT = """
INSERT INTO bench_scratch (number, retrieval_code_hash, channel, type, urgency, status,
    category_code, region_code, content, address, caller_phone, caller_name, publishable,
    created_at, updated_at)
VALUES (%s, %s, %s, %s, %s, 'accepted', %s, %s, %s, %s, %s, %s, %s, now(), now())
"""


def run_baseline(url: str, payloads: list[dict], concurrency: int, meter: CpuMeter) -> PhaseResult:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_scratch")
        conn.execute(SCRATCH_DDL)
    n = len(payloads)
    rows = [
        (
            f"BX{i:013d}",
            f"{random.getrandbits(256):064x}",
            p["channel"],
            p["type"],
            p["urgency"],
            p["category"],
            p["region"],
            p["content"],
            p["address"],
            "+86" + p["caller_phone"],
            p.get("caller_name"),
            p["publishable"],
        )
        for i, p in enumerate(payloads)
    ]
    latencies = [0.0] * n
    counter = itertools.count()
    errors: list[str] = []
    clock: dict = {}
    conns = [psycopg.connect(url) for _ in range(concurrency)]

    def start() -> None:
        clock["before"] = meter.snapshot()
        clock["t0"] = time.perf_counter()

    barrier = threading.Barrier(concurrency, action=start)

    def worker(conn: psycopg.Connection) -> None:
        cur = conn.cursor()
        cur.execute("SELECT 1")
        conn.commit()
        barrier.wait()
        perf = time.perf_counter
        while True:
            i = next(counter)
            if i >= n:
                break
            t0 = perf()
            try:
                cur.execute(SCRATCH_INSERT, rows[i], prepare=True)
                conn.commit()
            except psycopg.Error as exc:
                conn.rollback()
                errors.append(f"row #{i}: {exc}")
            latencies[i] = (perf() - t0) * 1000.0

    threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in conns]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - clock["t0"]
    after = meter.snapshot()  # before closing: the backends' CPU is read while they exist
    for c in conns:
        c.close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE bench_scratch")
    statuses = Counter({"ok": n - len(errors)})
    if errors:
        statuses["error"] = len(errors)
    return PhaseResult(
        "baseline",
        n,
        concurrency,
        wall,
        latencies,
        statuses,
        errors[0] if errors else None,
        [],
        CpuMeter.diff(clock["before"], after),
    )


# --------------------------------------------------------------------------------------------
# Optional sampling profile of the server (py-spy)
# --------------------------------------------------------------------------------------------


class PySpy:
    """py-spy record on the gunicorn worker(s) while a phase runs; collapsed stacks to a file."""

    def __init__(self, out: Path, pids: list[int], rate: int, gil_only: bool = True):
        exe = shutil.which("py-spy", path=f"{VENV_BIN}:{os.environ.get('PATH', '')}")
        if exe is None:
            raise SystemExit("--py-spy needs py-spy (.venv/bin/pip install py-spy)")
        self.out = out
        self.procs = []
        for k, pid in enumerate(pids):
            target = out if len(pids) == 1 else out.with_name(f"{out.stem}.{k}{out.suffix}")
            cmd = [
                exe,
                "record",
                "--pid",
                str(pid),
                "--format",
                "raw",
                "--rate",
                str(rate),
                "--nonblocking",
                "--output",
                str(target),
            ]
            if gil_only:  # CPU profile of the Python code: only the thread holding the GIL
                cmd.append("--gil")
            self.procs.append((subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), target))
        time.sleep(1.0)  # let py-spy attach before the load starts

    def stop(self) -> list[Path]:
        files = []
        for proc, target in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            if target.exists():
                files.append(target)
            else:
                say(f"  py-spy wrote nothing: {proc.stderr.read().decode(errors='replace')[-500:]}")
        return files


def summarize_collapsed(files: list[Path], top: int = 25) -> dict:
    """Self and inclusive sample shares from py-spy's collapsed ('raw') stacks."""
    total = 0
    self_fn: Counter = Counter()
    incl_fn: Counter = Counter()
    self_pkg: Counter = Counter()
    hotline_incl: Counter = Counter()
    for path in files:
        for line in path.read_text(errors="replace").splitlines():
            stack, _, count_s = line.rpartition(" ")
            try:
                count = int(count_s)
            except ValueError:
                continue
            frames = [f for f in stack.split(";") if f]
            if not frames:
                continue
            total += count
            leaf = frames[-1]
            self_fn[leaf] += count
            fname = leaf.rsplit("(", 1)[-1]
            self_pkg[_package(fname)] += count
            seen = set()
            for f in frames:
                key = f.split(":")[0] + ")" if ":" in f else f  # drop the line number
                if key in seen:
                    continue
                seen.add(key)
                incl_fn[key] += count
                if "hotline/" in f or "agents_ui/" in f:
                    hotline_incl[key] += count

    def share(c: Counter) -> list[tuple[str, float]]:
        return [(k, round(100.0 * v / total, 1)) for k, v in c.most_common(top)] if total else []

    return {
        "samples": total,
        "self_by_package": share(self_pkg),
        "self": share(self_fn),
        "inclusive": share(incl_fn),
        "hotline_inclusive": share(hotline_incl),
    }


def _package(fname: str) -> str:
    fname = fname.rstrip(")")
    path = fname.split(":")[0]
    for marker in ("site-packages/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    parts = [p for p in path.split("/") if p]
    if not parts:
        return "?"
    if parts[0].startswith("python3") and len(parts) > 1:
        parts = parts[1:]
    return parts[0].removesuffix(".py")


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def request_json(
    host: str, port: int, method: str, path: str, body: dict | None = None, headers: dict | None = None
) -> tuple[int, object]:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    data = json.dumps(body).encode() if body is not None else None
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    conn.request(method, path, body=data, headers=hdrs)
    resp = conn.getresponse()
    raw = resp.read()
    conn.close()
    try:
        return resp.status, json.loads(raw)
    except ValueError:
        return resp.status, raw.decode(errors="replace")


def fmt_phase(label: str, s: dict, unit: str = "req") -> str:
    return (
        f"{label:<8}{s['requests']:>6} {unit}  {s['rps']:>7.1f}/s  p50 {s['p50_ms']:6.1f} ms  "
        f"p95 {s['p95_ms']:6.1f} ms  p99 {s['p99_ms']:6.1f} ms  max {s['max_ms']:6.1f} ms  "
        f"errors {s['errors']}"
    )


def fmt_cpu(s: dict, n: int) -> str:
    c = s["cpu_s"]
    parts = []
    for name in ("server", "nginx", "api", "socket", "worker", "postgres", "redis", "client", "other"):
        if name in c:
            parts.append(f"{name} {c[name]:.2f}s ({1000.0 * c[name] / n:.2f} ms/req)")
    return (
        "          cpu: "
        + ", ".join(parts)
        + f"; machine busy {100 * c['machine_busy_fraction']:.0f}% of {os.cpu_count()} cores"
        + (
            f" (+{100 * c['steal_fraction']:.0f}% stolen by the hypervisor)"
            if c.get("steal_fraction", 0) >= 0.02
            else ""
        )
    )


def main() -> int:
    global OUT, SRC
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="tickets to create (default 2000)")
    ap.add_argument("--concurrency", type=int, default=8, help="client threads (default 8)")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2: one per core)")
    ap.add_argument(
        "--threads",
        type=int,
        default=2,
        help="gunicorn threads per worker (default 2: one request computes while another waits for PostgreSQL;"
        " more only contend for the process's interpreter lock: with 4, 10-30%% more CPU per request here)",
    )
    ap.add_argument(
        "--worker-connections",
        type=int,
        default=-1,
        help="gunicorn --worker-connections: the most keep-alive clients one process holds. Default: the"
        " client's connections divided among the workers (the README's API process group), so that they spread"
        " evenly; left to accept() races, 6 of 8 sometimes land on one process (one interpreter lock) and leave"
        " a core idle. 0: gunicorn's own default (1000).",
    )
    ap.add_argument(
        "--warmup",
        type=int,
        default=40,
        help="untimed tickets created first to warm pools and caches (default 40)",
    )
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8771)
    ap.add_argument(
        "--admin-url", default=os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    ap.add_argument("--db-name", default="hotline_bench")
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    ap.add_argument("--seed", type=int, default=12345, help="random seed for the payloads")
    ap.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    ap.add_argument(
        "--json",
        action="store_true",
        help="print machine-readable results on stdout (the report goes to stderr)",
    )
    ap.add_argument(
        "--py-spy",
        metavar="FILE",
        type=Path,
        help="sample the gunicorn worker with py-spy during intake; collapsed stacks to FILE",
    )
    ap.add_argument("--py-spy-rate", type=int, default=100)
    ap.add_argument(
        "--py-spy-all-threads",
        action="store_true",
        help="sample every non-idle thread (wall-clock view) instead of the GIL holder",
    )
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--intake-only", action="store_true", help="skip the read and status phases")
    ap.add_argument("--ref", help="serve a git snapshot of REF (e.g. HEAD) instead of the working tree")
    ap.add_argument("--url", help="measure the deployment running at URL (e.g. make deploy-local's nginx)")
    ap.add_argument("--database-url", help="with --url: the deployment's database, for the ticket-number check")
    args = ap.parse_args()
    if args.worker_connections < 0:
        args.worker_connections = -(-args.concurrency // args.workers)
    if args.json:
        OUT = sys.stderr
    snapshot = None
    if args.ref:
        snapshot, commit = git_snapshot(args.ref)
        SRC = snapshot
        source = f"git {args.ref} ({commit}) extracted to {snapshot}"
    else:
        source = source_description()
    try:
        return run(args, source)
    finally:
        if snapshot is not None:
            shutil.rmtree(snapshot, ignore_errors=True)


def run(args: argparse.Namespace, source: str) -> int:

    host, port = args.host, args.port
    db_url = with_dbname(args.admin_url, args.db_name)
    remote = bool(args.url)
    if remote:
        parts = urlsplit(args.url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        db_url = args.database_url or ""
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "REDIS_URL": args.redis_url,
        "PYTHONUNBUFFERED": "1",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-secret-key"),
        # Every client is 127.0.0.1: the per-client limit on status lookups would refuse the bench, so it is set
        # out of reach here (the limiter still counts each lookup in Redis, so its cost is measured).
        "HOTLINE_PUBLIC_LOOKUP_RATE_LIMIT": os.environ.get(
            # two windows, as the production default (10 per minute;60 per hour), that never refuse
            "HOTLINE_PUBLIC_LOOKUP_RATE_LIMIT",
            "1000000000 per minute;1000000000 per hour",
        ),
    }
    results: dict = {
        "config": {
            "n": args.n,
            "concurrency": args.concurrency,
            "warmup": args.warmup,
            "gunicorn_workers": args.workers,
            "gunicorn_threads": args.threads,
            "worker_class": "gthread" if args.threads > 1 else "sync",
            "database": db_url,
            "redis": args.redis_url,
            "cores": os.cpu_count(),
            "source": source,
            "loadavg_at_start": os.getloadavg()[0],
            "client": "python threads + http.client keep-alive, one connection per thread, "
            "on the same machine as server and database",
        }
    }

    wc = f" --worker-connections {args.worker_connections}" if args.worker_connections else ""
    served_by = (
        f"the deployment at {args.url}" if remote else f"gunicorn -w {args.workers} --threads {args.threads}{wc}"
    )
    if remote:
        results["config"]["url"] = args.url
    say(f"intake benchmark — {args.n} tickets, client concurrency {args.concurrency}, {served_by}")
    say(f"source: {source}; load average at start {os.getloadavg()[0]:.2f}")
    say(
        f"NOTE: client (Python threads), gunicorn, PostgreSQL and Redis all share this machine's "
        f"{os.cpu_count()} cores; figures include the client's own CPU use."
    )

    rng = random.Random(args.seed)
    cat = load_catalogue()
    # A deployment keeps its tickets: callers drawn again in a later run would have written before (each ticket
    # then runs the repeat-complainer check, and after 3 a day gets no receipt SMS), so every run against one
    # has callers of its own. A scratch database starts empty: the seed's callers, as before.
    phones = random.Random() if remote else None
    payloads = [make_payload(rng, cat, phones) for _ in range(args.n + args.warmup)]
    warm_payloads, payloads = payloads[: args.warmup], payloads[args.warmup :]
    lengths = sorted(len(p["content"]) for p in payloads)
    results["config"]["payload"] = {
        "leaf_categories": len(cat.categories),
        "regions": len(cat.regions),
        "types": dict(Counter(p["type"] for p in payloads)),
        "channels": dict(Counter(p["channel"] for p in payloads)),
        "content_chars_p50": int(pct(lengths, 50)),
        "content_chars_max": lengths[-1] if lengths else 0,
    }
    say(
        f"payloads: {len(cat.categories)} leaf categories, {len(cat.regions)} regions, "
        f"types {dict(Counter(p['type'] for p in payloads))}, "
        f"channels {dict(Counter(p['channel'] for p in payloads))}, "
        f"content {results['config']['payload']['content_chars_p50']} chars median"
    )

    server: Server | None = None
    created_db = False
    try:
        # 1. fresh database and Redis db
        t = time.perf_counter()
        if remote:
            # The outbox's dead index entries from an earlier run (each delivered row leaves one until VACUUM) are
            # what autovacuum clears within a minute of them (the outbox's migration sets it so): a run started
            # sooner than that would measure the last run's leftovers.
            if db_url:
                with psycopg.connect(db_url, autocommit=True) as conn:
                    conn.execute("VACUUM (ANALYZE) outbox")
            say(f"setup: the deployment at {args.url} has its own database and Redis; its outbox vacuumed")
        else:
            recreate_database(args.admin_url, args.db_name)
            created_db = True
            redis.Redis.from_url(args.redis_url).flushdb()
            run_flask(["db", "upgrade"], env)
            run_flask(["seed-demo"], env)
            results["config"]["postgres"] = pg_settings(db_url)
            say(
                f"setup: database {args.db_name} recreated, migrated, seeded; redis flushed "
                f"({time.perf_counter() - t:.1f}s)"
            )
            say(f"postgres: {results['config']['postgres']}")

        meter = CpuMeter(None, deployment=port if remote and deployment_groups(port) else None)
        if remote and meter.deployment:
            say(f"cpu: the deployment's parts {sorted(deployment_groups(port))} (deploy-local on port {port})")

        # 2. baseline
        if not args.skip_baseline:
            base = run_baseline(args.admin_url if remote else db_url, payloads, args.concurrency, meter)
            results["baseline"] = base.summary("ok")
            s = results["baseline"]
            say(
                f"\nbaseline: psycopg INSERT one ticket-sized row; COMMIT  x{s['requests']}, "
                f"{args.concurrency} connections"
            )
            say(fmt_phase("insert", s, "rows"))
            say(fmt_cpu(s, s["requests"]))

        # 3. server
        if not remote:
            extra = ["--worker-connections", str(args.worker_connections)] if args.worker_connections else []
            server = Server(args.workers, args.threads, host, port, env, extra)
            t = time.perf_counter()
            server.start()
            meter = CpuMeter(server.proc.pid if server.proc else None)
            say(
                f"\ngunicorn up in {time.perf_counter() - t:.1f}s: {' '.join(server.cmd)} "
                f"(worker pids {server.worker_pids()}, log {server.log_path})"
            )

        # 4. token
        status, body = request_json(
            host, port, "POST", "/api/v1/auth/token", {"username": "operator", "password": "demo-operator"}
        )
        if status != 200 or not isinstance(body, dict) or "token" not in body:
            raise SystemExit(f"login failed: HTTP {status}: {body}")
        auth = {"Authorization": f"Bearer {body['token']}"}
        post_headers = {**auth, "Content-Type": "application/json; charset=utf-8"}

        def build_post(p: dict):
            return ("POST", "/api/v1/tickets", json.dumps(p, ensure_ascii=False).encode(), post_headers)

        # warm-up (untimed)
        warm = None
        if warm_payloads:
            warm = run_http_phase(
                "warmup",
                host,
                port,
                warm_payloads,
                build_post,
                args.concurrency,
                201,
                meter,
                keep_bodies=True,
            )
            say(f"warm-up: {warm.requests} tickets (not timed), statuses {dict(warm.statuses)}")

        # 5. intake
        spy = None
        if args.py_spy:
            spy = PySpy(
                args.py_spy.resolve(),
                server.worker_pids() if server else deployment_groups(port).get("api", []),
                args.py_spy_rate,
                gil_only=not args.py_spy_all_threads,
            )
        intake = run_http_phase(
            "intake", host, port, payloads, build_post, args.concurrency, 201, meter, keep_bodies=True
        )
        if spy:
            files = spy.stop()
            if files:
                results["profile"] = summarize_collapsed(files)
                results["profile"]["files"] = [str(f) for f in files]
        results["intake"] = intake.summary(201)
        tickets = []
        for raw in intake.bodies:
            try:
                t_ = json.loads(raw)
                tickets.append((t_["id"], t_["number"], t_["retrieval_code"]))
            except (ValueError, KeyError, TypeError):
                tickets.append(None)
        s = results["intake"]
        say(f"\nintake: POST /api/v1/tickets x{s['requests']}, concurrency {args.concurrency}")
        say(fmt_phase("intake", s))
        say(fmt_cpu(s, s["requests"]))
        say(
            f"          non-201 responses: {s['errors']}" + (f"; first: {s['first_error']}" if s["first_error"] else "")
        )

        # uniqueness of ticket numbers (the timed ones, the warm-up ones, and in the database)
        numbers = [t_[1] for t_ in tickets if t_]
        if warm:
            for raw in warm.bodies:
                try:
                    numbers.append(json.loads(raw)["number"])
                except (ValueError, KeyError, TypeError):
                    pass
        dupes = [num for num, c in Counter(numbers).items() if c > 1]
        if db_url:
            with psycopg.connect(db_url, autocommit=True) as conn:
                db_total, db_distinct = conn.execute("SELECT count(*), count(DISTINCT number) FROM tickets").fetchone()
        else:  # a deployment whose database the bench was not given: the responses alone
            db_total = db_distinct = len(set(numbers))
        results["uniqueness"] = {
            "responses": len(numbers),
            "distinct": len(set(numbers)),
            "duplicates": dupes[:10],
            "db_rows": db_total,
            "db_distinct_numbers": db_distinct,
            "ok": not dupes and db_total == db_distinct,
        }
        u = results["uniqueness"]
        say(
            f"          ticket numbers: {u['distinct']} distinct of {u['responses']} responses; "
            f"database {u['db_distinct_numbers']} distinct of {u['db_rows']} rows -> "
            f"{'unique' if u['ok'] else 'DUPLICATES ' + str(dupes[:10])}"
        )

        good = [t_ for t_ in tickets if t_] if not args.intake_only else []

        # 6. read back
        if good:
            read = run_http_phase(
                "read",
                host,
                port,
                good,
                lambda t_: ("GET", f"/api/v1/tickets/{t_[0]}", None, auth),
                args.concurrency,
                200,
                meter,
                keep_bodies=False,
            )
            results["read"] = read.summary(200)
            s = results["read"]
            say(f"\nread: GET /api/v1/tickets/<id> x{s['requests']}, concurrency {args.concurrency}")
            say(fmt_phase("read", s))
            say(fmt_cpu(s, s["requests"]))
            if s["first_error"]:
                say(f"          first error: {s['first_error']}")

            # 7. public status
            status_phase = run_http_phase(
                "status",
                host,
                port,
                good,
                lambda t_: ("GET", f"/api/v1/public/tickets/{t_[1]}?code={t_[2]}", None, {}),
                args.concurrency,
                200,
                meter,
                keep_bodies=True,
            )
            results["status"] = status_phase.summary(200)
            mismatched = 0
            for t_, raw in zip(good, status_phase.bodies, strict=True):
                try:
                    if json.loads(raw).get("number") != t_[1]:
                        mismatched += 1
                except (ValueError, AttributeError):
                    mismatched += 1
            results["status"]["mismatched_bodies"] = mismatched
            s = results["status"]
            say(
                f"\nstatus: GET /api/v1/public/tickets/<number>?code=<code> x{s['requests']}, "
                f"concurrency {args.concurrency}"
            )
            say(fmt_phase("status", s))
            say(fmt_cpu(s, s["requests"]))
            if s["first_error"]:
                say(f"          first error: {s['first_error']}")
            if mismatched:
                say(f"          {mismatched} responses did not carry the ticket's number")

        # 8. summary
        say("\n" + "=" * 100)
        say(
            f"summary  ({served_by}; client concurrency "
            f"{args.concurrency}; client, server and PostgreSQL share {os.cpu_count()} cores)"
        )
        for key, label, unit in (
            ("baseline", "pg-raw", "rows"),
            ("intake", "intake", "req"),
            ("read", "read", "req"),
            ("status", "status", "req"),
        ):
            if key in results:
                s = results[key]
                say(
                    f"{label:<8}{s['requests']:>6} {unit:<4} {s['rps']:>7.1f}/s  p50 {s['p50_ms']:5.1f} ms  "
                    f"p95 {s['p95_ms']:5.1f} ms  p99 {s['p99_ms']:5.1f} ms  errors {s['errors']}"
                )
        checks = []
        if "intake" in results:
            s = results["intake"]
            checks.append((f"intake >= {TARGET_INTAKE_RPS:.0f}/s", s["rps"] >= TARGET_INTAKE_RPS, f"{s['rps']:.1f}/s"))
            checks.append(
                (
                    f"intake p99 < {TARGET_INTAKE_P99_MS:.0f} ms",
                    s["p99_ms"] < TARGET_INTAKE_P99_MS,
                    f"{s['p99_ms']:.1f} ms",
                )
            )
            checks.append(("intake all 201", s["errors"] == 0, f"{s['errors']} errors"))
            checks.append(
                (
                    "ticket numbers unique",
                    results["uniqueness"]["ok"],
                    f"{results['uniqueness']['db_distinct_numbers']}/{results['uniqueness']['db_rows']}",
                )
            )
        if "read" in results:
            checks.append(("read all 200", results["read"]["errors"] == 0, f"{results['read']['errors']} errors"))
        if "status" in results:
            s = results["status"]
            checks.append((f"status >= {TARGET_STATUS_RPS:.0f}/s", s["rps"] >= TARGET_STATUS_RPS, f"{s['rps']:.1f}/s"))
            checks.append(("status all 200", s["errors"] == 0 and not s["mismatched_bodies"], f"{s['errors']} errors"))
        say("targets:")
        for name, ok, value in checks:
            say(f"  {'OK  ' if ok else 'MISS'}  {name:<26} {value}")
        results["targets"] = [{"target": n, "ok": ok, "value": v} for n, ok, v in checks]

        if "profile" in results:
            p = results["profile"]
            say(
                f"\npy-spy profile of the server during intake, "
                f"{'all non-idle threads' if args.py_spy_all_threads else 'GIL holder only (CPU)'} "
                f"({p['samples']} samples, "
                f"files {', '.join(p['files'])}):"
            )
            say("  self time by package: " + ", ".join(f"{k} {v}%" for k, v in p["self_by_package"][:12]))
            say("  inclusive, project code:")
            for k, v in p["hotline_inclusive"][:20]:
                say(f"    {v:5.1f}%  {k}")
            say("  self time, top functions:")
            for k, v in p["self"][:15]:
                say(f"    {v:5.1f}%  {k}")
    finally:
        if server is not None:
            server.stop()
            say(f"\ngunicorn stopped (log kept at {server.log_path})")
        if created_db and not args.keep:
            try:
                drop_database(args.admin_url, args.db_name)
                say(f"database {args.db_name} dropped")
            except psycopg.Error as exc:
                say(f"could not drop {args.db_name}: {exc}")
        elif created_db:
            say(f"database kept: {db_url}")

    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
