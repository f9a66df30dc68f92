"""Upserts, written one way: `upsert()` builds INSERT ... ON CONFLICT for a model, once, at import.

A row that may already exist (a retried webhook's call or SMS, a day's ticket-number counter, a caller opting out)
is written with one statement that never races: PostgreSQL's ON CONFLICT, not a locked read followed by an insert
(two concurrent first writes would both read nothing). The statement is plain SQL text built from the model's
table, with bind parameters typed by its columns (UTC times stay UTC): SQLAlchemy's own `postgresql.insert(...)
.on_conflict_*()` constructs have no cache key in SQLAlchemy 2.0, so they are compiled anew on every call, which
the hot ones (the incoming-call webhook, the intake's counter) should not pay. Build the statement at module level
and execute it with a dict of values.

The one exception is the intake's caller row, written inside the intake's single statement (hotline.fastpath).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import TextClause, bindparam, text


def upsert(
    model: type,
    columns: Sequence[str],
    *,
    on: Sequence[str],
    set_: Mapping[str, str] | None = None,
    returning: Sequence[str] = (),
) -> TextClause:
    """INSERT INTO the model's table (columns) VALUES (:column, ...) ON CONFLICT (on) DO UPDATE SET each of `set_`
    (column -> SQL expression; `excluded.<column>` is the value offered), or DO NOTHING without `set_`;
    RETURNING `returning`. Execute with one value per column, by name.

    With DO NOTHING a conflicting row returns nothing; to get the existing row back, update a column to itself
    (`set_={"key": "excluded.key"}`)."""
    table = model.__table__  # type: ignore[attr-defined]
    unknown = [c for c in (*columns, *on, *(set_ or {}), *returning) if c not in table.c]
    if unknown:
        raise ValueError(f"{table.name} has no column {', '.join(unknown)}")
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"
        f" ON CONFLICT ({', '.join(on)}) "
    )
    sql += ("DO UPDATE SET " + ", ".join(f"{c} = {e}" for c, e in set_.items())) if set_ else "DO NOTHING"
    if returning:
        sql += " RETURNING " + ", ".join(returning)
    return text(sql).bindparams(*(bindparam(c, type_=table.c[c].type) for c in columns))
