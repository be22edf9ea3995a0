"""The protocol: a school's default text, each group's adopted copy, amendments and sign-off."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..errors import DomainError, NotAllowed
from ..extensions import db
from ..channels import queue_group_change
from ..worddiff import word_diff  # noqa: F401 (the protocol's, the plan's and carry's histories)
from ..models import (GroupMember, ProtocolSignature, ProtocolVersion, School, SchoolProtocolVersion,
                      SignatureKind, StudyGroup, User, text_hash)

MAX_PROTOCOL_LENGTH = 50_000


def default_text() -> str:
    return resources.files("lsweb.protocol").joinpath("default_protocol.txt").read_text("utf-8").strip()


def clean_text(raw: str) -> str:
    text = (raw or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise DomainError("The protocol cannot be empty.", "text")
    if len(text) > MAX_PROTOCOL_LENGTH:
        raise DomainError(f"The protocol has {len(text):,} characters; at most {MAX_PROTOCOL_LENGTH:,} "
                          "are allowed.", "text")
    return text


# --- A school's default ---------------------------------------------------------------------------

def school_default(school: School) -> SchoolProtocolVersion | None:
    return db.session.scalar(db.select(SchoolProtocolVersion)
                             .where(SchoolProtocolVersion.school_id == school.id)
                             .order_by(SchoolProtocolVersion.number.desc()).limit(1))


def school_default_text(school: School) -> str:
    current = school_default(school)
    return current.text if current else default_text()


def edit_school_default(admin: User, school: School, raw: str) -> SchoolProtocolVersion:
    from ..permissions import can_manage_staff

    if not can_manage_staff(admin, school):
        raise NotAllowed("Only the school's admins can change its default protocol.")
    text = clean_text(raw)
    current = school_default(school)
    if current is not None and current.text == text:
        raise DomainError("The text is unchanged.", "text")
    version = SchoolProtocolVersion(school_id=school.id, number=(current.number + 1) if current else 1,
                                    text=text, created_by_id=admin.id)
    db.session.add(version)
    audit.record(admin, "protocol.school_default_edited", target=school.name,
                 details=f"version {version.number}", school_id=school.id)
    db.session.commit()
    return version


# --- A group's protocol ---------------------------------------------------------------------------

def current_version(group: StudyGroup) -> ProtocolVersion | None:
    return db.session.scalar(db.select(ProtocolVersion).where(ProtocolVersion.group_id == group.id)
                             .order_by(ProtocolVersion.number.desc()).limit(1))


def versions(group: StudyGroup) -> list[ProtocolVersion]:
    return list(db.session.scalars(db.select(ProtocolVersion).where(ProtocolVersion.group_id == group.id)
                                   .order_by(ProtocolVersion.number.desc())))


def adopt(actor: User, group: StudyGroup, text: str) -> ProtocolVersion:
    """Version 1 of a new group's protocol (the caller commits with the group)."""
    version = ProtocolVersion(group_id=group.id, number=1, text=text, text_sha256=text_hash(text),
                              note="Adopted from the school's default protocol", created_by_id=actor.id)
    db.session.add(version)
    audit.record(actor, "protocol.adopted", target=group.name, details="version 1",
                 school_id=group.school_id)
    return version


def amend(facilitator: User, group: StudyGroup, raw: str, based_on: int, note: str = "") -> ProtocolVersion:
    """A new version; everyone must sign again. Refused if someone amended it meanwhile."""
    from ..permissions import is_facilitator

    if not is_facilitator(facilitator, group):
        raise NotAllowed("Only the group's facilitator can amend the protocol.")
    text = clean_text(raw)
    current = current_version(group)
    if current is not None and current.number != based_on:
        raise DomainError(f"Someone amended the protocol a moment ago (it is now version {current.number}). "
                          "Your text is kept below: compare it with the new version and amend again.", "text")
    if current is not None and current.text == text:
        raise DomainError("The text is unchanged.", "text")
    version = ProtocolVersion(group_id=group.id, number=(current.number + 1) if current else 1, text=text,
                              text_sha256=text_hash(text), note=" ".join((note or "").split())[:300],
                              created_by_id=facilitator.id)
    db.session.add(version)
    audit.record(facilitator, "protocol.amended", target=group.name,
                 details=f"version {version.number}: {version.note}", school_id=group.school_id)
    queue_group_change(group.id, "protocol-amended", version=version.number)
    _tell_to_sign(facilitator, group, version)
    try:
        db.session.commit()
    except IntegrityError:  # two amendments at the same instant: the other one won
        db.session.rollback()
        raise DomainError("Someone amended the protocol at the same moment. Reload and try again.",
                          "text") from None
    return version


