"""智能派单: the dispatch suggester. A text classifier proposes categories (and, where closed tickets
show the catalogue is not followed, departments); the catalogue turns a category and a region into
the department with its rule as the explanation. The operator confirms; low confidence is marked
for a person.

Labels are `<category code>@<department code>`, where the department part is `*` when the ticket's
final department is what the catalogue gives for its category and region: the model then learns the
category and leaves the region to the catalogue, and learns a department only where practice
differs from the catalogue (a utility, say).

Models are trained by the `routing train` command or the worker job, stored with a version in
`suggestion_models`, and loaded by the web process; no request ever trains one.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from flask import current_app
from sqlalchemy import func, select, update

from hotline.extensions import db
from hotline.models import Category, Department, SuggestionModel, Ticket
from hotline.models.base import utcnow
from hotline.routing import catalogue, urgency
from hotline.routing.keywords import keywords_for
from hotline.routing.textmodel import TextClassifier

log = logging.getLogger(__name__)
ANY = "*"
LOW_CONFIDENCE = 0.5
CHECK_SECONDS = 5.0
MAX_TICKETS = 200_000


# ---- training data -------------------------------------------------------------------------


def catalogue_examples() -> tuple[list[str], list[str]]:
    """The cold start: texts made from each leaf category's names and keywords."""
    cats = {c.code: c for c in db.session.scalars(select(Category))}
    texts, labels = [], []
    for code, c in sorted(cats.items()):
        if c.level != 3:
            continue
        l1, l2, l3 = c.path.split("/")
        l2_kw = keywords_for(code[:4], cats[code[:4]].keywords)
        kws = keywords_for(code, c.keywords)
        label = f"{code}@{ANY}"
        samples = [f"{l1} {l2} {l3}", f"{l2} {l3}", f"{l3} {l3}" if l3 != "其他" else f"{l2} 其他问题"]
        samples += kws
        if kws:
            samples.append(" ".join(kws))
            samples += [f"{kws[i]} {kws[(i + 1) % len(kws)]}" for i in range(len(kws))]
        if l2_kw:
            samples.append(" ".join(l2_kw))
        texts += samples
        labels += [label] * len(samples)
    return texts, labels


def ticket_examples(limit: int = MAX_TICKETS) -> tuple[list[str], list[str]]:
    """Closed tickets with their final category and department (the newest first)."""
    rows = db.session.execute(
        select(Ticket.content, Ticket.category_code, Ticket.region_code, Department.code)
        .join(Department, Department.id == Ticket.department_id)
        .where(Ticket.status == "closed", Ticket.category_code.is_not(None))
        .order_by(Ticket.id.desc())
        .limit(limit)
    ).all()
    texts, labels = [], []
    for content, cat, region, dept in rows:
        texts.append(content)
        labels.append(label_for(cat, region, dept))
    return texts, labels


def align_to_practice(catalogue_labels: list[str], ticket_labels: list[str]) -> list[str]:
    """Where closed tickets of a category mostly went to one department other than the catalogue's
    (a utility, say), the category's catalogue examples take that label too: the cold-start text and
    practice then agree instead of competing."""
    counts: dict[str, dict[str, int]] = {}
    for lab in ticket_labels:
        cat, _, dept = lab.partition("@")
        counts.setdefault(cat, {}).setdefault(dept, 0)
        counts[cat][dept] += 1
    usual = {}
    for cat, by_dept in counts.items():
        dept, n = max(by_dept.items(), key=lambda kv: kv[1])
        if dept != ANY and n > sum(by_dept.values()) / 2:
            usual[cat] = f"{cat}@{dept}"
    return [usual.get(lab.partition("@")[0], lab) for lab in catalogue_labels]


def label_for(category_code: str, region: str | None, department: str) -> str:
    try:
        m = catalogue.match(category_code, region)
    except (catalogue.UnknownCategory, catalogue.UnknownRegion):
        m = None
    follows = m is not None and m["department"] == department
    return f"{category_code}@{ANY if follows else department}"


# ---- training and storage ------------------------------------------------------------------


def train_and_store(actor: str = "system", max_tickets: int = MAX_TICKETS) -> SuggestionModel:
    """Train on the catalogue plus closed tickets, store as the next version and make it active."""
    c_texts, c_labels = catalogue_examples()
    t_texts, t_labels = ticket_examples(max_tickets)
    c_labels = align_to_practice(c_labels, t_labels)
    metrics: dict = {"catalogue_examples": len(c_texts), "ticket_examples": len(t_texts)}
    started = time.monotonic()
    # The calibration split doubles as the accuracy report on held-out tickets (metrics["holdout"]).
    model = TextClassifier().fit(c_texts + t_texts, c_labels + t_labels, report_from=len(c_texts))
    metrics["train_seconds"] = round(time.monotonic() - started, 2)
    metrics.update(model.metrics)
    version = (db.session.scalar(select(func.max(SuggestionModel.version))) or 0) + 1
    row = SuggestionModel(
        version=version,
        source="tickets" if t_texts else "catalogue",
        blob=model.dumps(),
        n_samples=len(c_texts) + len(t_texts),
        n_labels=len(model.labels),
        metrics=metrics,
        active=True,
        trained_at=utcnow(),
        trained_by=actor,
    )
    db.session.execute(update(SuggestionModel).values(active=False))
    db.session.add(row)
    db.session.commit()
    log.info("suggestion model v%s trained: %s", version, metrics)
    return row


