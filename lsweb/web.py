"""The one module that knows about htmx: full pages or named template blocks, flashes, redirects."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, g, make_response, redirect, render_template, request, session
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


# --- a service's refusal, answered the same way everywhere ---------------------------------------------

def refusals_go_to(location: str) -> None:
    """Where a refusal (a DomainError the view does not catch) sends the person back to in this request;
    without it, the page the form was on (the Referer, when it is this site's), else home."""
    g.refused_to = location


def on_refusal(answer, flashes: bool = False) -> None:
    """How this request answers a refusal: `answer(error)` makes the response (for htmx, the region
    again, say) once what the request wrote is undone; `flashes`: the answer shows the message itself."""
    g.refusal_answer, g.refusal_flashes = answer, flashes


def _back() -> str:
    if g.get("refused_to"):
        return g.refused_to
    referrer = request.referrer or ""
    parts, own = urlsplit(referrer), urlsplit(request.host_url)
    if referrer and (parts.scheme, parts.netloc) == (own.scheme, own.netloc):
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return "/"


def register_domain_errors(app) -> None:
    """A rule of lsweb refused the action: undo what the request wrote, show the rule's message, and
    answer as after any action: a 303 back for a browser, HX-Redirect for htmx (the message shows on
    the page it lands on). Views catch the error themselves only where they show a form again with the
    message beside its field."""
    from .errors import DomainError
    from .extensions import db

    @app.errorhandler(DomainError)
    def _refused(error: DomainError):
        db.session.rollback()
        answer = g.pop("refusal_answer", None)
        if answer is None or not g.get("refusal_flashes"):
            flash(error.message, "error")
        return answer(error) if answer is not None else done(_back())