def _tell_to_sign(facilitator: User, group: StudyGroup, version: ProtocolVersion) -> None:
    """Every current member must sign the new version: the "protocol to sign" e-mail."""
    from ..mail import absolute_url
    from ..mail.notify import notify

    notify("protocol_to_sign", [m.user for m in group.current_members], facilitator,
           f"{group.name}: the protocol (version {version.number}) waits for your signature", group.school,
           actor_name=facilitator.display_name, group_name=group.name, number=version.number,
           note=version.note, link=absolute_url("protocol.show", group_id=group.id))


# --- Signatures -----------------------------------------------------------------------------------

def _names_match(typed: str, user: User) -> bool:
    def norm(text):
        return " ".join(text.casefold().split())

    return norm(typed) == norm(user.display_name)


def _events(version: ProtocolVersion, user: User) -> list[ProtocolSignature]:
    return list(db.session.scalars(db.select(ProtocolSignature).where(
        ProtocolSignature.version_id == version.id, ProtocolSignature.user_id == user.id)
        .order_by(ProtocolSignature.sequence)))


def has_signed(user: User, version: ProtocolVersion | None) -> bool:
    if version is None:
        return False
    events = _events(version, user)
    return bool(events) and events[-1].kind is SignatureKind.SIGNED


def signed_current(user: User, group: StudyGroup) -> bool:
    """Whether the user's latest event on the group's current version is a signature (lsweb/access.py
    answers it in the one query that decides the person's standing in the group)."""
    from ..access import of_group

    return of_group(user, group).signed


def sign(member: User, group: StudyGroup, version_id: int, agreed: bool, typed_name: str) -> tuple[ProtocolSignature, bool]:
    """Sign the current version. Returns (signature, created); a repeated submit creates nothing."""
    from ..permissions import is_member

    if not is_member(member, group):
        raise NotAllowed("Only members of the group sign its protocol.")
    current = current_version(group)
    if current is None or current.id != version_id:
        raise DomainError("The protocol was amended a moment ago. Please read the new text below and "
                          "sign that version.", "version")
    if not agreed:
        raise DomainError("Tick the box to say you have read and agree to the protocol.", "agree")
    typed = " ".join((typed_name or "").split())
    if not typed:
        raise DomainError("Type your name to sign.", "typed_name")
    if not _names_match(typed, member):
        raise DomainError(f"The name you typed does not match your account name ({member.display_name}). "
                          "Type it as it is shown.", "typed_name")
    events = _events(current, member)
    if events and events[-1].kind is SignatureKind.SIGNED:
        return events[-1], False
    signature = ProtocolSignature(group_id=group.id, version_id=current.id, user_id=member.id,
                                  sequence=len(events) + 1, kind=SignatureKind.SIGNED, typed_name=typed,
                                  text_sha256=text_hash(current.text))
    db.session.add(signature)
    audit.record(member, "protocol.signed", target=group.name,
                 details=f"version {current.number}, sha256 {signature.text_sha256}", school_id=group.school_id)
    try:
        db.session.flush()
        queue_group_change(group.id, "signature-added", signature=signature.id)
        db.session.commit()
    except IntegrityError:  # a double-submitted form: the first one stored the signature
        db.session.rollback()
        return _events(current, member)[-1], False
    return signature, True


def withdraw(member: User, group: StudyGroup) -> ProtocolSignature:
    """Withdraw one's signature of the current version: a new event; the signature itself stays."""
    current = current_version(group)
    if current is None or not has_signed(member, current):
        raise DomainError("You have not signed the current version.")
    events = _events(current, member)
    event = ProtocolSignature(group_id=group.id, version_id=current.id, user_id=member.id,
                              sequence=len(events) + 1, kind=SignatureKind.WITHDRAWN, typed_name="",
                              text_sha256=text_hash(current.text))
    db.session.add(event)
    audit.record(member, "protocol.withdrawn", target=group.name, details=f"version {current.number}",
                 school_id=group.school_id)
    try:
        db.session.flush()
        queue_group_change(group.id, "signature-added", signature=event.id)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise DomainError("That was already done.") from None
    return event


