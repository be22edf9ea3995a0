"""The discussion board of a research lesson: /lessons/<id>/board…

The page is live: one element (#board-sync) fetches the posts changed after the last change number
the page has (#board-seq) whenever the stream says the board changed, when the user's own action
succeeded (HX-Trigger: board-sync), and on every (re)connect (resync). The answer swaps each changed
post in by its id and appends new ones out of band, so forms being typed in are never touched.
"""

from __future__ import annotations

from flask import (
    abort,
    flash,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block

from ..inputs import ascii_int, parse_id
from .. import access, fragments
from ..fragments import Fragment
from ..errors import DomainError, SignFirst, show_on_form
from ..extensions import db
from ..models import Post, ResearchLesson
from ..permissions import is_facilitator
from ..web import form_error, html_response, is_fragment_request, on_refusal, render, see_other
from . import bp, moderation, services
from .forms import EditForm, GuestForm, HideForm, MarkForm, PostForm, RolesForm
from .record import as_markdown, record_of
from .viewer import SlotViewer, Viewer, facts_of, new_form, viewer_for

PAGE = "discussion/board.html"


@bp.before_request
@login_required
def _signed_in():
    return None


def board_or_404(lesson_id: int) -> tuple[ResearchLesson, bool | str]:
    """(lesson, False for a member, else services.GUEST or KNOWLEDGEABLE_GUEST). Members who have not
    signed are sent to sign; strangers get 404."""
    standing = access.of_lesson(current_user, lesson_id)  # one query: member, signed, guest
    if not standing.found:
        abort(404)
    if standing.member:
        if not standing.sees_material:
            raise SignFirst(standing.group_id, "its discussions and take part in them")
        return access.load_lesson(lesson_id), False
    if not standing.guest:
        abort(404)
    lesson = access.load_lesson(lesson_id)
    guest = services.guest_of(current_user, lesson)
    if guest is not None:
        return lesson, services.KNOWLEDGEABLE_GUEST if guest.knowledgeable_other else services.GUEST
    abort(404)


def post_or_404(lesson: ResearchLesson, post_id: int, guest: bool) -> Post:
    """The lesson's post, if this reader sees its section (a guest: the Guests section and what is shared)."""
    post = db.session.get(Post, post_id)
    if post is None or post.lesson_id != lesson.id:
        abort(404)
    if guest and services.section_or_none(lesson, post.section, guest) is None:
        abort(404)
    return post


def viewer_of(lesson: ResearchLesson, guest: bool, posts=None, roles=None) -> Viewer:
    """The viewer; `posts` None: the agreements of the whole board (one query)."""
    chair, recorder = roles or services.roles_of(lesson)
    facilitator = not guest and access.of_lesson(current_user, lesson).facilitator
    marker = facilitator or current_user.id in (getattr(chair, "id", None), getattr(recorder, "id", None))
    agreed = services.agreed_on_board(current_user, lesson) if posts is None else \
        services.agreed_by(current_user, list(posts))
    return viewer_for(lesson.id, current_user.id, guest, facilitator, marker, agreed,
                      services.is_knowledgeable_other(current_user, lesson))


def _render_sections(lesson: ResearchLesson, seq: int, sections, viewer: Viewer, forms: dict) -> Fragment:
    shown = services.sections_posts(lesson, seq)
    parts, loaded = [], []
    for section in sections:
        posts, more = shown.get(section.key, ([], False))
        parts.append((section, posts, more))
        loaded += posts
    replies = services.replies_of(loaded, seq)
    every = loaded + [reply for thread in replies.values() for reply in thread]
    slots = SlotViewer(viewer)
    html = render_block(PAGE, "sections", lesson=lesson, parts=parts, replies=replies, v=slots, forms=forms,
                        new_form=slots.new_form)
    return Fragment(html, facts={post.id: facts_of(post) for post in every})


def sections_html(lesson: ResearchLesson, seq: int, sections, viewer: Viewer, forms: dict | None = None):
    """The board's sections with their posts: kept per board version and kind of viewer, filled in for
    this viewer. A page that shows forms sent back with errors is rendered for itself."""
    if forms:
        fragment = _render_sections(lesson, seq, sections, viewer, forms)
    else:
        # the stamp: pupils' labels, members' names; the sections: what a guest reads (the facilitator chooses)
        key = (lesson.id, seq, lesson.plan_stamp, viewer.kind, tuple(section.key for section in sections))
        fragment = fragments.cache("board-sections").get_or_render(
            key, lambda: _render_sections(lesson, seq, sections, viewer, {}))
    viewer.facts = fragment.facts
    return fragment.fill(viewer.fillers())


def board_context(lesson: ResearchLesson, guest: bool, forms: dict | None = None) -> dict:
    seq = services.current_seq(lesson)
    sections = services.sections_for(lesson, guest)
    members = services.current_members_of(lesson) if not guest else None
    chair, recorder = services.roles_of(lesson, members)
    viewer = viewer_of(lesson, guest, roles=(chair, recorder))
    context = {"lesson": lesson, "group": lesson.cycle.group, "sections": sections, "seq": seq,
               "v": viewer, "chair": chair, "recorder": recorder, "forms": forms or {},
               "new_form": new_form, "guests": services.guests_of(lesson) if viewer.facilitator else [],
               "sections_html": sections_html(lesson, seq, sections, viewer, forms)}
    if not guest:  # the predicted-against-observed grid heads the members' board, with the agenda
        from ..lessonday.grid import grid_html

        context["grid_html"], context["agenda_summary"] = grid_html(lesson, PAGE, "agenda")
    if viewer.facilitator:
        context["roles_form"] = _roles_form(lesson, chair, recorder, members=members)
        context["guest_form"] = GuestForm(formdata=None)
        context["shared_with_guests"] = services.shared_with_guests(lesson)
        context["shareable"] = [section for section in services.sections_of(lesson)
                                if section.key != services.GUESTS]
    return context


def _roles_form(lesson, chair, recorder, formdata=None, members=None) -> RolesForm:
    form = RolesForm(formdata=formdata, chair_id=getattr(chair, "id", 0), recorder_id=getattr(recorder, "id", 0))
    if members is None:
        members = services.current_members_of(lesson)
    choices = [(0, "As in the group’s roles")] + [(m.user_id, m.user.display_name) for m in members]
    form.chair_id.choices = form.recorder_id.choices = choices
    return form


def _titles(lesson: ResearchLesson) -> dict[str, str]:
    return {section.key: section.title for section in services.sections_of(lesson)}


def titles_for(lesson: ResearchLesson, guest: bool) -> set[str]:
    return {section.key for section in services.sections_for(lesson, guest)}


def _board_url(lesson: ResearchLesson, post: Post | None = None) -> str:
    return url_for("discussion.board", lesson_id=lesson.id, _anchor=f"post-{post.id}" if post else None)


def _changed(lesson: ResearchLesson, post: Post | None = None, status: int = 204):
    """After an action (the service told every page of the board): answer htmx with 'sync now' (the
    change arrives like everyone else's) and a plain browser with a 303 back to the board."""
    if is_fragment_request():
        response = make_response("", status)
        response.headers["HX-Trigger"] = "board-sync"
        return response
    return see_other(_board_url(lesson, post))


def _refused(lesson: ResearchLesson, error: DomainError):
    """An action refused by a rule: the message, in place for htmx (out of band), or on the board."""
    db.session.rollback()
    flash(error.message, "error")
    if is_fragment_request():
        return html_response(render_template("macros/flash.html", oob=True))
    return see_other(_board_url(lesson))


@bp.route("/lessons/<int:lesson_id>/board")
def board(lesson_id: int):
    lesson, guest = board_or_404(lesson_id)
    return render(PAGE, **board_context(lesson, guest))


@bp.route("/lessons/<int:lesson_id>/board/changes")
def changes(lesson_id: int):
    """The posts changed after ?after=<change number>, as out-of-band swaps (see the module doc)."""
    lesson, guest = board_or_404(lesson_id)
    after = ascii_int(request.args.get("after"))
    if after is None or not is_fragment_request():
        return see_other(_board_url(lesson))
    seq = services.current_seq(lesson)
    posts, too_many = services.changes_after(lesson, after, seq)
    if guest:  # only the sections a guest reads
        posts = [post for post in posts if post.section in titles_for(lesson, guest)]
    if too_many or after > seq:
        response = make_response("", 204)
        response.headers["HX-Refresh"] = "true"
        return response
    titles = _titles(lesson)
    # New posts first, oldest first (a thread before its replies), then the changed ones.
    new_posts = sorted((post for post in posts if post.created_seq > after), key=lambda post: post.id)
    changed_posts = [post for post in posts if post.created_seq <= after]
    return render(PAGE, "changes", lesson=lesson, new_posts=new_posts, changed_posts=changed_posts, seq=seq,
                  titles=titles, v=viewer_of(lesson, guest, posts), new_form=new_form, forms={})


@bp.route("/lessons/<int:lesson_id>/board/sections/<key>")
def earlier(lesson_id: int, key: str):
    """Earlier threads of a section, before ?before=<post id> ("Show earlier")."""
    lesson, guest = board_or_404(lesson_id)
    section = services.section_or_none(lesson, key, guest)
    before = parse_id(request.args.get("before"))
    if section is None or before is None:
        abort(404)
    if not is_fragment_request():
        return see_other(_board_url(lesson))
    seq = services.current_seq(lesson)
    posts, more = services.section_posts(lesson, key, seq, before_id=before)
    replies = services.replies_of(posts)
    every = posts + [reply for thread in replies.values() for reply in thread]
    return render(PAGE, "earlier", lesson=lesson, section=section, posts=posts, more=more, replies=replies,
                  v=viewer_of(lesson, guest, every), new_form=new_form, forms={})


@bp.route("/lessons/<int:lesson_id>/board/posts", methods=["POST"])
def add_post(lesson_id: int):
    lesson, guest = board_or_404(lesson_id)
    form = PostForm()  # CSRF is checked for every POST by CSRFProtect; the service checks the rest
    parent_id = parse_id(form.parent_id.data)
    parent = post_or_404(lesson, parent_id, guest) if parent_id is not None else None
    if (parent.section if parent else form.section.data) == services.FINAL and \
            not services.can_post_in(current_user, lesson, services.FINAL):
        abort(404)  # the final comments are the knowledgeable other's: no box is offered to anyone else
    try:
        if form.parent_id.data and parent_id is None:  # a page's hidden field, broken or forged
            raise DomainError("The post this replies to cannot be found: reload the page. Your text is kept below.",
                              "body")
        post, created = services.add_post(current_user, lesson, form.section.data or "", form.body.data,
                                          form.token.data or "", parent=parent, mark=form.mark.data or None)
    except DomainError as error:
        db.session.rollback()
        form.validate()  # (makes the errors lists)
        show_on_form(form, error)
        if not is_fragment_request():  # the page may not show that form (a guest's forged section)
            flash(error.message, "error")
        key = f"reply-{parent.id}" if parent else form.section.data or ""
        return form_error(PAGE, "post_form", **board_context(lesson, guest, {key: form}), form=form,
                          section_key=form.section.data or "", parent=parent, titles=_titles(lesson))
    if is_fragment_request():
        fresh = new_form(post.section, parent)
        response = render(PAGE, "post_form", lesson=lesson, form=fresh, section_key=post.section, parent=parent,
                          v=viewer_of(lesson, guest), titles=_titles(lesson))
        response.headers["HX-Trigger"] = "board-sync"
        return response
    return see_other(_board_url(lesson, post))


@bp.route("/lessons/<int:lesson_id>/board/posts/<int:post_id>/edit", methods=["GET", "POST"])
def edit(lesson_id: int, post_id: int):
    lesson, guest = board_or_404(lesson_id)
    post = post_or_404(lesson, post_id, guest)
    if post.author_id != current_user.id:
        abort(404)
    form = EditForm(data=None if request.method == "POST" else {"body": post.body})
    context = {"lesson": lesson, "group": lesson.cycle.group, "post": post, "form": form}
    if request.method == "POST":
        try:
            services.edit_post(current_user, post, form.body.data)
        except DomainError as error:
            db.session.rollback()
            form.validate()  # (makes the errors lists)
            show_on_form(form, error)
            return form_error("discussion/edit.html", "edit_form", **context)
        return _changed(lesson, post, status=200)
    return render("discussion/edit.html", "edit_form", **context)


@bp.route("/lessons/<int:lesson_id>/board/posts/<int:post_id>/delete", methods=["POST"])
def delete(lesson_id: int, post_id: int):
    lesson, guest = board_or_404(lesson_id)
    post = post_or_404(lesson, post_id, guest)
    on_refusal(lambda error: _refused(lesson, error), flashes=True)
    services.delete_post(current_user, post)
    return _changed(lesson, post)


@bp.route("/lessons/<int:lesson_id>/board/posts/<int:post_id>/hide", methods=["POST"])
def hide(lesson_id: int, post_id: int):
    lesson, guest = board_or_404(lesson_id)
    post = post_or_404(lesson, post_id, guest)
    form = HideForm()
    on_refusal(lambda error: _refused(lesson, error), flashes=True)
    services.hide_post(current_user, post, form.reason.data or "")
    return _changed(lesson, post)


@bp.route("/lessons/<int:lesson_id>/board/posts/<int:post_id>/unhide", methods=["POST"])
def unhide(lesson_id: int, post_id: int):
    lesson, guest = board_or_404(lesson_id)
    post = post_or_404(lesson, post_id, guest)
    form = HideForm()
    on_refusal(lambda error: _refused(lesson, error), flashes=True)
    moderation.unhide_post(current_user, post, form.reason.data or "")
    return _changed(lesson, post)


@bp.route("/lessons/<int:lesson_id>/board/posts/<int:post_id>/mark", methods=["POST"])
def mark(lesson_id: int, post_id: int):
    lesson, guest = board_or_404(lesson_id)
    post = post_or_404(lesson, post_id, guest)
    form = MarkForm()
    on_refusal(lambda error: _refused(lesson, error), flashes=True)
    services.set_mark(current_user, post, form.mark.data or None)
    return _changed(lesson, post)


@bp.route("/lessons/<int:lesson_id>/board/posts/<int:post_id>/agree", methods=["POST"])
def agree(lesson_id: int, post_id: int):
    lesson, guest = board_or_404(lesson_id)
    post = post_or_404(lesson, post_id, guest)
    on_refusal(lambda error: _refused(lesson, error), flashes=True)
    services.toggle_agree(current_user, post)
    return _changed(lesson, post)


@bp.route("/lessons/<int:lesson_id>/board/posts/<int:post_id>/history")
def history(lesson_id: int, post_id: int):
    lesson, guest = board_or_404(lesson_id)
    post = post_or_404(lesson, post_id, guest)
    if post.is_removed:
        abort(404)
    return render("discussion/history.html", lesson=lesson, group=lesson.cycle.group, post=post,
                  revisions=services.revisions_of(post))


@bp.route("/lessons/<int:lesson_id>/board/record")
def record(lesson_id: int):
    lesson, guest = board_or_404(lesson_id)
    sections, findings, next_steps = record_of(lesson, guest)
    chair, recorder = services.roles_of(lesson)
    return render("discussion/record.html", lesson=lesson, group=lesson.cycle.group, sections=sections,
                  findings=findings, next_steps=next_steps, chair=chair, recorder=recorder)


@bp.route("/lessons/<int:lesson_id>/board/record.md")
def record_markdown(lesson_id: int):
    lesson, guest = board_or_404(lesson_id)
    response = make_response(as_markdown(lesson, guest))
    response.mimetype = "text/markdown"
    response.headers["Content-Disposition"] = (f'attachment; filename="discussion-cycle{lesson.cycle.number}'
                                               f'-rl{lesson.number}.md"')
    return response


@bp.route("/lessons/<int:lesson_id>/board/roles", methods=["POST"])
def roles(lesson_id: int):
    lesson, guest = board_or_404(lesson_id)
    if guest or not is_facilitator(current_user, lesson.cycle.group):
        abort(404)
    chair, recorder = services.roles_of(lesson)
    form = _roles_form(lesson, chair, recorder, formdata=request.form)
    on_refusal(lambda error: _refused(lesson, error), flashes=True)
    services.set_roles(current_user, lesson, form.chair_id.data or None, form.recorder_id.data or None)
    flash("The chair and the recorder are saved.", "success")
    return see_other(_board_url(lesson))


@bp.route("/lessons/<int:lesson_id>/board/guests", methods=["POST"])
def invite(lesson_id: int):
    lesson, guest = board_or_404(lesson_id)
    if guest or not is_facilitator(current_user, lesson.cycle.group):
        abort(404)
    form = GuestForm()
    on_refusal(lambda error: _refused(lesson, error), flashes=True)
    invited = services.invite_guest(current_user, lesson, form.email.data, bool(request.form.get("knowledgeable_other")))
    flash(f"{invited.user.display_name} is invited to this discussion as "
          f"{'its knowledgeable other' if invited.knowledgeable_other else 'a guest'}.", "success")
    return see_other(_board_url(lesson))


@bp.route("/lessons/<int:lesson_id>/board/guest-sections", methods=["POST"])
def guest_sections(lesson_id: int):
    """The facilitator shares sections with the guests (who read them beside the Guests section)."""
    lesson, guest = board_or_404(lesson_id)
    if guest or not is_facilitator(current_user, lesson.cycle.group):
        abort(404)
    known = {section.key for section in services.sections_of(lesson)} - {services.GUESTS}
    services.share_with_guests(current_user, lesson, request.form.getlist("section"), known)
    flash("Guests now read what you chose.", "success")
    return see_other(_board_url(lesson))


@bp.route("/lessons/<int:lesson_id>/board/guests/<int:guest_id>/remove", methods=["POST"])
def remove_guest(lesson_id: int, guest_id: int):
    lesson, guest = board_or_404(lesson_id)
    if guest or not is_facilitator(current_user, lesson.cycle.group):
        abort(404)
    invited = next((g for g in services.guests_of(lesson) if g.id == guest_id), None)
    if invited is None:
        abort(404)
    services.remove_guest(current_user, invited)
    flash(f"{invited.user.display_name} is no longer a guest of this discussion.", "success")
    return see_other(_board_url(lesson))
