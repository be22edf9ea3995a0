"""Retention: `lsweb purge` deletes pupil-level records older than each school's retention period,
through the registered purgers, keeps published findings, asks before a 0-day purge and logs to the
audit log; school admins set the period on the school's form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from lsweb.extensions import db
from lsweb.models import AuditEntry, Role, School
from lsweb.models.base import utcnow
from lsweb.operations import retention


@dataclass
class Record:
    """A stand-in for an observation: which school, when, and whether a published finding quotes it."""
    school_id: int
    at: datetime
    published: bool = False


@pytest.fixture
def records(monkeypatch):
    """A fake purger over an in-memory list, registered for the test only."""
    store: list[Record] = []

    def expired(school, cutoff):
        return [r for r in store if r.school_id == school.id and r.at < cutoff and not r.published]

    def purge(school, cutoff):
        gone = expired(school, cutoff)
        for record in gone:
            store.remove(record)
        return len(gone)

    monkeypatch.setattr(retention, "PURGERS", {})
    retention.register_purger(retention.Purger("observations", lambda s, c: len(expired(s, c)), purge))
    return store


@pytest.fixture
def schools(factories):
    short = factories.school("Short Memory Primary")
    short.retention_days = 30
    usual = factories.school("Usual Academy")  # the default: 365 days
    db.session.commit()
    return short.id, usual.id


def run(app, *args, input=None):
    db.session.remove()
    result = app.test_cli_runner().invoke(args=["purge", *args], input=input)
    db.session.remove()
    return result


def days_ago(days: int) -> datetime:
    return utcnow() - timedelta(days=days)


def test_purge_deletes_what_is_older_than_each_schools_retention_and_keeps_findings(app, records, schools):
    short, usual = schools
    assert db.session.get(School, usual).retention_days == 365
    records += [Record(short, days_ago(40)), Record(short, days_ago(10)), Record(short, days_ago(40), published=True),
                Record(usual, days_ago(40)), Record(usual, days_ago(400))]
    result = run(app)
    assert result.exit_code == 0, result.output
    assert "Short Memory Primary: keeps 30 days" in result.output and "observations: 1" in result.output
    assert sorted((r.school_id, round((utcnow() - r.at).total_seconds() / 86400), r.published) for r in records) \
        == sorted([(short, 10, False), (short, 40, True), (usual, 40, False)])
    entries = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "retention.purged")
                                 .order_by(AuditEntry.id)).all()
    assert [(e.school_id, e.actor_id) for e in entries] == [(short, None), (usual, None)]
    assert entries[0].details.endswith("(30 days): observations: 1")
    assert entries[1].details.endswith("(365 days): observations: 1")


def test_a_dry_run_deletes_nothing(app, records, schools):
    short, _ = schools
    records.append(Record(short, days_ago(40)))
    result = run(app, "--dry-run")
    assert result.exit_code == 0
    assert "Dry run: nothing was deleted." in result.output
    assert len(records) == 1
    assert db.session.scalar(db.select(AuditEntry.id).where(AuditEntry.action == "retention.purged")) is None


def test_a_retention_of_zero_days_asks_first(app, records, schools):
    short, usual = schools
    db.session.get(School, short).retention_days = 0
    db.session.commit()
    records += [Record(short, days_ago(1)), Record(usual, days_ago(400))]
    declined = run(app, input="n\n")
    assert declined.exit_code == 0, declined.output
    assert "keeps pupil-level records for 0 days: delete ALL 1 of them now?" in declined.output
    assert "skipped Short Memory Primary: nothing deleted." in declined.output
    assert [r.school_id for r in records] == [short]  # the other school's purge went ahead
    accepted = run(app, input="y\n")
    assert accepted.exit_code == 0
    assert records == []
    assert run(app, "--yes").exit_code == 0  # --yes does not ask (cron)


def test_without_purgers_nothing_happens(app, schools, monkeypatch):
    monkeypatch.setattr(retention, "PURGERS", {})
    result = run(app)
    assert result.exit_code == 0
    assert "nothing to do" in result.output


def test_a_school_admin_sets_the_retention_on_the_school_form(app, client, login, factories, schools):
    short, _ = schools
    admin = factories.user(db.session.get(School, short), Role.SCHOOL_ADMIN)
    login(admin)
    form = client.get(f"/admin/schools/{short}/edit")
    assert "Keep pupil-level records for (days)" in form.text and 'value="30"' in form.text
    bad = client.post(f"/admin/schools/{short}/edit", data={"name": "Short Memory Primary", "retention_days": "-1"})
    assert bad.status_code == 422
    assert "Enter a number of days from 0 to 3650." in bad.text
    saved = client.post(f"/admin/schools/{short}/edit", data={"name": "Short Memory Primary", "retention_days": "90"})
    assert saved.status_code == 303
    db.session.expire_all()
    assert db.session.get(School, short).retention_days == 90
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "school.retention_changed"))
    assert (entry.actor_id, entry.details) == (admin.id, "30 → 90 days")
