"""The one module that knows about htmx: full pages or named template blocks, flashes, redirects."""

from __future__ import annotations

from flask import make_response, redirect, render_template, request, session
from jinja2_fragments.flask import render_block


def is_fragment_request() -> bool:
    """htmx asked for part of a page (not a boosted navigation, not a history restore)."""
    hx = getattr(request, "htmx", None)
    return bool(hx) and not hx.boosted and not hx.history_restore_request


def _flash_oob() -> str:
    return render_template("macros/flash.html", oob=True)


def render(template: str, block: str | None = None, status: int = 200, **context):
    """Render a whole page, or only `block` of it for htmx, with flashes swapped in out of band."""
    if block is not None and is_fragment_request():
        body = render_block(template, block, **context)
        # A live refresh (a GET) must not wipe the message of the user's own action.
        if request.method != "GET" or session.get("_flashes"):
            body += _flash_oob()
    else:
        body = render_template(template, **context)
    return html_response(body, status)


def html_response(body: str, status: int = 200):
    """A page or fragment whose content depends on whether htmx asked (Vary: HX-Request)."""
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def see_other(location: str):
    """303 See Other: after a POST the browser GETs the next page (post-redirect-get)."""
    return redirect(location, code=303)


def done(location: str, template: str | None = None, block: str | None = None, **context):
    """After a successful POST: htmx gets the updated fragment, a plain browser a 303 redirect."""
    if template is not None and block is not None and is_fragment_request():
        return render(template, block, **context)
    if is_fragment_request():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = location
        return response
    return see_other(location)


def form_error(template: str, block: str, **context):
    """Re-render the form with its messages beside the fields and the user's input kept (422)."""
    return render(template, block, status=422, **context)
