"""Sign in with the school's OpenID Connect provider: /login/oidc sends the browser to the provider,
/login/oidc/callback is where it comes back (the redirect URI to register: https://<host>/login/oidc/callback).
A refusal, whatever its reason, lands on the sign-in page with one message; the reason is logged and audited."""

from __future__ import annotations

from flask import abort, current_app, flash, request, session, url_for
from flask_login import current_user

from ..extensions import db
from ..web import see_other
from . import bp, oidc
from .views import _safe_next, first_step_passed

NEXT_KEY = "oidc_next"


def _refused(refusal: oidc.Refused):
    oidc.record_refusal(refusal)
    db.session.commit()
    name = current_app.config["LSWEB"]["OIDC_NAME"]
    if refusal.account:
        flash(f"You are signed in to {name}, but that account cannot sign in to lsweb. If you think it "
              "should, ask your school’s lsweb admin.", "error")
    else:
        flash(f"Signing in with {name} did not work. Try again; if it keeps failing, ask your school’s "
              "lsweb admin.", "error")
    return see_other(url_for("auth.login"))


def _redirect_uri() -> str:
    base = current_app.config["LSWEB"].get("BASE_URL")
    if base:
        return base.rstrip("/") + url_for("auth.oidc_callback")
    return url_for("auth.oidc_callback", _external=True)


@bp.route("/login/oidc")
def oidc_start():
    if current_user.is_authenticated:
        return see_other(url_for("home.index"))
    if not oidc.enabled():
        abort(404)
    session[NEXT_KEY] = _safe_next(request.args.get("next"))
    try:
        return oidc.authorization_redirect(_redirect_uri())
    except oidc.Refused as refusal:
        return _refused(refusal)


@bp.route("/login/oidc/callback")
def oidc_callback():
    if current_user.is_authenticated:
        return see_other(url_for("home.index"))
    if not oidc.enabled():
        abort(404)
    target = _safe_next(session.pop(NEXT_KEY, None))
    try:
        user = oidc.account_for(oidc.claims_from_callback())
    except oidc.Refused as refusal:
        return _refused(refusal)
    return first_step_passed(user, remember=False, target=target, weak=False)


bp.add_app_template_global(oidc.button_label, "oidc_button")
