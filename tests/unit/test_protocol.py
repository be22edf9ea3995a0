"""The protocol rules: adoption, amendment, sign-off, the gate, append-only signatures, proof."""

import pytest
from sqlalchemy import text

from lsweb.errors import DomainError, NotAllowed
from lsweb.extensions import db
from lsweb.groups import cycles
from lsweb.groups import services as groups
from lsweb.models import CycleStatus, GroupRole, ProtocolSignature, Role, SignatureKind
from lsweb.protocol import services as protocol


@pytest.fixture
def team(factories):
    """A group at school A: a lead (facilitator) and two teachers, one from school B."""
    school_a, school_b = factories.school("School A"), factories.school("School B")
    lead = factories.user(school_a, Role.LEAD, name="Lee Lead")
    ana = factories.user(school_a, Role.TEACHER, name="Ana Alves")
    ben = factories.user(school_b, Role.SUPPORT, name="Ben Brook")
    group = groups.create_group(lead, groups.GroupDetails(name="Fractions", subject="Maths"))
    groups.add_member(lead, group, ana.email, GroupRole.MEMBER)
    groups.add_member(lead, group, ben.email, GroupRole.RECORDER)
    return {"group": group, "lead": lead, "ana": ana, "ben": ben, "school_a": school_a}


def sign_all(group, *users):
    version = protocol.current_version(group)
    for user in users:
        protocol.sign(user, group, version.id, True, user.display_name)


def test_group_adopts_the_school_default_or_the_shipped_text(team, factories):
    version = protocol.current_version(team["group"])
    assert version.number == 1
    assert "no hierarchy" in version.text
    assert version.text_sha256 == protocol.text_hash(version.text)
    protocol.edit_school_default(factories.user(team["school_a"], Role.SCHOOL_ADMIN), team["school_a"],
                                 "Our own school text")
    second = groups.create_group(team["lead"], groups.GroupDetails(name="Writing"))
    assert protocol.current_version(second).text == "Our own school text"


def test_gate_opens_only_when_every_current_member_signed(team):
    group = team["group"]
    open_, missing = protocol.gate_status(group)
    assert not open_ and {u.display_name for u in missing} == {"Lee Lead", "Ana Alves", "Ben Brook"}
    sign_all(group, team["lead"], team["ana"])
    open_, missing = protocol.gate_status(group)
    assert not open_ and [u.display_name for u in missing] == ["Ben Brook"]
    with pytest.raises(DomainError, match="Still to sign: Ben Brook"):
        protocol.require_gate(group)
    sign_all(group, team["ben"])
    assert protocol.gate_status(group) == (True, [])
    protocol.require_gate(group)


def test_amendment_needs_everyone_to_sign_again(team):
    group, lead = team["group"], team["lead"]
    sign_all(group, lead, team["ana"], team["ben"])
    version = protocol.amend(lead, group, protocol.current_version(group).text + "\n9. We meet on Tuesdays.",
                             based_on=1, note="meeting day")
    assert version.number == 2
    open_, missing = protocol.gate_status(group)
    assert not open_ and len(missing) == 3
    sign_all(group, lead, team["ana"], team["ben"])
    assert protocol.gate_status(group)[0]
    diff = protocol.word_diff(protocol.versions(group)[1].text, version.text)
    assert "<ins>" in diff and "Tuesdays" in diff


def test_only_the_facilitator_amends_and_stale_amendments_are_refused(team):
    group = team["group"]
    with pytest.raises(NotAllowed):
        protocol.amend(team["ana"], group, "Another text", based_on=1)
    protocol.amend(team["lead"], group, "Version two", based_on=1)
    with pytest.raises(DomainError, match="amended the protocol a moment ago"):
        protocol.amend(team["lead"], group, "Based on the old one", based_on=1)
    with pytest.raises(DomainError, match="cannot be empty"):
        protocol.amend(team["lead"], group, "   ", based_on=2)
    with pytest.raises(DomainError, match="at most 50,000"):
        protocol.amend(team["lead"], group, "x" * 100_000, based_on=2)
    assert protocol.current_version(group).number == 2


