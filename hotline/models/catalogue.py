"""The demo city's reference data: regions, departments, categories, dispatch rules, merged lines."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.extensions import db
from hotline.models.base import UTCDateTime, utcnow

DEPARTMENT_KINDS = ("bureau", "utility", "county", "street", "center")
REGION_LEVELS = ("city", "county", "street", "community")


class Region(db.Model):
    """行政区划: city -> county/district -> street/town -> community."""

    __tablename__ = "regions"
    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    level: Mapped[str] = mapped_column(String(12))

    def lineage(self, by_code: dict[str, Region]) -> list[str]:
        """Codes from this region up to the city, most specific first."""
        out, node = [], self
        while node is not None:
            out.append(node.code)
            node = by_code.get(node.parent_code) if node.parent_code else None
        return out


class Department(db.Model):
    """承办单位: a bureau, a public utility, a county government, a street office, or the centre."""

    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(12))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    # 联络员: the person told of new tickets, warnings, urging and supervision (by SMS to the mobile phone).
    liaison_name: Mapped[str | None] = mapped_column(String(64))
    liaison_phone: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Category(db.Model):
    """One node of the three-level category tree; codes have 2 digits per level (01, 0101, 010101)."""

    __tablename__ = "categories"
    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("categories.code"))
    level: Mapped[int] = mapped_column(Integer)
    # "level1" or "level1/level2" or "level1/level2/level3": what dispatch rules refer to.
    path: Mapped[str] = mapped_column(String(200), index=True)
    keywords: Mapped[str | None] = mapped_column(Text)


class DispatchRule(db.Model):
    """派单目录: category (level-1 or level1/level2 path) x region -> department, with who/when/why."""

    __tablename__ = "dispatch_rules"
    __table_args__ = (UniqueConstraint("category_path", "region_code", name="uq_dispatch_rules_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_path: Mapped[str] = mapped_column(String(200))
    # NULL means any region; the empty string is used in the unique key for "any" on all backends.
    region_code: Mapped[str] = mapped_column(String(12), default="")
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    note: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Department] = relationship(lazy="joined")


class HotlineLine(db.Model):
    """热线归并: a merged department hotline (12315 ...) and the category it pre-selects."""

    __tablename__ = "hotline_lines"
    number: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    default_category_path: Mapped[str | None] = mapped_column(String(200))


class CalendarOverride(db.Model):
    """A local change to the official working-day calendar (an extra holiday or make-up day)."""

    __tablename__ = "calendar_overrides"
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD
    is_workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(String(200))


class OfficialCalendarYear(db.Model):
    """A year whose official schedule (the State Council's notice) was imported: its days are `official`."""

    __tablename__ = "calendar_official_years"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(64))
    days: Mapped[int] = mapped_column(Integer)


class OfficialCalendarDay(db.Model):
    """One day of an imported year's notice: a holiday (workday false) or a make-up working day (调休)."""

    __tablename__ = "calendar_official_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str | None] = mapped_column(String(64))
