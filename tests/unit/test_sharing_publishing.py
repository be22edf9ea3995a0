"""Cycle summaries: co-editing, the redaction check, publishing a snapshot, who reads it."""

import pytest

from lsweb.errors import DomainError, NotAllowed
from lsweb.extensions import db
from lsweb.models import Photo, Role
from lsweb.sharing import library, publishing, redaction, summaries

from ..sharing_setup import LEARNING, other_school_teacher, publish, written_summary


def test_saves_go_into_the_summarys_document_and_a_too_long_one_changes_nothing(factories):
    team = written_summary(factories)
    saved = summaries.save_field(team.ben, team.cycle, "changes", "Start with a bar model. Then pairs.")
    assert saved.text == "Start with a bar model. Then pairs."
    with pytest.raises(DomainError, match="at most 8,000 characters"):  # all or none
        summaries.save_texts(team.ana, team.cycle, {"teaching": "Fine.", "learning": "x" * 8_001})
    texts = summaries.texts(team.cycle, summaries.summary_of(team.cycle))
    assert texts["learning"] == LEARNING and texts["teaching"] != "Fine."


def test_outsiders_cannot_write_the_summary(factories):
    team = written_summary(factories)
    with pytest.raises(NotAllowed):
        summaries.save_field(other_school_teacher(factories), team.cycle, "learning", "x")
    with pytest.raises(DomainError):
        summaries.save_field(team.lead, team.cycle, "made-up", "x")


def test_redaction_lists_names_photos_and_labels_and_publishing_waits_for_them(factories, tmp_path):
    team = written_summary(factories)
    summaries.save_field(team.lead, team.cycle, "learning", LEARNING + " Jayden helped Pupil B with NCETM tasks.")
    team.pupils[2].label = "Jamie"
    team.pupils[0].photo_consent = True  # a photo is only taken (and listed) with consent
    db.session.add(Photo(lesson_id=team.lesson.id, pupil_id=team.pupils[0].id, uploaded_by_id=team.lead.id,
                         stored_name="x.jpg", content_type="image/jpeg", size=10, caption="Folded strips"))
    db.session.commit()
    items = {item.key: item for item in redaction.items(team.cycle)}
    assert "word:Jayden" in items and f"label:{team.pupils[2].id}" in items
    assert any(key.startswith("photo:") for key in items)
    assert "word:Pupils" not in items and "word:NCETM" not in items and "word:Pupil" not in items
    with pytest.raises(publishing.RedactionPending) as refused:
        publish(team)
    assert {i.key for i in refused.value.items} == set(items)
    assert publishing.publication_of(team.cycle) is None
    # Fixing the text removes the word; the rest is confirmed by the group.
    summaries.save_field(team.lead, team.cycle, "learning", LEARNING)
    redaction.confirm(team.lead, team.cycle, [k for k in items if not k.startswith("word:")])
    assert redaction.unresolved(team.cycle) == []
    assert publish(team).version == 1


def test_the_published_snapshot_does_not_change_with_later_edits(factories):
    team = written_summary(factories)
    publication = publish(team)
    summaries.save_field(team.lead, team.cycle, "learning", "We rewrote this after publishing.")
    db.session.expire_all()
    content = publishing.content_of(db.session.get(type(publication), publication.id))
    assert content["sections"][0]["text"] == LEARNING
    again = publish(team)
    assert again.id == publication.id and again.version == 2
    assert publishing.content_of(again)["sections"][0]["text"] == "We rewrote this after publishing."


def test_empty_summaries_are_not_published(factories):
    from ..plans import planning_team

    team = planning_team(factories)
    with pytest.raises(DomainError, match="empty"):
        publishing.publish(team.lead, team.cycle, "network")


def test_only_the_facilitator_publishes(factories):
    team = written_summary(factories)
    with pytest.raises(NotAllowed):
        publishing.publish(team.ana, team.cycle, "network")


def test_unpublished_and_school_only_studies_are_invisible_outside(factories):
    team = written_summary(factories)
    leader = factories.user(team.school, Role.LEAD)
    admin = factories.user(team.school, Role.SCHOOL_ADMIN)
    stranger = other_school_teacher(factories)
    assert library.browse(leader).total == 0 and library.browse(admin).total == 0
    assert library.browse(team.ana).total == 0  # nothing published yet, not even for members
    publish(team, "school")
    assert library.browse(leader).total == 1 and library.browse(team.ana).total == 1
    assert library.browse(stranger).total == 0
    publish(team, "network")
    assert library.browse(stranger).total == 1
    publishing.withdraw(team.lead, team.cycle)
    assert library.browse(stranger).total == 0 and library.browse(leader).total == 0