@dataclass
class SignOff:
    member: GroupMember
    signed_current: ProtocolSignature | None
    last_signed_version: int | None


def sign_off_table(group: StudyGroup, all_versions: list[ProtocolVersion] | None = None
                   ) -> tuple[ProtocolVersion | None, list[SignOff]]:
    """Who has signed which version, and who still has to sign the current one.
    `all_versions` (newest first, as versions() gives them) saves the query when the caller has them."""
    if all_versions is None:
        all_versions = versions(group)
    current = all_versions[0] if all_versions else None
    events = list(db.session.scalars(db.select(ProtocolSignature)
                                     .where(ProtocolSignature.group_id == group.id)
                                     .order_by(ProtocolSignature.version_id, ProtocolSignature.sequence)))
    numbers = {v.id: v.number for v in all_versions}
    latest: dict[tuple[int, int], ProtocolSignature] = {}
    for event in events:
        latest[(event.user_id, event.version_id)] = event
    rows = []
    for member in group.current_members:
        signed = [(numbers[v], e) for (u, v), e in latest.items()
                  if u == member.user_id and e.kind is SignatureKind.SIGNED]
        on_current = next((e for n, e in signed if current and e.version_id == current.id), None)
        rows.append(SignOff(member, on_current, max((n for n, _ in signed), default=None)))
    return current, rows


def gate_of(current: ProtocolVersion | None, rows: list[SignOff]) -> tuple[bool, list[User]]:
    """(open, members who still have to sign the current version), from a sign-off table."""
    missing = [row.member.user for row in rows if row.signed_current is None]
    return current is not None and not missing and bool(rows), missing


def gate_status(group: StudyGroup) -> tuple[bool, list[User]]:
    """(open, members who still have to sign the current version)."""
    return gate_of(*sign_off_table(group))


def require_gate(group: StudyGroup) -> None:
    """Refuse lesson work until everyone has signed; the message says who is missing."""
    open_, missing = gate_status(group)
    if not open_:
        names = ", ".join(user.display_name for user in missing) or "everyone"
        raise DomainError(f"Research lessons cannot be scheduled, planned or taught until every member has "
                          f"signed the current protocol. Still to sign: {names}.")


def signatures_of(version: ProtocolVersion) -> list[ProtocolSignature]:
    return list(db.session.scalars(db.select(ProtocolSignature)
                                   .where(ProtocolSignature.version_id == version.id)
                                   .order_by(ProtocolSignature.at, ProtocolSignature.id)))


# --- Differences and proof -------------------------------------------------------------------------

@dataclass
class Mismatch:
    what: str
    group: str
    detail: str


def verify_all() -> tuple[int, list[Mismatch]]:
    """Recompute every version's and every signature's SHA-256; list any that differ."""
    checked, problems = 0, []
    texts = {}
    for version in db.session.scalars(db.select(ProtocolVersion).order_by(ProtocolVersion.id)):
        texts[version.id] = (version, text_hash(version.text))
        checked += 1
        if version.text_sha256 != texts[version.id][1]:
            problems.append(Mismatch("version", version.group.name,
                                     f"version {version.number}: stored hash {version.text_sha256[:12]}… "
                                     f"but the text hashes to {texts[version.id][1][:12]}…"))
    for signature in db.session.scalars(db.select(ProtocolSignature).order_by(ProtocolSignature.id)):
        checked += 1
        version, actual = texts[signature.version_id]
        if signature.text_sha256 != actual:
            problems.append(Mismatch("signature", version.group.name,
                                     f"{signature.user.display_name}'s {signature.kind.value} event on version "
                                     f"{version.number} ({signature.at:%Y-%m-%d %H:%M}) was for text "
                                     f"{signature.text_sha256[:12]}…, which is not the version's text now"))
    return checked, problems


def count_signatures(group: StudyGroup) -> int:
    return db.session.scalar(db.select(func.count(ProtocolSignature.id))
                             .where(ProtocolSignature.group_id == group.id)) or 0
