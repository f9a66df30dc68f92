"""`flask routing ...`: evaluate the suggester on any labelled set, retrain it, and move the dispatch
catalogue in and out as CSV or XLSX."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

routing_cli = AppGroup("routing", help="Dispatch catalogue and the suggester (智能派单).")


def read_jsonl(path: Path) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    with path.open(encoding="utf-8-sig") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
                text, label = row["text"], row["label"]
            except (ValueError, KeyError, TypeError):
                raise click.ClickException(f"{path.name}:{n}: expected a JSON object with text and label") from None
            if not isinstance(text, str) or label is None:
                raise click.ClickException(f"{path.name}:{n}: text must be a string and label present")
            texts.append(text)
            labels.append(str(label))
    return texts, labels


@routing_cli.command("evaluate")
@click.option("--train", "train_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--test", "test_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def evaluate_cmd(train_path: Path, test_path: Path) -> None:
    """Train the suggester on TRAIN (JSON Lines {"text", "label"}) and print one JSON line
    {"n", "top1", "top3"} for TEST."""
    from hotline.routing.textmodel import TextClassifier, evaluate

    texts, labels = read_jsonl(train_path)
    test_texts, test_labels = read_jsonl(test_path)
    if len(set(labels)) < 2:
        raise click.ClickException(f"{train_path.name}: need at least two different labels")
    model = TextClassifier().fit(texts, labels)
    click.echo(json.dumps(evaluate(model, test_texts, test_labels)))


@routing_cli.command("train")
def train_cmd() -> None:
    """Train on the catalogue and the closed tickets now; store and activate the next version."""
    from hotline.routing.suggest import train_and_store

    row = train_and_store("cli")
    click.echo(f"model v{row.version}: {json.dumps(row.metrics, ensure_ascii=False)}")


@routing_cli.command("export-rules")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def export_cmd(path: Path) -> None:
    """Write the dispatch rules to PATH (.csv or .xlsx)."""
    from hotline.routing.rules import export_rules

    fmt = "xlsx" if path.suffix.lower() == ".xlsx" else "csv"
    path.write_bytes(export_rules(fmt))
    click.echo(f"wrote {path}")


@routing_cli.command("import-rules")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--reason", required=True, help="why the catalogue changes (kept in the audit)")
@click.option("--actor", default="cli")
def import_cmd(path: Path, reason: str, actor: str) -> None:
    """Replace the dispatch rules with PATH (.csv or .xlsx): all or nothing."""
    from hotline.errors import ValidationError
    from hotline.routing.rules import import_rules

    try:
        counts = import_rules(path.read_bytes(), path.name, actor, reason)
    except ValidationError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))
