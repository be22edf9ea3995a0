"""A post's actions (edit, delete, mark, hide), fetched when its "More" menu is opened.

The board would repeat every post's forms in every page (about 1.6 kB a post, 40 % of a board of 60
posts) for menus that are opened once in a while: each menu holds a link to this page instead, which
htmx fetches into the menu when it opens. Without JavaScript the link opens the same actions as a page
of their own, whose forms post and come back to the board.
"""

from __future__ import annotations

from flask import abort, get_template_attribute
from flask_login import current_user

from ..web import html_response, is_fragment_request, render
from . import bp
from .viewer import MACROS
from .views import board_or_404, post_or_404, viewer_of


@bp.route("/lessons/<int:lesson_id>/board/posts/<int:post_id>/actions")
def actions(lesson_id: int, post_id: int):
    lesson, guest = board_or_404(lesson_id)
    post = post_or_404(lesson, post_id, guest)
    viewer = viewer_of(lesson, guest, posts=[post])
    own = post.author_id == current_user.id
    if post.is_removed or not (own or viewer.facilitator or viewer.can_mark(post)):
        abort(404)  # nothing this person may do with it (the board shows them no menu either)
    who = "your post" if own else f"{post.author.display_name}’s post"
    if is_fragment_request():
        return html_response(get_template_attribute(MACROS, "post_actions")(post, viewer))
    return render("discussion/actions.html", lesson=lesson, group=lesson.cycle.group, post=post, v=viewer, who=who)
