"""hotline.fastpath: named parameters become PostgreSQL's own, converted once per statement."""

from __future__ import annotations

from hotline.fastpath import _native


def test_named_parameters_are_numbered_once_each_in_order_of_first_use():
    text, names = _native("SELECT %(b)s, %(a)s, %(b)s WHERE x LIKE 'a%%'")
    assert text == "SELECT $1, $2, $1 WHERE x LIKE 'a%'"
    assert names == ("b", "a")


def test_the_intake_statement_has_every_parameter_once():
    from hotline.actions.intake import _INTAKE_SQL

    text, names = _native(_INTAKE_SQL)
    assert "%(" not in text and len(names) == len(set(names))
    assert f"${len(names)}" in text and f"${len(names) + 1}" not in text
