"""Reference data for the consoles' pickers: the category tree, regions and departments."""

from __future__ import annotations

from flask import jsonify
from sqlalchemy import select

from hotline.api import bp
from hotline.api.auth import login_required
from hotline.extensions import db
from hotline.models import Category, Department, Region


@bp.get("/catalogue/categories")
@login_required()
def list_categories():
    """The whole three-level tree, flat and ordered by code (parents before children): ~500 rows."""
    rows = db.session.scalars(select(Category).order_by(Category.code))
    return jsonify(
        [{"code": c.code, "name": c.name, "parent": c.parent_code, "level": c.level, "path": c.path} for c in rows]
    )


@bp.get("/catalogue/regions")
@login_required()
def list_regions():
    rows = db.session.scalars(select(Region).order_by(Region.code))
    return jsonify([{"code": r.code, "name": r.name, "parent": r.parent_code, "level": r.level} for r in rows])


@bp.get("/catalogue/departments")
@login_required()
def list_departments():
    rows = db.session.scalars(select(Department).where(Department.active.is_(True)).order_by(Department.code))
    return jsonify(
        [
            {
                "code": d.code,
                "name": d.name,
                "kind": d.kind,
                "region": d.region_code,
                "dispatchable": d.kind != "center",
            }
            for d in rows
        ]
    )
