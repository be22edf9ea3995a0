"""Two-step sign-in: a time-based one-time code (TOTP, RFC 6238, as every authenticator app makes them)
after the password, with ten one-use recovery codes for a lost phone. Required for admins when
LSWEB_ADMIN_TWO_STEP is on (the default: an admin account reads every school's staff), optional for
everyone else, on the account page.

A code is accepted within one 30-second step either side of the server's clock, and only once (the
last step used is kept). Recovery codes are stored hashed and each works once. Setting up, using a
recovery code and switching off are audited.
"""

from __future__ import annotations

import secrets

import pyotp
import segno
from flask import current_app
from markupsafe import Markup
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..errors import DomainError
from ..extensions import db
from ..models import RecoveryCode, User
from ..models.base import utcnow

RECOVERY_CODES = 10
ISSUER = "lsweb"


def required(user: User) -> bool:
    """Whether this account must have two-step sign-in before using admin pages."""
    return user.is_admin and bool(current_app.config["LSWEB"].admin_two_step)


def enabled(user: User) -> bool:
    return user.totp_enabled_at is not None and bool(user.totp_secret)


def new_secret() -> str:
    return pyotp.random_base32()


def setup_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> Markup:
    """The setup address as an inline SVG QR code (the secret is also shown as text beside it)."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff", title="")
    return Markup(svg)


def _step_of(secret: str, code: str) -> int | None:
    """The time step `code` belongs to (now, or one step either side), or None."""
    code = "".join((code or "").split())
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = int(utcnow().timestamp())
    for offset in (0, -1, 1):
        at = now + offset * totp.interval
        if secrets.compare_digest(totp.at(at), code):
            return at // totp.interval
    return None


def _hash(code: str) -> str:
    return generate_password_hash(code, method=current_app.config["LSWEB"]["PASSWORD_HASH"])


def _new_codes(user: User) -> list[str]:
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.randbelow(10**5):05d}-{secrets.randbelow(10**5):05d}" for _ in range(RECOVERY_CODES)]
    for code in codes:
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash(code)))
    return codes


def enable(user: User, secret: str, code: str) -> list[str]:
    """Switch two-step sign-in on with the secret the person's app now holds, proven by one of its
    codes; returns the recovery codes (shown once)."""
    step = _step_of(secret, code)
    if step is None:
        raise DomainError("That code is not right: type the 6 digits your app shows now.", "code")
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = secret, utcnow(), step
    codes = _new_codes(user)
    audit.record(user, "auth.two_step_enabled", target=user.email)
    db.session.commit()
    return codes


def check(user: User, code: str) -> bool:
    """The second step at sign-in: a current code from the app (once), or an unused recovery code."""
    if not enabled(user):
        return False
    step = _step_of(user.totp_secret, code)
    if step is not None:
        if user.totp_last_step is not None and step <= user.totp_last_step:
            return False  # that code (or an older one) was used already
        user.totp_last_step = step
        return True
    typed = "".join((code or "").split())
    if len(typed) != 11:
        return False
    for row in db.session.scalars(db.select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                                RecoveryCode.used_at.is_(None))):
        if check_password_hash(row.code_hash, typed):
            row.used_at = utcnow()
            audit.record(user, "auth.recovery_code_used", target=user.email)
            return True
    return False


def codes_left(user: User) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def disable(user: User, password: str, code: str) -> None:
    """Switch it off: the password and a current code (or a recovery code) prove it is the owner. An
    admin for whom it is required cannot."""
    if required(user):
        raise DomainError("Two-step sign-in is required for admins: it cannot be switched off.")
    if not (user.password_hash and check_password_hash(user.password_hash, password or "")):
        raise DomainError("That is not your password.", "password")
    if not check(user, code):
        raise DomainError("That code is not right.", "code")
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record(user, "auth.two_step_disabled", target=user.email)
    db.session.commit()
