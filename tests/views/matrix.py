"""The access matrix's framework: answers (statuses and redirects), the roles, the world every cell
is played in, and the helpers rows use to say what an allowed request stored.

The rows live in test_access_matrix.py (the core: staff, groups, the protocol) and in one module per
domain (`access_<domain>.py`), each with `ROWS` and, when its rows need more than the core world,
`extend_world(make, world)`, which adds objects to the world and their ids to `world.ids` (and texts
a role must never see to `world.texts` and NEVER_SHOWN).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Callable

from lsweb.auth.sessions import start_session
from lsweb.extensions import db
from lsweb.groups import cycles as cycle_services
from lsweb.groups import services as group_services
from lsweb.models import (AuditEntry, CasePupil, Cycle, CycleStatus, GroupRole,
                          Role, School, SchoolProtocolVersion, StudyGroup, User)
from lsweb.permissions import is_member
from lsweb.protocol import services as protocol_services


@dataclass(frozen=True)
class Redirect:
    status: int
    path: str                     # formatted with world.ids
    refused: bool = field(default=False, compare=False)  # a refusal: nothing may be stored

    def __repr__(self) -> str:
        return f"{self.status}->{self.path}"


TO_LOGIN = Redirect(302, "/login", refused=True)       # @login_required: sign in first
HOME_TO_LOGIN = Redirect(303, "/login", refused=True)  # the home page sends strangers to sign in
TO_HOME = Redirect(303, "/")                           # already signed in
SIGNED_OUT = Redirect(303, "/login")
NOTHING_TO_SIGN_OUT = Redirect(303, "/login", refused=True)
# In group A: after an action, or refused by a rule with the reason flashed on the page it sends to.
TO_GROUP = Redirect(303, "/groups/{group}")
TO_CYCLE = Redirect(303, "/groups/{group}/cycles/{cycle}")
TO_PROTOCOL = Redirect(303, "/groups/{group}/protocol")
REFUSED_TO_GROUP = Redirect(303, "/groups/{group}", refused=True)
REFUSED_TO_CYCLE = Redirect(303, "/groups/{group}/cycles/{cycle}", refused=True)
REFUSED_TO_PROTOCOL = Redirect(303, "/groups/{group}/protocol", refused=True)
SIGN_FIRST = Redirect(303, "/groups/{group}/protocol", refused=True)  # a member who has not signed: sign first

# --- the world every cell is played in --------------------------------------------------------------


def build_world(make, extensions=()) -> SimpleNamespace:
    """Schools A and B; a target teacher in A; group A at school A (facilitated by a lead of A, with the
    target as a member, both signed; a cycle at "discussing", whose next step needs no signatures, with a
    case pupil; a link to group B) and, in B, group B and group C. Of the ROLES only the members' roles
    belong to a group."""
    school_a = make.school("Alder Primary")
    school_b = make.school("Birch Academy")
    target = make.user(school_a, Role.TEACHER, name="Tara Target", email="tara.target@alder.example")
    inactive = make.user(school_a, Role.TEACHER, name="Ivan Inactive", email="ivan.inactive@alder.example",
                         active=False)
    b_member = make.user(school_b, Role.TEACHER, name="Bea Birch", email="bea.birch@birch.example")
    network_member = make.user(None, Role.NETWORK_ADMIN, name="Nadia Network", email="nadia@network.example")
    target_session = start_session(target, "Staffroom tablet of Tara", "10.0.0.99")
    make.db.session.commit()
    lead_a = make.user(school_a, Role.LEAD, name="Lena Lead")
    lead_b = make.user(school_b, Role.LEAD, name="Leo Lead")

    group = group_services.create_group(lead_a, group_services.GroupDetails(name="Fractions Study"))
    group_b = group_services.create_group(lead_b, group_services.GroupDetails(name="Birch Reading Study"))
    membership = group_services.add_member(lead_a, group, target.email, GroupRole.MEMBER)
    version = protocol_services.current_version(group)
    protocol_services.sign(lead_a, group, version.id, True, lead_a.display_name)
    protocol_services.sign(target, group, version.id, True, target.display_name)
    cycle = cycle_services.start_cycle(lead_a, group)
    pupil = cycle_services.save_pupil(lead_a, cycle, None, "Pupil A", "finds it hard", "",
                                      "Counts on fingers beyond ten", False)
    # Moving on from "discussing" (to "sharing") does not pass the protocol gate, which a member who has
    # not signed closes: who may move the cycle is then all that decides the answer.
    for status in (CycleStatus.PLANNING, CycleStatus.TEACHING, CycleStatus.DISCUSSING):
        cycle_services.move_cycle(lead_a, cycle, status)
    group_services.add_link(lead_a, group, group_b.id)
    link = group_services.links(group)[0][0]
    group_c = group_services.create_group(lead_b, group_services.GroupDetails(name="Birch Writing Study"))

    ids = {
        "school_a": school_a.id, "school_b": school_b.id, "target": target.id, "inactive": inactive.id,
        "b_member": b_member.id, "network_member": network_member.id, "missing": 999_999,
        "group": group.id, "group_c": group_c.id, "facilitator": lead_a.id, "membership": membership.id,
        "cycle": cycle.number, "pupil": pupil.id, "link": link.id, "version": version.number, "version_id": version.id,
        "next_status": cycle_services.next_status(cycle).value, "target_session": target_session.id,
    }
    texts = {
        "school A's name": school_a.name, "school B's name": school_b.name,
        "the target's email": target.email, "B member's email": b_member.email,
        "network member's email": network_member.email, "group A's name": group.name,
        "group A's pupil notes": pupil.notes, "the target's device": target_session.user_agent,
        "the target's address": target_session.address,
    }
    world = SimpleNamespace(school_a=school_a, school_b=school_b, ids=ids, texts=texts)
    for extend in extensions:
        extend(make, world)
    return world


# --- roles: name -> function creating that user (None: not signed in) ------------------------------

def _member_of_group_a(make, world, signed: bool) -> User:
    """A teacher of school A whom group A's facilitator adds as a member, who has signed the current
    protocol or not (one who has not closes the group's protocol gate: no row's answer depends on it)."""
    user = make.user(db.session.get(School, world.ids["school_a"]), Role.TEACHER)
    group = db.session.get(StudyGroup, world.ids["group"])
    group_services.add_member(db.session.get(User, world.ids["facilitator"]), group, user.email, GroupRole.MEMBER)
    if signed:
        protocol_services.sign(user, group, world.ids["version_id"], True, user.display_name)
    return user


def _guest_of_the_board(make, world) -> User:
    """A teacher of school B whom group A's facilitator invites as a guest of the world's research lesson's
    discussion board (when a domain added one: access_discussion.py): no member of any group."""
    # (By id: after a live stream's request the world's School objects are detached from the session.)
    user = make.user(db.session.get(School, world.ids["school_b"]), Role.TEACHER)
    if "lesson" in world.ids:
        from lsweb.discussion import services as board_services
        from lsweb.models import ResearchLesson

        board_services.invite_guest(db.session.get(User, world.ids["facilitator"]),
                                    db.session.get(ResearchLesson, world.ids["lesson"]), user.email)
    return user


ROLES: dict[str, Callable] = {
    "anonymous": lambda make, world: None,
    "teacher": lambda make, world: make.user(world.school_a, Role.TEACHER),
    "other_school_admin": lambda make, world: make.user(world.school_b, Role.SCHOOL_ADMIN),
    "school_admin": lambda make, world: make.user(world.school_a, Role.SCHOOL_ADMIN),
    "network_admin": lambda make, world: make.user(None, Role.NETWORK_ADMIN),
    # A lead of group A's school, in no group: a school leader is no member, and gets 404 like any outsider.
    "same_school_non_member": lambda make, world: make.user(world.school_a, Role.LEAD),
    # Members of group A: they see the group and its protocol; its cycles and case pupils after signing.
    "unsigned_member": lambda make, world: _member_of_group_a(make, world, signed=False),
    "signed_member": lambda make, world: _member_of_group_a(make, world, signed=True),
    # The lead of school A who created group A and facilitates it (and has signed).
    "facilitator": lambda make, world: db.session.get(User, world.ids["facilitator"]),
    # A guest of one research lesson's discussion board (another school's teacher): that board only.
    "guest": _guest_of_the_board,
}

# What each role must never find in any answer (keys of world.texts).
NOBODY = ["the target's device", "the target's address"]
PUPILS = ["group A's pupil notes", "group A's plan"]  # read inside group A only, by members who have signed
OUTSIDERS_OF_A = NOBODY + PUPILS + ["school B's name", "the target's email", "B member's email",
                                   "network member's email", "group A's name"]
# Members read group A's name and what it builds on (group B, of school B); the names of fellow members,
# never their emails. The add-member form echoes the email typed in it, so B member's is not listed here.
MEMBERS_OF_A = NOBODY + ["the target's email", "network member's email"]
NEVER_SHOWN = {
    "anonymous": NOBODY + PUPILS + ["school A's name", "school B's name", "the target's email",
                                    "B member's email", "network member's email", "group A's name"],
    "teacher": OUTSIDERS_OF_A,
    "other_school_admin": NOBODY + PUPILS + ["school A's name", "the target's email", "network member's email",
                                             "group A's name"],
    # Admins read group names (and case pupils' labels) in the audit log, but not the group's work.
    "school_admin": NOBODY + PUPILS + ["school B's name", "B member's email", "network member's email"],
    "network_admin": NOBODY + PUPILS,
    # A lead of school A reads, on the home page's dashboard, the names (and stages, sign-off, dates, cover
    # and hours) of the school's groups; never their plans, pupils, observations or posts.
    "same_school_non_member": [text for text in OUTSIDERS_OF_A if text != "group A's name"],
    "unsigned_member": MEMBERS_OF_A + PUPILS,
    "signed_member": MEMBERS_OF_A,
    "facilitator": MEMBERS_OF_A,
    # A guest reads group A's name on the board it was invited to; nothing else of the group.
    "guest": NOBODY + PUPILS + ["school A's name", "the target's email", "network member's email"],
}
LEADS = {"same_school_non_member", "facilitator"}  # leads of school A: they may create groups


def everyone(status) -> dict:
    return {role: status for role in ROLES}


def signed_in(status, anonymous=TO_LOGIN) -> dict:
    return {**everyone(status), "anonymous": anonymous}


def admins(school_admin, network_admin, other_school_admin=404) -> dict:
    """Staff pages: teachers and leads get 404, strangers are sent to sign in."""
    return {**signed_in(404), "other_school_admin": other_school_admin, "school_admin": school_admin,
            "network_admin": network_admin}


def group_a(unsigned_member, signed_member, facilitator) -> dict:
    """A page or action of group A: everyone but its members gets 404 (school leaders and admins too)."""
    return {**signed_in(404), "unsigned_member": unsigned_member, "signed_member": signed_member,
            "facilitator": facilitator}


GROUP_MEMBERS = group_a(200, 200, 200)             # the group's page and its protocol
SIGNED_MEMBERS = group_a(SIGN_FIRST, 200, 200)     # its cycles and case pupils: after signing
FACILITATOR_ONLY = group_a(404, 404, 200)


# --- what allowed requests store ------------------------------------------------------------------

def _user(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == email))


def _school(name: str) -> School | None:
    return db.session.scalar(db.select(School).where(School.name == name))


def _group(name: str) -> StudyGroup | None:
    return db.session.scalar(db.select(StudyGroup).where(StudyGroup.name == name))


def _audited(action: str, actor: User) -> bool:
    return db.session.scalar(db.select(AuditEntry.id).where(AuditEntry.action == action,
                                                            AuditEntry.actor_id == actor.id)) is not None


def _school_default_text(world) -> str | None:
    version = db.session.scalar(db.select(SchoolProtocolVersion).where(
        SchoolProtocolVersion.school_id == world.ids["school_a"]).order_by(SchoolProtocolVersion.number.desc()))
    return version.text if version else None


def _group_a(world) -> StudyGroup:
    return db.session.get(StudyGroup, world.ids["group"])


def _in_group_a(email: str, world) -> bool:
    user = _user(email)
    return user is not None and is_member(user, _group_a(world))


def _pupil(world) -> CasePupil | None:
    return db.session.get(CasePupil, world.ids["pupil"])


def _pupil_labelled(label: str, world) -> bool:
    return db.session.scalar(db.select(CasePupil.id).join(Cycle).where(
        Cycle.group_id == world.ids["group"], CasePupil.label == label)) is not None


def _cycle_status(world) -> CycleStatus:
    return db.session.scalar(db.select(Cycle.status).where(Cycle.group_id == world.ids["group"],
                                                           Cycle.number == world.ids["cycle"]))


def _csv_upload(world) -> dict:
    return {"school_id": str(world.ids["school_a"]),
            "file": (io.BytesIO(b"name,email,role\nIris Import,iris.import@alder.example,teacher\n"), "staff.csv")}


# --- the matrix -------------------------------------------------------------------------------------

@dataclass
class Row:
    method: str
    url: str                      # formatted with world.ids
    expect: dict                  # role -> status or Redirect
    data: dict | Callable | None = None   # form data (string values formatted with world.ids and the
                                          # actor's {actor_name}), or world -> data
    effect: Callable | None = None        # (world, actor) -> bool: what an allowed request stored
    note: str = ""

    def form(self, world, actor: User | None) -> dict | None:
        if callable(self.data):
            return self.data(world)
        if self.data is None:
            return None
        names = {**world.ids, "actor_name": actor.display_name if actor is not None else ""}
        return {key: value.format(**names) if isinstance(value, str) else value
                for key, value in self.data.items()}

    @property
    def id(self) -> str:
        return f"{self.method} {self.url}"


