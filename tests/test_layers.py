"""The import graph of hotline/, agents_ui/ and integrations/, read from the source (lazy imports inside functions
included): layers look down only (an action never imports a view), and no two modules import each other, directly
or round a longer loop, beyond the known cycles listed below."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("hotline", "agents_ui", "integrations")
VIEWS = ("hotline.api", "hotline.public", "agents_ui")
# What sits above the actions: views, channels, jobs, the demo and the CLI.
ABOVE_ACTIONS = (*VIEWS, "integrations", "hotline.tasks.", "hotline.demo", "hotline.cli")
# The layers below the actions (models, rules, and the low-level writers every action uses): they import neither
# the actions nor anything above them. (`hotline.tasks` itself, the job decorator and the batch the outbox relay
# sends, is infrastructure; its job modules `hotline.tasks.*` are above.)
BELOW_ACTIONS = (
    "hotline.models",
    "hotline.timeline",
    "hotline.upsert",
    "hotline.retrieval_codes",
    "hotline.fastpath",
    "hotline.metrics",
    "hotline.workflow",
    "hotline.config",
    "hotline.extensions",
    "hotline.errors",
    "hotline.validation",
    "hotline.deadlines",
    "hotline.routing",
    "hotline.outbox",
    "hotline.events",
    "hotline.access",
    "hotline.search",
)

# None left: callbacks <-> lifecycle ended when the survey answers moved up to hotline.actions.surveys, and
# _core -> citizen_notices -> intake -> _core when the retrieval-code hash moved down to hotline.retrieval_codes.
KNOWN_CYCLES: list[set[str]] = []


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for t in targets:
                # the deepest module of ours that the name refers to
                while t and t not in modules:
                    t = t.rpartition(".")[0]
                if t and t != name and not name.startswith(t + "."):  # a module importing its own package is fine
                    edges[name].add(t)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    for v in edges:
        if v not in index:
            visit(v)
    return out


def test_actions_never_import_views():
    edges = graph()
    wrong = sorted(
        (m, t) for m, ts in edges.items() if m.startswith("hotline.actions") for t in ts if t.startswith(VIEWS)
    )
    assert wrong == []


def test_lower_layers_never_import_actions_or_above():
    edges = graph()
    wrong = sorted(
        (m, t)
        for m, ts in edges.items()
        if m.startswith(BELOW_ACTIONS)
        for t in ts
        if t.startswith(("hotline.actions", *ABOVE_ACTIONS))
    )
    assert wrong == []


def test_no_import_cycles():
    found = cycles(graph())
    assert [c for c in found if c not in KNOWN_CYCLES] == []
