"""The library: the network's published studies, browsed by subject, phase or year group, focus, approach,
school and school year, and searched in full text (search.py). "Builds on" links are shown both ways.

Who reads what: a study published to the network is read by everyone signed in; one published to its
school by that school's staff (and network admins); the group's own members always read their own.
An unpublished or withdrawn summary is in nobody's library (school leaders included).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort
from sqlalchemy import or_
from sqlalchemy.orm import joinedload

from ..inputs import parse_id
from ..extensions import db
from ..models import GroupLink, GroupMember, Publication, School, User
from . import search

PAGE_SIZE = 20
FILTERS = ("subject", "phase", "year_group", "focus", "approach", "school", "year")


def visible(user: User):
    """A where-clause: the publications `user` may read."""
    if not user.is_authenticated:
        return db.false()
    if user.is_network_admin:
        return Publication.withdrawn_at.is_(None)
    mine = db.select(GroupMember.group_id).where(GroupMember.user_id == user.id, GroupMember.left_at.is_(None))
    return db.and_(Publication.withdrawn_at.is_(None),
                   or_(Publication.scope == "network", Publication.school_id == user.school_id,
                       Publication.group_id.in_(mine)))


def publication_or_404(user: User, publication_id: int) -> Publication:
    publication = db.session.scalar(db.select(Publication).where(Publication.id == publication_id, visible(user)))
    if publication is None:
        abort(404)
    return publication


@dataclass
class Results:
    rows: list            # (publication, snippet markup or None)
    total: int
    query: str
    words: list[str]
    filters: dict = field(default_factory=dict)
    page: int = 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def clean_filters(args) -> dict:
    out = {}
    for name in FILTERS:
        value = " ".join(str(args.get(name, "") or "").split())[:80]
        if value:
            out[name] = value
    return out


def browse(user: User, query: str = "", filters: dict | None = None, page: int = 1) -> Results:
    filters = filters or {}
    words = search.terms(query)
    # Narrow queries (ids only) find the page and count the matches; the page's studies load after.
    base = db.select(Publication.id).where(visible(user))
    if filters.get("subject"):
        base = base.where(Publication.subject == filters["subject"])
    if filters.get("phase"):
        base = base.where(Publication.phase == filters["phase"])
    if filters.get("year_group"):
        base = base.where(Publication.year_group == filters["year_group"])
    if filters.get("year"):
        base = base.where(Publication.school_year == filters["year"])
    if parse_id(filters.get("school")) is not None:
        base = base.where(Publication.school_id == parse_id(filters["school"]))
    for name, column in (("focus", Publication.focus), ("approach", Publication.approach)):
        if filters.get(name):
            pattern = "%" + filters[name].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            base = base.where(column.ilike(pattern, escape="\\"))
    page = max(1, min(page, 1000))
    ordered = (search.matching(base, words) if words
               else base.order_by(Publication.published_at.desc(), Publication.id.desc()))
    ids, total = _page_and_count(ordered, page)
    loaded = {p.id: p for p in db.session.scalars(db.select(Publication).where(Publication.id.in_(ids))
                                                   .options(joinedload(Publication.school)))} if ids else {}
    marked = search.snippets(ids, words)
    rows = [(loaded[i], search.highlight(marked.get(i)) if words else None) for i in ids]
    return Results(rows=rows, total=total, query=query[:search.MAX_QUERY], words=words, filters=filters,
                   page=page)


def _page_and_count(ordered, page: int) -> tuple[list[int], int]:
    """The ids on this page and the number of matches. PostgreSQL counts in the page's own query (a window
    over all matches, so the text is matched once); SQLite plans that window badly (three times slower
    with FTS5 and filters, measured), so it counts in a second, narrow query."""
    window = search.dialect() == "postgresql"
    shown = ordered.add_columns(db.func.count().over()) if window else ordered
    found = db.session.execute(shown.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    if window and found:
        return [row[0] for row in found], found[0][1]
    total = db.session.scalar(db.select(db.func.count()).select_from(ordered.order_by(None).subquery()))
    return [row[0] for row in found], total or 0


def facets(user: User) -> dict:
    """The values the filters offer, from what the user may read."""
    where = visible(user)

    def distinct(column):
        return [v for v in db.session.scalars(db.select(column).where(where, column != "").distinct()
                                              .order_by(column))]

    schools = db.session.execute(db.select(School.id, School.name).where(
        School.id.in_(db.select(Publication.school_id).where(where))).order_by(School.name)).all()
    return {"subjects": distinct(Publication.subject), "years": distinct(Publication.school_year),
            "year_groups": distinct(Publication.year_group), "schools": schools}


def links(user: User, publication: Publication) -> tuple[list[Publication], list[Publication]]:
    """(studies this one builds on, studies that build on this one), both limited to what `user` reads."""
    on = db.select(GroupLink.builds_on_id).where(GroupLink.group_id == publication.group_id)
    by = db.select(GroupLink.group_id).where(GroupLink.builds_on_id == publication.group_id)

    def of(groups):
        return list(db.session.scalars(db.select(Publication).where(visible(user), Publication.group_id.in_(groups))
                                       .order_by(Publication.published_at.desc())))
    return of(on), of(by)


def many(user: User, ids: list[int]) -> list[Publication]:
    if not ids:
        return []
    found = {p.id: p for p in db.session.scalars(db.select(Publication).where(visible(user),
                                                                               Publication.id.in_(ids[:30])))}
    return [found[i] for i in ids if i in found]
