"""Signing in with the school's OpenID Connect provider (Microsoft Entra ID, Google Workspace, any
standard provider) through Authlib.

The provider is found by discovery (LSWEB_OIDC_ISSUER + /.well-known/openid-configuration); the sign-in
is the authorization code flow with PKCE (S256), a state and a nonce kept in the session; the ID token's
signature (the provider's published keys), issuer, audience (LSWEB_OIDC_CLIENT_ID), expiry and nonce are
checked. The account is the lsweb account with the token's e-mail address, which must be verified when
the provider says so and belong to a domain of LSWEB_OIDC_DOMAINS; an unknown person gets an account only
when their domain's rule names a role (the admin's decision, as LSWEB_LDAP_GROUPS does for the
directory). A deactivated account cannot sign in this way either.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import current_app
from joserfc.errors import JoseError

from .. import audit
from ..extensions import db
from ..models import Role, School, User

log = logging.getLogger("lsweb.auth.oidc")
TIMEOUT_SECONDS = 10
SCOPE = "openid email profile"
_LOCK = threading.Lock()


class Refused(Exception):
    """A sign-in through the provider that does not go ahead; `reason` is for the log and the audit,
    never for the page (which says only that it did not work)."""

    def __init__(self, reason: str, email: str = "", account: bool = False):
        super().__init__(reason)
        self.reason, self.email = reason, email
        self.account = account  # the provider signed the person in, but lsweb does not let them in


@dataclass(frozen=True)
class DomainRule:
    domain: str
    school: str
    role: Role | None  # None: only people who have an lsweb account already


def parse_domains(text: str | None) -> dict[str, DomainRule]:
    """LSWEB_OIDC_DOMAINS: rules separated by ";" or new lines, each "domain -> School name" or
    "domain -> role @ School name" (the shape of LSWEB_LDAP_GROUPS; with a role, unknown people of the
    domain get an account with it)."""
    rules = {}
    for part in (text or "").replace("\n", ";").split(";"):
        if not part.strip():
            continue
        domain, arrow, target = part.partition("->")
        role_text, at, school = target.partition("@")
        if not at:
            role_text, school = "", role_text
        role = Role.parse(role_text) if role_text.strip() else None
        domain = domain.strip().lower().lstrip("@")
        if (not arrow or not domain or "@" in domain or not school.strip() or (role_text.strip() and role is None)
                or role is Role.NETWORK_ADMIN):
            raise ValueError(f"LSWEB_OIDC_DOMAINS: “{part.strip()}” is not “domain -> School name” "
                             f"or “domain -> role @ School name”")
        rules[domain] = DomainRule(domain, school.strip(), role)
    return rules


def enabled() -> bool:
    settings = current_app.config["LSWEB"]
    return bool(settings.get("OIDC_ISSUER") and settings.get("OIDC_CLIENT_ID"))


def button_label() -> str | None:
    """"Sign in with <this>" on the sign-in page, or None when OpenID Connect is off."""
    return current_app.config["LSWEB"]["OIDC_NAME"] if enabled() else None


def client():
    """The app's Authlib client for the provider (made on first use; it keeps the discovered metadata)."""
    app = current_app._get_current_object()
    with _LOCK:
        if "lsweb_oidc" not in app.extensions:
            settings = app.config["LSWEB"]
            oauth = OAuth(app)
            issuer = settings["OIDC_ISSUER"].rstrip("/")
            kwargs = {"scope": SCOPE, "code_challenge_method": "S256", "default_timeout": TIMEOUT_SECONDS}
            if settings.get("OIDC_CA_FILE"):
                kwargs["verify"] = settings["OIDC_CA_FILE"]
            app.extensions["lsweb_oidc"] = oauth.register(
                "lsweb_oidc", client_id=settings["OIDC_CLIENT_ID"], client_secret=settings.get("OIDC_CLIENT_SECRET"),
                server_metadata_url=f"{issuer}/.well-known/openid-configuration", client_kwargs=kwargs)
        return app.extensions["lsweb_oidc"]


def _metadata(provider) -> dict:
    metadata = provider.load_server_metadata()
    configured = current_app.config["LSWEB"]["OIDC_ISSUER"].rstrip("/")
    if str(metadata.get("issuer", "")).rstrip("/") != configured:
        raise Refused(f"the provider's discovery names the issuer {metadata.get('issuer')!r}, not {configured!r}")
    return metadata


