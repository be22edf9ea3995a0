"""The library: the network's published studies, browsed by subject, phase or year group, focus, approach,
school and school year, and searched in full text (search.py). "Builds on" links are shown both ways.

Who reads what: a study published to the network is read by everyone signed in; one published to its
school by that school's staff (and network admins); the group's own members always read their own.
An unpublished or withdrawn summary is in nobody's library (school leaders included).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort
from sqlalchemy import String, bindparam, literal, or_, union_all
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


# The same rule built once, with the viewer as bound parameters (`_viewer`), for the library's own pages:
# building the clause anew on every request cost more than running it.
_VISIBLE_TO_ADMIN = Publication.withdrawn_at.is_(None)
_VISIBLE_TO_STAFF = db.and_(
    Publication.withdrawn_at.is_(None),
    or_(Publication.scope == "network", Publication.school_id == bindparam("viewer_school"),
        Publication.group_id.in_(db.select(GroupMember.group_id).where(
            GroupMember.user_id == bindparam("viewer"), GroupMember.left_at.is_(None)))))


def _viewer(user: User):
    """(the visibility clause, its parameters) for `user`, or None for someone not signed in (who reads
    nothing). A user of no school matches no school's publication (school_id is never NULL)."""
    if not user.is_authenticated:
        return None
    if user.is_network_admin:
        return _VISIBLE_TO_ADMIN, {}
    return _VISIBLE_TO_STAFF, {"viewer": user.id, "viewer_school": user.school_id}


def _prebuilt(build):
    """One statement per visibility clause, built on first use."""
    made: dict = {}

    def get(clause):
        found = made.get(id(clause))
        if found is None:
            found = made.setdefault(id(clause), build(clause))
        return found
    return get


_ONE = _prebuilt(lambda where: db.select(Publication).where(Publication.id == bindparam("publication"), where))


def publication_or_404(user: User, publication_id: int) -> Publication:
    viewer = _viewer(user)
    if viewer is None:
        abort(404)
    where, params = viewer
    publication = db.session.scalar(_ONE(where), {**params, "publication": publication_id})
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


def _facet_query(where):
    def distinct(name, column):
        return db.select(literal(name).label("facet"), column.label("value"), literal("").label("name")).where(
            where, column != "").distinct()
    schools = db.select(literal("schools").label("facet"), db.cast(School.id, String).label("value"), School.name.label("name")).where(
        School.id.in_(db.select(Publication.school_id).where(where)))
    return union_all(distinct("subjects", Publication.subject), distinct("years", Publication.school_year),
                     distinct("year_groups", Publication.year_group), schools)


_FACETS = _prebuilt(_facet_query)


def facets(user: User) -> dict:
    """The values the filters offer, from what the user may read (one query)."""
    found: dict = {"subjects": [], "years": [], "year_groups": [], "schools": []}
    viewer = _viewer(user)
    if viewer is None:
        return found
    where, params = viewer
    for facet, value, name in db.session.execute(_FACETS(where), params):
        found[facet].append((int(value), name) if facet == "schools" else value)
    found["schools"].sort(key=lambda school: (school[1], school[0]))
    for name in ("subjects", "years", "year_groups"):
        found[name].sort()
    return found


_BUILDS_ON = db.select(GroupLink.builds_on_id).where(GroupLink.group_id == bindparam("group"))
_BUILT_ON_BY = db.select(GroupLink.group_id).where(GroupLink.builds_on_id == bindparam("group"))
_LINKED = _prebuilt(lambda where: db.select(
    Publication.id, Publication.title, Publication.group_id.in_(_BUILDS_ON).label("on"),
    Publication.group_id.in_(_BUILT_ON_BY).label("by"))
    .where(where, or_(Publication.group_id.in_(_BUILDS_ON), Publication.group_id.in_(_BUILT_ON_BY)))
    .order_by(Publication.published_at.desc(), Publication.id.desc()))


def links(user: User, publication: Publication) -> tuple[list, list]:
    """(studies this one builds on, studies that build on this one), both limited to what `user` reads:
    rows with the study's id and title, in one query."""
    viewer = _viewer(user)
    if viewer is None:
        return [], []
    where, params = viewer
    rows = db.session.execute(_LINKED(where), {**params, "group": publication.group_id}).all()
    return [row for row in rows if row.on], [row for row in rows if row.by]


def many(user: User, ids: list[int]) -> list[Publication]:
    if not ids:
        return []
    found = {p.id: p for p in db.session.scalars(db.select(Publication).where(visible(user),
                                                                               Publication.id.in_(ids[:30])))}
    return [found[i] for i in ids if i in found]
