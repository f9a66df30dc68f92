"""The catalogue import: idempotent, all-or-nothing, errors with line numbers."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from hotline.catalogue_import import DATA_DIR, CatalogueError, import_catalogue
from hotline.extensions import db
from hotline.models import Category, Department, DispatchRule, HotlineLine, Region


def totals() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(m))
        for m in (Region, Department, Category, DispatchRule, HotlineLine)
    )


def test_demo_catalogue_is_loaded_and_import_is_idempotent(ctx):
    before = totals()
    assert before == (13, 45, 650, 175, 9)  # 15 + 118 + 517 categories
    counts = import_catalogue(DATA_DIR)
    assert counts["rules"] == 175 and totals() == before
    leaf = db.session.get(Category, "010204")
    assert leaf.path == "城乡建设/城市建设和市政管理/城市公共设施" and leaf.parent_code == "0102"


@pytest.mark.parametrize(
    "file, append, message",
    [
        ("dispatch_catalog.csv", "环境保护,,XC-NOPE,bad\n", "unknown department"),
        ("dispatch_catalog.csv", "交通运输,,XC-JTJ,again\n", "duplicate rule"),
        ("dispatch_catalog.csv", "不存在的分类,,XC-JTJ,x\n", "unknown category"),
        ("dispatch_catalog.csv", "环境保护,999999,XC-STHJJ\n", "wrong number of fields"),
        ("departments.csv", "XC-X,某局,ministry,341800,\n", "unknown kind"),
    ],
)
def test_bad_files_are_rejected_with_the_line_and_leave_the_old_catalogue(ctx, tmp_path, file, append, message):
    for name in DATA_DIR.glob("*.csv"):
        shutil.copy(name, tmp_path / name.name)
    target = tmp_path / file
    lines = target.read_text(encoding="utf-8").count("\n")
    with target.open("a", encoding="utf-8") as fh:
        fh.write(append)
    before = totals()
    with pytest.raises(CatalogueError) as err:
        import_catalogue(tmp_path)
    assert message in err.value.message and f"{file}:{lines + 1}" in err.value.message
    assert totals() == before


def test_cli_import_catalogue(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-catalogue", str(DATA_DIR)])
    assert result.exit_code == 0 and "rules=175" in result.output
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "dept_cgj" in result.output


def test_merged_line_preselects_its_category(api):
    t = (
        api.as_("operator")
        .post(
            "/tickets",
            {"type": "complaint", "content": "商家缺斤短两", "caller_phone": "13800000000", "line": "12315"},
        )
        .get_json()
    )
    with_cat = t["category"]
    from hotline.models import Category as C

    with api.app.app_context():
        assert db.session.get(C, with_cat).path == "商贸旅游/市场监管"
