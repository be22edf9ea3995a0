"""The library: browse and search published studies, read one, print it as a handout, download it, and
gather several into a booklet."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_login import current_user

from ..inputs import ascii_int, parse_id
from ..web import refusals_go_to, render, see_other
from . import bp, exports, library, openhouse, publishing
from .publishing import PHASES
from .views_summary import download


def _page_number() -> int:
    page = request.args.get("page", "1")
    return ascii_int(page, 9999, 1) or 1


@bp.route("/library")
def library_index():
    query = (request.args.get("q", "") or "")[:2000]
    results = library.browse(current_user, query, library.clean_filters(request.args), _page_number())
    return render("sharing/library.html", "results", results=results, facets=library.facets(current_user),
                  phases=PHASES, open_houses=openhouse.open_houses_listed())


@bp.route("/library/studies/<int:publication_id>")
def study(publication_id: int):
    publication = library.publication_or_404(current_user, publication_id)
    builds_on, built_on_by = library.links(current_user, publication)
    return render("sharing/study.html", publication=publication, study=publishing.content_of(publication),
                  builds_on=builds_on, built_on_by=built_on_by, phases=PHASES, scopes=publishing.SCOPES)


@bp.route("/library/studies/<int:publication_id>/handout")
def handout(publication_id: int):
    publication = library.publication_or_404(current_user, publication_id)
    return render("sharing/handout.html", studies=[(publication, publishing.content_of(publication))],
                  title=publication.title, booklet=False)


@bp.route("/library/studies/<int:publication_id>/export.<fmt>")
def export(publication_id: int, fmt: str):
    publication = library.publication_or_404(current_user, publication_id)
    if fmt not in exports.FORMATS:
        abort(404)
    refusals_go_to(url_for("sharing.study", publication_id=publication.id))
    body = exports.render(fmt, [publishing.content_of(publication)])
    return download(body, fmt, f"study-{publication.id}")


def _booklet_ids() -> list[int]:
    return [study for study in map(parse_id, request.args.getlist("study")[:30]) if study is not None]


@bp.route("/library/booklet")
def booklet():
    chosen = library.many(current_user, _booklet_ids())
    if not chosen:
        flash("Tick the studies for the booklet in the library first.", "info")
        return see_other(url_for("sharing.library_index"))
    return render("sharing/handout.html", studies=[(p, publishing.content_of(p)) for p in chosen],
                  title="Booklet of lesson studies", booklet=True, ids=[p.id for p in chosen])


@bp.route("/library/booklet.<fmt>")
def booklet_export(fmt: str):
    if fmt not in exports.FORMATS:
        abort(404)
    chosen = library.many(current_user, _booklet_ids())
    refusals_go_to(url_for("sharing.library_index"))
    body = exports.render(fmt, [publishing.content_of(p) for p in chosen])
    return download(body, fmt, "lesson-study-booklet")
