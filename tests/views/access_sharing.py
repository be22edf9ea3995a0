"""Access-matrix rows for sharing (lsweb/sharing): group A's cycle summary (members who have signed), the
library, open-house lessons and learning fairs (everyone signed in).

The world gets group A's summary (written by the target; a capitalised made-up word in it is waiting for
the redaction check, so the facilitator's publishing is refused with the list: 422), two observations of
RL1 (one linked as key evidence), and, at a third school, Cedar, two published studies (one to the
network, one to Cedar only), an open-house lesson the facilitator of group A has registered for, and a
learning fair. Cedar's names may be read by everyone signed in; group A's summary only by its members.
"""

from __future__ import annotations

from lsweb.extensions import db
from lsweb.groups import cycles as cycle_services
from lsweb.groups import services as group_services
from lsweb.models import (
    Cycle,
    CycleStatus,
    FairItem,
    LearningFair,
    NoteKind,
    Observation,
    OpenHouse,
    OpenHouseRegistration,
    RedactionDecision,
    ResearchLesson,
    Role,
    SummaryEvidence,
    SummaryField,
    User,
)
from lsweb.planning.lessons import create_lesson
from lsweb.protocol import services as protocol_services
from lsweb.sharing import fair, openhouse, publishing, summaries

from .matrix import NEVER_SHOWN, SIGN_FIRST, TO_LOGIN, Redirect, Row, group_a, signed_in

SUMMARY_TEXT = "Pupils compared halves using Zorbix strips"
SUMMARY = "/groups/{group}/cycles/{cycle}/summary"
TO_SUMMARY = Redirect(303, SUMMARY)
REFUSED_TO_SUMMARY = Redirect(303, SUMMARY, refused=True)
TO_REDACTION = Redirect(303, SUMMARY + "/redaction")
TO_INVITATION = Redirect(303, "/library/open-house/{house}")
REFUSED_TO_INVITATION = Redirect(303, "/library/open-house/{house}", refused=True)

for _role in NEVER_SHOWN:
    if _role not in ("signed_member", "facilitator") and "group A's summary" not in NEVER_SHOWN[_role]:
        NEVER_SHOWN[_role] = NEVER_SHOWN[_role] + ["group A's summary"]


def _cedar_study(make, school, name: str, scope: str):
    lead = make.user(school, Role.LEAD)
    group = group_services.create_group(lead, group_services.GroupDetails(name=name))
    group.subject, group.year_group, group.focus_learning = "Mathematics", "Year 5", "place value"
    protocol_services.sign(lead, group, protocol_services.current_version(group).id, True, lead.display_name)
    cycle = cycle_services.start_cycle(lead, group)
    cycle_services.save_pupil(lead, cycle, None, "Pupil A", "", "", "", False)
    cycle_services.move_cycle(lead, cycle, CycleStatus.PLANNING)
    lesson = create_lesson(lead, cycle)
    summaries.save_field(lead, cycle, "learning", "Place value charts helped pupils explain exchanges.")
    return lead, lesson, publishing.publish(lead, cycle, scope)


def extend_world(make, world) -> None:
    target = db.session.get(User, world.ids["target"])
    facilitator = db.session.get(User, world.ids["facilitator"])
    cycle = db.session.scalar(db.select(Cycle).where(Cycle.group_id == world.ids["group"],
                                                     Cycle.number == world.ids["cycle"]))
    lesson = (db.session.get(ResearchLesson, world.ids["lesson"]) if "lesson" in world.ids
              else create_lesson(facilitator, cycle))
    summaries.save_field(target, cycle, "learning", SUMMARY_TEXT)
    notes = []
    for number, text in enumerate(("Most pupils folded the strips", "Two pupils compared thirds"), 1):
        note = Observation(client_id=f"matrix-sharing-{number}", lesson_id=lesson.id, observer_id=target.id,
                           kind=NoteKind.PATTERN, text=text)
        db.session.add(note)
        notes.append(note)
    db.session.commit()
    evidence = summaries.link_evidence(target, cycle, "observation", notes[1].id)

    cedar = make.school("Elm Grove School")
    cedar_lead, cedar_lesson, study = _cedar_study(make, cedar, "Cedar place value", "network")
    _, _, school_study = _cedar_study(make, cedar, "Cedar column addition", "school")
    house = openhouse.save(cedar_lead, cedar_lesson, 5, "Watch the exchanges.", "")
    openhouse.register(facilitator, house)
    the_fair = fair.create(cedar_lead, "Cedar learning fair", study.published_at.date(), "Cedar hall")
    # Elm Grove's lessons take ids: the next lesson group A creates (access_planning.py) comes after them.
    next_lesson = db.session.scalar(db.select(db.func.max(ResearchLesson.id))) + 1
    world.ids.update(lesson=lesson.id, next_lesson=next_lesson, cycle_id=cycle.id, observation=notes[0].id, evidence=evidence.id,
                     study=study.id, school_study=school_study.id, house=house.id, next_house=house.id + 1,
                     fair=the_fair.id, next_fair=the_fair.id + 1)
    world.texts["group A's summary"] = SUMMARY_TEXT


def _field(world, key):
    cycle_id = world.ids["cycle_id"]
    return db.session.scalar(db.select(SummaryField.text).join(summaries.CycleSummary).where(
        summaries.CycleSummary.cycle_id == cycle_id, SummaryField.key == key))


def _evidence_count(world) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(SummaryEvidence))


ORGANISERS = ("other_school_admin", "school_admin", "network_admin", "same_school_non_member", "facilitator")


def organisers(allowed, refused=404) -> dict:
    return {**signed_in(refused), **{role: allowed for role in ORGANISERS}}


READERS = signed_in(200)

