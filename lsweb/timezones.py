"""The school's time zone. Lesson dates and times are what staff type: the school's wall-clock time,
kept with the school's zone (LSWEB_TIMEZONE, or the school's own setting), so 10:40 stays 10:40 in
summer and in winter. Instants (when a post was written, a signature made) are kept in UTC and shown
in the school's zone. A typed time that does not exist (the clocks go forward) or exists twice (they
go back) is refused with a message that says so: what is stored is never ambiguous."""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from .errors import DomainError


@cache
def server_zone_name() -> str:
    """The server's own zone: TZ, else /etc/localtime (a link into the zoneinfo folder), else UTC."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name and _known(name):
        return name
    try:
        target = str(Path("/etc/localtime").resolve())
        if "zoneinfo/" in target and _known(target.split("zoneinfo/", 1)[1]):
            return target.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    try:
        name = Path("/etc/timezone").read_text().strip()
        if _known(name):
            return name
    except OSError:
        pass
    return "UTC"


def _known(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def check_zone_name(name: str) -> str:
    """An IANA zone name (Europe/London), or DomainError."""
    name = (name or "").strip()
    if not _known(name):
        raise DomainError(f"“{name}” is not a time zone lsweb knows: use a name such as Europe/London.", "timezone")
    return name


@cache
def zone_choices() -> list[str]:
    return sorted(available_timezones())


def default_zone_name() -> str:
    from flask import current_app, has_app_context

    if has_app_context():
        configured = current_app.config["LSWEB"].get("TIMEZONE")
        if configured:
            return configured
    return server_zone_name()


def zone_of(school) -> ZoneInfo:
    """The zone a school's times are in: its own setting, else the installation's."""
    name = getattr(school, "timezone", None) or default_zone_name()
    return ZoneInfo(name)


def _label(moment: datetime) -> str:
    return f"{moment:%H:%M} on {moment.day} {moment:%B %Y}"


def _exists(naive: datetime, zone: ZoneInfo) -> bool:
    aware = naive.replace(tzinfo=zone)
    return aware.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) == naive


def wall_clock(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The aware moment of a typed date and time in `zone`; DomainError when the clocks skip it or
    show it twice that night."""
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    if not _exists(naive, zone):
        start = naive
        while not _exists(start - timedelta(minutes=1), zone):  # back to the first minute skipped
            start -= timedelta(minutes=1)
        end = start + (second.utcoffset() - first.utcoffset())
        raise DomainError(
            f"{_label(naive)} does not exist in {zone.key}: the clocks go forward from {start:%H:%M} to "
            f"{end:%H:%M} that night (summer time starts). Choose a time before {start:%H:%M} or from "
            f"{end:%H:%M}.", "start_time")
    if first.utcoffset() != second.utcoffset():
        raise DomainError(
            f"{_label(naive)} happens twice in {zone.key}: the clocks go back that night (summer time "
            f"ends), so {naive:%H:%M} would be ambiguous. Choose a time outside that hour.", "start_time")
    return first


def local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """An instant (UTC, aware or naive-as-UTC) as the school's wall-clock time."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(zone)
