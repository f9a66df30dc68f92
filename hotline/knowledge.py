"""知识库 search that works for Chinese (PostgreSQL has no Chinese word splitter built in).

Chinese has no spaces, so words cannot be split on whitespace and PostgreSQL's built-in text search parsers do
not segment it. A query is cut into overlapping character bigrams (二元切分, the classic CJK indexing unit) plus
its Latin/digit words; an article's score is how many of them its folded text contains, with title hits counted
twice. Adequate for a knowledge base of thousands of articles; a segmenter (jieba) or pg_trgm/zhparser index is
the next step if it grows to millions.
"""

from __future__ import annotations

import re

from sqlalchemy import case, literal, or_, select
from sqlalchemy.sql import Select

from hotline.models import KnowledgeArticle

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[0-9a-z]+")
MAX_TOKENS = 24


def fold(*parts: str | None) -> str:
    return " ".join(p for p in parts if p).lower()


def tokens(query: str) -> list[str]:
    """Bigrams of each run of Chinese characters (a lone character stands for itself) and Latin words."""
    q = query.lower()
    out: list[str] = []
    for run in _CJK.findall(q):
        out += [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
    out += _WORD.findall(q)
    seen: dict[str, None] = {}
    for t in out:
        seen.setdefault(t, None)
    return list(seen)[:MAX_TOKENS]


def _like(column, token: str):
    escaped = token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%{escaped}%", escape="\\")


def search_query(query: str, category: str | None = None, limit: int = 20) -> Select:
    """Active articles matching `query`, best first; with no usable token, the newest ones."""
    stmt = select(KnowledgeArticle).where(KnowledgeArticle.active.is_(True))
    if category:
        stmt = stmt.where(KnowledgeArticle.category_code.like(f"{category}%"))
    toks = tokens(query or "")
    if not toks:
        return stmt.order_by(KnowledgeArticle.updated_at.desc()).limit(limit)
    score = literal(0)
    for t in toks:
        score = score + case((_like(KnowledgeArticle.search_text, t), 1), else_=0)
        score = score + case((_like(KnowledgeArticle.title, t), 1), else_=0)
    stmt = stmt.where(or_(*(_like(KnowledgeArticle.search_text, t) for t in toks)))
    return stmt.order_by(score.desc(), KnowledgeArticle.updated_at.desc()).limit(limit)