ROWS: list[Row] = [
    # group A's summary: members who have signed
    Row("GET", SUMMARY, group_a(SIGN_FIRST, 200, 200)),
    Row("GET", SUMMARY + "/history", group_a(SIGN_FIRST, 200, 200)),
    Row("GET", SUMMARY + "/redaction", group_a(SIGN_FIRST, 200, 200)),
    Row("GET", SUMMARY + "/export.md", group_a(SIGN_FIRST, 200, 200)),
    Row("GET", "/live/summary-{cycle_id}", group_a(404, 200, 200)),
    Row("GET", "/coedit/summary-{cycle_id}/who-wrote-what", group_a(404, 200, 200),
        note="like the co-editing endpoints: a member who has not signed gets 404"),
    Row("POST", SUMMARY, group_a(SIGN_FIRST, TO_SUMMARY, TO_SUMMARY),
        data={"f:changes": "Start with strips"},
        effect=lambda w, actor: _field(w, "changes") == "Start with strips"),
    Row("POST", SUMMARY + "/evidence", group_a(SIGN_FIRST, TO_SUMMARY, TO_SUMMARY),
        data={"kind": "observation", "source": "{observation}"}, effect=lambda w, actor: _evidence_count(w) == 2),
    Row("POST", SUMMARY + "/evidence/{evidence}/remove", group_a(SIGN_FIRST, TO_SUMMARY, TO_SUMMARY), data={},
        effect=lambda w, actor: _evidence_count(w) == 0),
    Row("POST", SUMMARY + "/redaction", group_a(SIGN_FIRST, TO_REDACTION, TO_REDACTION),
        data={"items": "word:Zorbix"},
        effect=lambda w, actor: db.session.scalar(db.select(RedactionDecision.item_key)) == "word:Zorbix"),
    Row("POST", SUMMARY + "/publish", group_a(SIGN_FIRST, REFUSED_TO_SUMMARY, 422), data={"scope": "network"},
        note="the facilitator is refused with the redaction list: a made-up capitalised word is unchecked"),
    Row("POST", SUMMARY + "/withdraw", group_a(SIGN_FIRST, REFUSED_TO_SUMMARY, REFUSED_TO_SUMMARY), data={},
        note="nothing of group A is published"),
    # the library: everyone signed in reads what was published to the network
    Row("GET", "/library", READERS),
    Row("GET", "/library?q=place+value&subject=Mathematics&phase=primary", READERS),
    Row("GET", "/library/studies/{study}", READERS),
    Row("GET", "/library/studies/{school_study}", {**signed_in(404), "network_admin": 200},
        note="published to Cedar only: no role but the network admin is Cedar's"),
    Row("GET", "/library/studies/{study}/handout", READERS),
    Row("GET", "/library/studies/{study}/export.md", READERS),
    Row("GET", "/library/booklet?study={study}&study={school_study}", READERS),
    Row("GET", "/library/booklet.md?study={study}", READERS),
    # open-house lessons
    Row("GET", "/lessons/{lesson}/open-house", group_a(SIGN_FIRST, 200, 200)),
    Row("POST", "/lessons/{lesson}/open-house",
        group_a(SIGN_FIRST, Redirect(303, "/lessons/{lesson}/open-house", refused=True),
                Redirect(303, "/library/open-house/{next_house}")),
        data={"capacity": "4", "what_to_watch": "Pupil A's strips", "guests_part": ""},
        effect=lambda w, actor: db.session.scalar(db.select(OpenHouse.capacity).where(
            OpenHouse.lesson_id == w.ids["lesson"])) == 4),
    Row("GET", "/library/open-house/{house}", READERS),
    Row("GET", "/library/open-house/{house}/briefing", {**signed_in(404), "facilitator": 200},
        note="group A's facilitator registered for Cedar's open house"),
    Row("POST", "/library/open-house/{house}/register", {**signed_in(TO_INVITATION), "anonymous": TO_LOGIN},
        data={}, effect=lambda w, actor: db.session.scalar(db.select(OpenHouseRegistration.id).where(
            OpenHouseRegistration.user_id == actor.id, OpenHouseRegistration.cancelled_at.is_(None))) is not None),
    Row("POST", "/library/open-house/{house}/cancel", {**signed_in(REFUSED_TO_INVITATION), "facilitator": TO_INVITATION},
        data={}, effect=lambda w, actor: db.session.scalar(db.select(OpenHouseRegistration.cancelled_at).where(
            OpenHouseRegistration.user_id == actor.id)) is not None),
    Row("POST", "/library/open-house/{house}/close", signed_in(404), data={}),
    # learning fairs
    Row("GET", "/library/fairs", READERS),
    Row("GET", "/library/fairs/{fair}", READERS),
    Row("GET", "/library/fairs/{fair}/programme", READERS),
    Row("POST", "/library/fairs", organisers(Redirect(303, "/library/fairs/{next_fair}")),
        data={"title": "Summer fair", "on": "2026-07-01", "place": "Hall"},
        effect=lambda w, actor: db.session.scalar(db.select(LearningFair.id).where(
            LearningFair.title == "Summer fair")) is not None),
    Row("POST", "/library/fairs/{fair}/items", organisers(Redirect(303, "/library/fairs/{fair}")),
        data={"publication": "{study}", "slot": "10:00"},
        effect=lambda w, actor: db.session.scalar(db.select(FairItem.id)) is not None),
    Row("POST", "/library/fairs/{fair}/gather", organisers(Redirect(303, "/library/fairs/{fair}")), data={},
        effect=lambda w, actor: db.session.scalar(db.select(FairItem.id)) is not None,
        note="the fair is dated the day the world's network study was published: it is gathered"),
]