def authorization_redirect(redirect_uri: str):
    """The redirect to the provider's sign-in page (state, nonce and PKCE verifier kept in the session)."""
    provider = client()
    try:
        _metadata(provider)
        return provider.authorize_redirect(redirect_uri)
    except (requests.RequestException, ValueError, OAuthError) as error:
        raise Refused(f"the provider could not be reached: {error}") from None


def id_token_checks(metadata: dict) -> dict:
    """What the ID token must say beyond its signature and nonce (which Authlib checks): our provider
    issued it, for us (a token issued to another application of the school is refused), and it has
    not expired."""
    return {"iss": {"essential": True, "value": metadata["issuer"]},
            "aud": {"essential": True, "value": current_app.config["LSWEB"]["OIDC_CLIENT_ID"]},
            "exp": {"essential": True}}


def claims_from_callback() -> dict:
    """The checked claims of the person the provider signed in, from the callback's request."""
    provider = client()
    try:
        metadata = _metadata(provider)
        token = provider.authorize_access_token(claims_options=id_token_checks(metadata))
        claims = dict(token.get("userinfo") or {})
        if not claims:
            raise Refused("the provider answered without an ID token")
        if not claims.get("email") and metadata.get("userinfo_endpoint"):
            extra = provider.userinfo(token=token)
            if extra.get("sub") == claims.get("sub"):
                claims.update({k: extra[k] for k in ("email", "email_verified", "name") if k in extra})
        return claims
    except OAuthError as error:  # a state that is not this browser's, or the provider's refusal
        raise Refused(f"{error.error}: {error.description or ''}".strip()) from None
    except JoseError as error:
        raise Refused(f"the ID token was refused: {error}") from None
    except (requests.RequestException, ValueError, KeyError) as error:
        raise Refused(f"the provider could not be reached or answered oddly: {error}") from None


def _unverified(value) -> bool:
    return value is False or str(value).strip().lower() == "false"


def account_for(claims: dict) -> User:
    """The active lsweb account of the person in `claims`, or Refused. The caller commits (an account
    created here is part of the sign-in's transaction)."""
    email = str(claims.get("email") or "").strip().lower()
    if "@" not in email:
        raise Refused("the provider sent no e-mail address", account=True)
    if "email_verified" in claims and _unverified(claims["email_verified"]):
        raise Refused("the provider says the e-mail address is not verified", email, account=True)
    try:
        rule = parse_domains(current_app.config["LSWEB"].get("OIDC_DOMAINS")).get(email.rsplit("@", 1)[1])
    except ValueError as error:
        log.error("%s", error)
        raise Refused(str(error), email) from None
    if rule is None:
        raise Refused("the e-mail domain is not in LSWEB_OIDC_DOMAINS", email, account=True)
    school = db.session.scalar(db.select(School).where(db.func.lower(School.name) == rule.school.lower()))
    if school is None:
        log.error("LSWEB_OIDC_DOMAINS names a school lsweb does not have: %s", rule.school)
        raise Refused(f"LSWEB_OIDC_DOMAINS names an unknown school “{rule.school}”", email, account=True)
    user = db.session.scalar(db.select(User).where(User.email == email))
    if user is None:
        if rule.role is None:
            raise Refused("no lsweb account has this e-mail address (and its domain creates none)", email,
                          account=True)
        name = str(claims.get("name") or "").strip() or email
        user = User(email=email, display_name=name[:120], role=rule.role, school_id=school.id, active=True,
                    password_hash=None)
        db.session.add(user)
        db.session.flush()
        audit.record(None, "staff.added_from_directory", target=user.email, school_id=school.id,
                     details=f"{rule.role.value} (OpenID Connect)")
        return user
    if not user.active:
        raise Refused("the account is deactivated", email, account=True)
    if user.school_id is not None and user.school_id != school.id:
        raise Refused(f"the account belongs to another school than {rule.school}", email, account=True)
    return user


def record_refusal(refusal: Refused) -> None:
    """Log and audit a sign-in that did not go ahead (the caller commits)."""
    log.warning("OpenID Connect sign-in refused%s: %s", f" for {refusal.email}" if refusal.email else "",
                refusal.reason)
    audit.record(None, "auth.oidc_refused", target=refusal.email, details=refusal.reason[:500])
