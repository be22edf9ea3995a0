"""The school's time zone: a lesson typed as 10:40 is 10:40 in the calendar in summer and in winter;
the two daylight-saving changes of a year give clear messages; a school in another zone keeps its own
local time; LSWEB_TIMEZONE is checked."""

from __future__ import annotations

from datetime import date, time, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from lsweb.config import Settings, SettingsError
from lsweb.errors import DomainError
from lsweb.extensions import db
from lsweb.planning import lessons
from lsweb.timezones import wall_clock

from ..plans import planning_team

LONDON = ZoneInfo("Europe/London")


def details(day: date, at: time) -> lessons.LessonDetails:
    return lessons.LessonDetails(date=day, start_time=at, duration_minutes=60, class_name="4B", room="Room 4",
                                 teacher_id=None)


def test_summer_and_winter_keep_the_typed_wall_clock_time():
    summer = wall_clock(date(2026, 6, 10), time(10, 40), LONDON)
    winter = wall_clock(date(2026, 1, 14), time(10, 40), LONDON)
    assert (summer.hour, summer.minute, winter.hour, winter.minute) == (10, 40, 10, 40)
    assert summer.astimezone(timezone.utc).hour == 9    # British Summer Time is UTC+1
    assert winter.astimezone(timezone.utc).hour == 10   # GMT


def test_a_time_the_clocks_skip_in_march_is_refused_clearly():
    with pytest.raises(DomainError) as refused:
        wall_clock(date(2026, 3, 29), time(1, 30), LONDON)  # the last Sunday of March
    assert refused.value.message == (
        "01:30 on 29 March 2026 does not exist in Europe/London: the clocks go forward from 01:00 to 02:00 "
        "that night (summer time starts). Choose a time before 01:00 or from 02:00.")


def test_a_time_the_clocks_show_twice_in_october_is_refused_clearly():
    with pytest.raises(DomainError) as refused:
        wall_clock(date(2026, 10, 25), time(1, 30), LONDON)  # the last Sunday of October
    assert "01:30 on 25 October 2026 happens twice in Europe/London" in refused.value.message
    assert "clocks go back" in refused.value.message


def test_the_lesson_form_refuses_a_time_that_does_not_exist(factories):
    team = planning_team(factories)
    team.school.timezone = "Europe/London"
    db.session.commit()
    with pytest.raises(DomainError, match="does not exist in Europe/London"):
        lessons.update_details(team.lead, team.lesson, details(date(2026, 3, 29), time(1, 30)),
                               team.lesson.details_version)
    lessons.update_details(team.lead, team.lesson, details(date(2026, 3, 29), time(10, 40)),
                           team.lesson.details_version)
    assert team.lesson.start_time == time(10, 40)


def test_a_school_in_another_zone_has_its_own_changes(factories):
    team = planning_team(factories)
    team.school.timezone = "America/New_York"  # its clocks go forward on 8 March 2026, not 29 March
    db.session.commit()
    lessons.update_details(team.lead, team.lesson, details(date(2026, 3, 29), time(1, 30)),
                           team.lesson.details_version)  # fine in New York
    with pytest.raises(DomainError, match="does not exist in America/New_York"):
        lessons.update_details(team.lead, team.lesson, details(date(2026, 3, 8), time(2, 30)),
                               team.lesson.details_version)


def test_lsweb_timezone_must_be_a_real_zone():
    nowhere = Path("/nonexistent/.env")
    assert Settings.from_env({"LSWEB_TIMEZONE": "Europe/Dublin"}, dotenv=nowhere).timezone == "Europe/Dublin"
    with pytest.raises(SettingsError, match="LSWEB_TIMEZONE must be a time zone name"):
        Settings.from_env({"LSWEB_TIMEZONE": "Mars/Olympus"}, dotenv=nowhere)


def test_a_school_admin_sets_the_schools_zone(client, login, factories):
    from lsweb.models import AuditEntry, Role

    school = factories.school("Hill Primary")
    admin = factories.user(school, Role.SCHOOL_ADMIN)
    login(admin)
    refused = client.post(f"/admin/schools/{school.id}/edit", data={"name": "Hill Primary", "retention_days": "365",
                                                                    "timezone": "Europe/Londres"})
    assert refused.status_code == 422
    assert "is not a time zone lsweb knows" in refused.get_data(as_text=True)
    saved = client.post(f"/admin/schools/{school.id}/edit", data={"name": "Hill Primary", "retention_days": "365",
                                                                  "timezone": "Europe/Dublin"})
    assert saved.status_code == 303
    db.session.refresh(school)
    assert school.timezone == "Europe/Dublin"
    assert db.session.scalar(db.select(AuditEntry.details).where(AuditEntry.action == "school.timezone_changed"))


def test_times_kept_in_utc_are_shown_in_the_viewers_school_zone(app, factories):
    from datetime import datetime

    from flask import render_template_string
    from flask_login import login_user

    school = factories.school()
    school.timezone = "Europe/London"
    db.session.commit()
    teacher = factories.user(school)
    noted_at = datetime(2026, 6, 10, 9, 40, tzinfo=timezone.utc)  # an observation at 10:40 BST
    with app.test_request_context("/"):
        login_user(teacher)
        shown = render_template_string('{{ (noted_at|local).strftime("%H:%M") }}', noted_at=noted_at)
    assert shown == "10:40"
    winter = datetime(2026, 1, 14, 10, 40, tzinfo=timezone.utc)
    with app.test_request_context("/"):
        login_user(teacher)
        assert render_template_string('{{ (t|local).strftime("%H:%M") }}', t=winter) == "10:40"
