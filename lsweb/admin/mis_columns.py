"""What a school's management information system (SIMS, Arbor, Bromcom...) exports, read as staff:
the usual column names, "Surname, Forename" names, job titles turned into lsweb roles (a table kept
per school on top of the usual titles), and files saved as UTF-8 (with or without BOM) or
Windows-1252."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from ..inputs import ascii_int
from ..errors import DomainError
from ..extensions import db
from ..models import JobTitleRole, Role

# column -> the header names that mean it (compared lower-case, spaces squeezed, "_" as a space)
HEADER_NAMES = {
    "name": ("name", "display name", "full name", "staff name", "preferred name", "known as"),
    "first": ("forename", "first name", "firstname", "given name", "preferred forename", "legal forename"),
    "last": ("surname", "last name", "lastname", "family name", "legal surname", "preferred surname"),
    "email": ("email", "e-mail", "email address", "e-mail address", "work email", "work e-mail",
              "school email", "staff email", "work email address"),
    "role": ("role", "job title", "staff type", "post", "job role", "position"),
}
FIELDS = ("name", "first", "last", "email", "role")
FIELD_LABELS = {"name": "Full name", "first": "First name (forename)", "last": "Last name (surname)",
                "email": "Email", "role": "Role or job title"}

# The usual job titles of English schools' MIS exports (a school's own table comes first).
USUAL_TITLES = {
    "class teacher": Role.TEACHER, "teacher": Role.TEACHER, "subject teacher": Role.TEACHER,
    "supply teacher": Role.TEACHER, "nqt": Role.TEACHER, "ect": Role.TEACHER,
    "early career teacher": Role.TEACHER, "newly qualified teacher": Role.TEACHER,
    "teaching staff": Role.TEACHER, "unqualified teacher": Role.TEACHER,
    "hlta": Role.SUPPORT, "higher level teaching assistant": Role.SUPPORT, "ta": Role.SUPPORT,
    "teaching assistant": Role.SUPPORT, "lsa": Role.SUPPORT, "learning support assistant": Role.SUPPORT,
    "learning support": Role.SUPPORT, "support staff": Role.SUPPORT, "cover supervisor": Role.SUPPORT,
    "nursery nurse": Role.SUPPORT, "early years practitioner": Role.SUPPORT,
    "senco": Role.LEAD, "head of year": Role.LEAD, "head of department": Role.LEAD,
    "subject leader": Role.LEAD, "phase leader": Role.LEAD, "key stage leader": Role.LEAD,
    "assistant head": Role.LEAD, "assistant headteacher": Role.LEAD, "deputy head": Role.LEAD,
    "deputy headteacher": Role.LEAD, "headteacher": Role.LEAD, "head teacher": Role.LEAD,
    "principal": Role.LEAD, "vice principal": Role.LEAD, "senior leader": Role.LEAD,
}


def normalise(text: str) -> str:
    return " ".join(text.strip().lower().replace("_", " ").split())


def decode(data: bytes) -> str:
    """UTF-8 (a BOM is dropped), else Windows-1252 (what Excel saves as "CSV" on Windows)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        line = bytes(error.object[:error.start]).count(b"\n") + 1
        raise DomainError(f"The file is neither UTF-8 nor Windows-1252 text (line {line}). In your "
                          "spreadsheet choose “Save as… CSV UTF-8” and upload that file.", "file") from None


def read_header(data: bytes) -> list[str]:
    """The first line of a CSV file, as cells ([] when it cannot be read)."""
    try:
        return next(csv.reader(io.StringIO(decode(data), newline="")), [])
    except (DomainError, csv.Error):
        return []


@dataclass
class Columns:
    """Which column (index) holds what; `default_role` for files without a role column."""

    found: dict[str, int]
    default_role: Role | None = None

    def missing(self) -> list[str]:
        missing = []
        if "name" not in self.found and not ("first" in self.found and "last" in self.found):
            missing.append("name (or first name and last name)")
        if "email" not in self.found:
            missing.append("email")
        if "role" not in self.found and self.default_role is None:
            missing.append("role (or a role for everyone)")
        return missing


def find_columns(header: list[str]) -> Columns:
    cleaned = [normalise(cell) for cell in header]
    found: dict[str, int] = {}
    for key, names in HEADER_NAMES.items():
        for wanted in names:  # the first name in the list wins ("Work Email" before "Personal Email")
            if wanted in cleaned:
                found[key] = cleaned.index(wanted)
                break
    return Columns(found)


def chosen_columns(header: list[str], choices: dict[str, str], default_role: str | None) -> Columns:
    """Columns an admin chose in the mapping step: field -> column index as text ("" for none)."""
    found = {}
    for key in FIELDS:
        index = ascii_int(choices.get(key, ""))
        if index is not None and index < len(header):
            found[key] = index
    role = Role(default_role) if default_role else None
    return Columns(found, role)


def full_name(raw: list[str], columns: Columns) -> str:
    def cell(key: str) -> str:
        index = columns.found.get(key)
        return raw[index].strip() if index is not None and index < len(raw) else ""

    name = cell("name")
    if not name:
        name = f"{cell('first')} {cell('last')}".strip()
    if name.count(",") == 1:  # "Surname, Forename" as MIS lists staff
        last, first = (part.strip() for part in name.split(","))
        if first and last:
            name = f"{first} {last}"
    return name


def school_titles(school_id: int | None) -> dict[str, Role]:
    if school_id is None:
        return {}
    return {row.title: row.role for row in db.session.scalars(
        db.select(JobTitleRole).where(JobTitleRole.school_id == school_id))}


def role_for(text: str, titles: dict[str, Role]) -> Role | None:
    """A role from an lsweb role name, the school's own table of job titles, or the usual titles."""
    wanted = normalise(text)
    return titles.get(wanted) or Role.parse(text) or USUAL_TITLES.get(wanted)