def ensure_model(actor: str = "seed") -> SuggestionModel | None:
    """Train the cold-start model when none is stored yet (seed-demo; safe to run twice)."""
    if db.session.scalar(select(SuggestionModel.id).where(SuggestionModel.active.is_(True))):
        return None
    return train_and_store(actor)


# ---- the loaded model ----------------------------------------------------------------------

_lock = threading.Lock()
_loaded: dict[str, tuple[int, TextClassifier, float]] = {}  # db url -> (version, model, checked)


def current_model() -> tuple[int, TextClassifier] | None:
    """The active stored model, loaded once per process; a newer version is noticed within 5 s."""
    key = str(db.engine.url)
    entry = _loaded.get(key)
    now = time.monotonic()
    if entry is not None and now - entry[2] < CHECK_SECONDS:
        return entry[0], entry[1]
    version = db.session.scalar(
        select(SuggestionModel.version)
        .where(SuggestionModel.active.is_(True))
        .order_by(SuggestionModel.version.desc())
        .limit(1)
    )
    if version is None:
        _loaded.pop(key, None)
        return None
    if entry is not None and entry[0] == version:
        _loaded[key] = (version, entry[1], now)
        return version, entry[1]
    with _lock:
        blob = db.session.scalar(select(SuggestionModel.blob).where(SuggestionModel.version == version))
        model = TextClassifier.loads(blob)
        _loaded[key] = (version, model, now)
    return version, model


def forget_model() -> None:
    _loaded.clear()


# ---- suggestions ---------------------------------------------------------------------------


def suggest(
    content: str, region: str | None = None, line: str | None = None, category: str | None = None, k: int = 3
) -> dict:
    """The operator console's proposal: top-k departments and categories with confidence, the rule
    when the category is known, urgency and a proposed emergency hand-off."""
    if not category and line:
        category = catalogue.line_category(line)
    rule = catalogue.match(category, region) if category else None
    signals = urgency.detect(content)
    loaded = current_model()
    suggestions: list[dict] = []
    version = None
    if loaded is not None:
        version, model = loaded
        # Three different departments, each with its most likely category: three categories of one
        # department would leave the operator no real alternative.
        seen: set[str] = set()
        for label, p in model.top(content, k + 9):
            cat, _, dept = label.partition("@")
            try:
                m = catalogue.match(cat, region)
            except (catalogue.UnknownCategory, catalogue.UnknownRegion):
                continue
            if dept == ANY:
                if m is None:
                    continue
                dept_code, dept_name = m["department"], m["department_name"]
            else:
                dept_code, dept_name = dept, catalogue.department_name(dept)
            if dept_code in seen:
                continue
            seen.add(dept_code)
            suggestions.append(
                {
                    "department": dept_code,
                    "department_name": dept_name,
                    "category": cat,
                    "category_path": m["category_path"] if m else None,
                    "confidence": round(p, 4),
                    "rule_id": m["rule"]["id"] if m and dept == ANY else None,
                }
            )
            if len(suggestions) == k:
                break
    threshold = float(current_app.config.get("ROUTING_LOW_CONFIDENCE", LOW_CONFIDENCE))
    needs_review = not suggestions or suggestions[0]["confidence"] < threshold
    return {
        "suggestions": suggestions,
        "rule": rule,
        "category": category,
        "urgency": signals["urgency"],
        "emergency": signals["emergency"],
        "signals": signals["signals"],
        "needs_review": needs_review,
        "model_version": version,
    }


def model_info() -> list[dict]:
    rows = db.session.execute(
        select(
            SuggestionModel.version,
            SuggestionModel.source,
            SuggestionModel.n_samples,
            SuggestionModel.n_labels,
            SuggestionModel.metrics,
            SuggestionModel.active,
            SuggestionModel.trained_at,
            SuggestionModel.trained_by,
        )
        .order_by(SuggestionModel.version.desc())
        .limit(20)
    ).all()
    return [
        {
            "version": r.version,
            "source": r.source,
            "n_samples": r.n_samples,
            "n_labels": r.n_labels,
            "metrics": r.metrics,
            "active": r.active,
            "trained_at": r.trained_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "trained_by": r.trained_by,
        }
        for r in rows
    ]
