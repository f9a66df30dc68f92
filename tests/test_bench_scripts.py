"""The benchmark scripts start the app themselves: each gives its processes a throwaway SECRET_KEY (the app
refuses to start without one), so `python bench/X.py` runs on a machine where none is set."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
STARTS_THE_APP = sorted(p for p in BENCH.glob("*.py") if "create_app(" in p.read_text(encoding="utf-8"))


def _sets_secret_key(tree: ast.AST) -> bool:
    """A SECRET_KEY given to the environment or to create_app's settings, as a literal name in the code."""
    return any(isinstance(node, ast.Constant) and node.value == "SECRET_KEY" for node in ast.walk(tree)) or any(
        isinstance(node, ast.keyword) and node.arg == "SECRET_KEY" for node in ast.walk(tree)
    )


def test_there_are_benchmarks_that_start_the_app():
    assert len(STARTS_THE_APP) >= 5


@pytest.mark.parametrize("script", STARTS_THE_APP, ids=lambda p: p.name)
def test_each_benchmark_that_starts_the_app_sets_a_secret_key(script: Path):
    assert _sets_secret_key(ast.parse(script.read_text(encoding="utf-8"))), f"{script.name} sets no SECRET_KEY"