def test_signing_a_version_that_is_no_longer_current_is_refused(team):
    group = team["group"]
    old = protocol.current_version(group)
    protocol.amend(team["lead"], group, "Amended a second ago", based_on=1)
    with pytest.raises(DomainError, match="amended a moment ago"):
        protocol.sign(team["ana"], group, old.id, True, "Ana Alves")
    assert db.session.scalar(text("SELECT count(*) FROM protocol_signature")) == 0


def test_signature_needs_agreement_and_the_account_name(team):
    group, ana = team["group"], team["ana"]
    version = protocol.current_version(group)
    with pytest.raises(DomainError, match="Tick the box"):
        protocol.sign(ana, group, version.id, False, "Ana Alves")
    with pytest.raises(DomainError, match="does not match your account name"):
        protocol.sign(ana, group, version.id, True, "Someone Else")
    signature, created = protocol.sign(ana, group, version.id, True, "  ana   ALVES ")
    assert created and signature.typed_name == "ana ALVES"
    assert signature.text_sha256 == protocol.text_hash(version.text)
    assert signature.user_id == ana.id and signature.version_id == version.id


def test_double_submitted_signature_stores_one(team):
    group, ana = team["group"], team["ana"]
    version = protocol.current_version(group)
    assert protocol.sign(ana, group, version.id, True, "Ana Alves")[1] is True
    assert protocol.sign(ana, group, version.id, True, "Ana Alves")[1] is False
    assert db.session.scalar(text("SELECT count(*) FROM protocol_signature")) == 1


def test_non_member_cannot_sign(team, factories):
    outsider = factories.user(team["school_a"], Role.SCHOOL_ADMIN, name="Olive Out")
    version = protocol.current_version(team["group"])
    with pytest.raises(NotAllowed):
        protocol.sign(outsider, team["group"], version.id, True, "Olive Out")


def test_withdrawing_is_a_new_event_and_closes_the_gate(team):
    group = team["group"]
    sign_all(group, team["lead"], team["ana"], team["ben"])
    protocol.withdraw(team["ana"], group)
    kinds = [s.kind for s in db.session.scalars(db.select(ProtocolSignature)
                                                .where(ProtocolSignature.user_id == team["ana"].id))]
    assert kinds == [SignatureKind.SIGNED, SignatureKind.WITHDRAWN]
    assert protocol.gate_status(group) == (False, [team["ana"]])
    sign_all(group, team["ana"])
    assert protocol.gate_status(group)[0]


def test_signatures_and_versions_are_append_only(team):
    group = team["group"]
    sign_all(group, team["ana"])
    for statement in ("UPDATE protocol_signature SET typed_name = 'forged'", "DELETE FROM protocol_signature",
                      "UPDATE protocol_version SET text = 'forged'"):
        with pytest.raises(Exception, match="append-only"):
            with db.engine.begin() as connection:
                connection.execute(text(statement))
    assert db.session.scalar(text("SELECT typed_name FROM protocol_signature")) == "Ana Alves"


def test_late_member_must_sign_before_the_gate_opens_again(team, factories):
    group, lead = team["group"], team["lead"]
    sign_all(group, lead, team["ana"], team["ben"])
    late = factories.user(team["school_a"], Role.TEACHER, name="Lata Late")
    groups.add_member(lead, group, late.email, GroupRole.MEMBER)
    assert protocol.gate_status(group) == (False, [late])
    assert not protocol.signed_current(late, group)
    sign_all(group, late)
    assert protocol.gate_status(group)[0]


def test_cycle_status_moves_one_step_and_through_the_gate(team):
    group, lead = team["group"], team["lead"]
    cycle = cycles.start_cycle(lead, group)
    assert cycle.status is CycleStatus.PROTOCOL_PENDING
    with pytest.raises(DomainError, match="Still to sign"):
        cycles.move_cycle(lead, cycle, CycleStatus.PLANNING)
    assert cycle.status is CycleStatus.PROTOCOL_PENDING
    sign_all(group, lead, team["ana"], team["ben"])
    with pytest.raises(DomainError, match="one step at a time"):
        cycles.move_cycle(lead, cycle, CycleStatus.TEACHING)
    with pytest.raises(NotAllowed):
        cycles.move_cycle(team["ana"], cycle, CycleStatus.PLANNING)
    cycles.move_cycle(lead, cycle, CycleStatus.PLANNING)
    protocol.amend(lead, group, "Changed text", based_on=1)  # the gate closes again
    with pytest.raises(DomainError, match="Still to sign"):
        cycles.move_cycle(lead, cycle, CycleStatus.TEACHING)
    sign_all(group, lead, team["ana"], team["ben"])
    for status in (CycleStatus.TEACHING, CycleStatus.DISCUSSING, CycleStatus.SHARING, CycleStatus.CLOSED):
        cycles.move_cycle(lead, cycle, status)
    assert cycle.status is CycleStatus.CLOSED
    with pytest.raises(DomainError, match="closed"):
        cycles.move_cycle(lead, cycle, CycleStatus.SHARING)
    assert cycles.start_cycle(lead, group).number == 2


def test_a_second_cycle_waits_for_the_first_to_close(team):
    cycles.start_cycle(team["lead"], team["group"])
    with pytest.raises(DomainError, match="still open"):
        cycles.start_cycle(team["lead"], team["group"])


def test_case_pupils_have_pseudonyms_and_a_name_warning(team):
    group, ana = team["group"], team["ana"]
    cycle = cycles.start_cycle(team["lead"], group)
    with pytest.raises(NotAllowed):  # not signed yet
        cycles.save_pupil(ana, cycle, None, "Pupil A", "", "", "", False)
    sign_all(group, ana)
    pupil = cycles.save_pupil(ana, cycle, None, "Pupil A", "finds it hard", "Halves shapes", "", False)
    assert pupil.label == "Pupil A"
    with pytest.raises(DomainError, match="looks like a person's name"):
        cycles.save_pupil(ana, cycle, None, "Jamie Smith", "", "", "", False)
    kept = cycles.save_pupil(ana, cycle, None, "Comet", "ahead", "", "", True)  # an alias, confirmed
    assert kept.label == "Comet"
    with pytest.raises(DomainError, match="has that label"):
        cycles.save_pupil(ana, cycle, None, "pupil a", "", "", "", False)
    for label in ("Pupil C", "Pupil D", "Pupil E", "Pupil F"):
        cycles.save_pupil(ana, cycle, None, label, "", "", "", False)
    with pytest.raises(DomainError, match="at most 6"):
        cycles.save_pupil(ana, cycle, None, "Pupil G", "", "", "", False)
    assert not hasattr(pupil, "real_name") and not hasattr(pupil, "name")


@pytest.mark.parametrize("label, warn", [("Pupil A", False), ("Child 2", False), ("B", False),
                                         ("Jamie", True), ("Tom Smith", True), ("Red group", False)])
def test_name_heuristic(label, warn):
    assert cycles.looks_like_a_name(label) is warn


def test_verify_signatures_detects_tampering(team, app):
    group = team["group"]
    sign_all(group, team["lead"], team["ana"])
    runner = app.test_cli_runner()
    result = runner.invoke(args=["verify-signatures"])
    assert result.exit_code == 0, result.output
    assert "match their SHA-256" in result.output
    db.session.rollback()  # end the read transaction before another connection writes
    with db.engine.begin() as connection:  # someone edits the database file behind lsweb's back
        if connection.dialect.name == "sqlite":
            connection.execute(text("DROP TRIGGER protocol_version_no_update"))
        else:
            connection.execute(text("ALTER TABLE protocol_version DISABLE TRIGGER protocol_version_append_only"))
        connection.execute(text("UPDATE protocol_version SET text = text || ' (quietly changed)'"))
    db.session.expire_all()
    result = runner.invoke(args=["verify-signatures"])
    assert result.exit_code != 0
    assert "MISMATCH Fractions" in result.output
    assert "Lee Lead" in result.output and "Ana Alves" in result.output
