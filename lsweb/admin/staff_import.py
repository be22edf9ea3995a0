"""CSV import of staff: parse and check every row first, then write all of it or nothing. The file is read
line by line with the row limit applied as it reads, so a file of blank lines or one endless line costs
no more memory than the file itself."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import insert

from .. import audit
from ..errors import DomainError, NotAllowed
from ..extensions import db
from ..models import Role, School, User
from ..models.base import utcnow
from ..permissions import SCHOOL_ASSIGNABLE_ROLES, assignable_roles, can_manage_staff
from . import mis_columns as mis
from .services import clean_email, clean_name

# One line of the file, with its line ending kept (as csv wants): \r\n, \n or \r alone (old Mac Excel).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
MAX_LINE = 20_000  # characters: a staff row is short; a 16 MB line of commas would be millions of cells


def _lines(text: str) -> Iterator[str]:
    """The file's lines one at a time, without copying the text (io.StringIO holds 4 bytes a character)."""
    for number, match in enumerate(_LINE.finditer(text), start=1):
        if match.end() - match.start() > MAX_LINE:
            raise DomainError(f"Line {number:,} of the file is longer than {MAX_LINE:,} characters: it is not "
                              "a list of staff. Check that you chose the right file.", "file")
        yield match.group()


@dataclass
class ImportRow:
    line: int
    name: str
    email: str
    role_text: str
    role: Role | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportPreview:
    rows: list[ImportRow] = field(default_factory=list)
    file_error: str | None = None
    header: list[str] = field(default_factory=list)
    columns: mis.Columns | None = None  # set when the file's header was read

    @property
    def needs_mapping(self) -> bool:
        """The header was read but does not say which column is what: the admin chooses."""
        return self.columns is not None and bool(self.columns.missing())

    @property
    def good(self) -> list[ImportRow]:
        return [row for row in self.rows if row.ok]

    @property
    def bad(self) -> list[ImportRow]:
        return [row for row in self.rows if not row.ok]


def preview_csv(data: bytes, admin: User | None, max_rows: int,
                progress: Callable[[Iterable], Iterable] | None = None, school_id: int | None = None,
                choices: mis.Columns | None = None) -> ImportPreview:
    """Check every row; nothing is written. Row errors are listed per line of the file.

    The columns are found from the header's usual names, or taken from `choices` (the mapping step);
    job titles become roles through the school's own table, then the usual titles."""
    try:
        text = mis.decode(data)
        if "\x00" in text:
            raise DomainError("The file is not a CSV text file.", "file")
        reader = csv.reader(_lines(text))
        try:
            header = next(reader)
        except StopIteration:
            raise DomainError("The file is empty.", "file") from None
        columns = choices or mis.find_columns(header)
        if columns.missing():
            return ImportPreview(header=header, columns=columns, file_error=(
                "The first line does not say which column is what (missing: "
                f"{', '.join(columns.missing())})."))
        raw_rows = []
        for raw in reader:  # the row limit as it reads (blank lines count): never the whole file in rows
            if len(raw_rows) == max_rows:
                return ImportPreview(file_error=f"The file has more than {max_rows:,} rows; at most "
                                                f"{max_rows:,} can be imported at once. Split it into smaller files.")
            raw_rows.append(raw)
    except csv.Error as error:
        return ImportPreview(file_error=f"The file is not valid CSV ({error}).")
    except DomainError as error:
        return ImportPreview(file_error=error.message)

    def cell(raw: list[str], key: str) -> str:
        index = columns.found.get(key)
        return raw[index].strip() if index is not None and index < len(raw) else ""

    titles = mis.school_titles(school_id)

    preview = ImportPreview()
    seen: dict[str, int] = {}
    allowed = assignable_roles(admin) if admin is not None else SCHOOL_ASSIGNABLE_ROLES
    rows_iter = enumerate(raw_rows, start=2)
    for line, raw in (progress(rows_iter) if progress else rows_iter):
        if not any(value.strip() for value in raw):
            continue  # blank lines are skipped
        row = ImportRow(line=line, name=mis.full_name(raw, columns), email=cell(raw, "email"),
                        role_text=cell(raw, "role"))
        try:
            row.name = clean_name(row.name)
        except DomainError as error:
            row.errors.append(error.message)
        try:
            row.email = clean_email(row.email)
        except DomainError as error:
            row.errors.append(error.message)
        else:
            if row.email in seen:
                row.errors.append(f"The same email is on line {seen[row.email]}.")
            else:
                seen[row.email] = line
        row.role = mis.role_for(row.role_text, titles) if row.role_text else columns.default_role
        if row.role is None:
            known = ", ".join(r.label.lower() for r in allowed)
            row.errors.append(f"Unknown role “{row.role_text[:40]}” (use one of: {known})."
                              if row.role_text else "Enter a role.")
        elif row.role not in allowed:
            row.errors.append(f"You cannot give the role {row.role.label.lower()}.")
        preview.rows.append(row)
    _mark_existing(preview)
    if not preview.rows:
        preview.file_error = "The file has no staff rows under its first line."
    return preview


def _mark_existing(preview: ImportPreview) -> None:
    # Every row with the email is marked, not only the last: the first of two rows with the same
    # taken email would otherwise look good and fail on the unique email at import.
    by_email: dict[str, list[ImportRow]] = {}
    for row in preview.rows:
        if "@" in row.email:
            by_email.setdefault(row.email, []).append(row)
    emails = list(by_email)
    for start in range(0, len(emails), 500):
        chunk = emails[start:start + 500]
        for email in db.session.scalars(db.select(User.email).where(User.email.in_(chunk))):
            for row in by_email[email]:
                row.errors.append("Someone already has an account with this email.")


def apply_import(admin: User | None, school: School, preview: ImportPreview, skip_bad: bool,
                 progress: Callable[[int], None] | None = None, invite: bool = False) -> int:
    """Write the good rows in one transaction. With bad rows, refuse unless told to skip them. With
    `invite`, every person added is e-mailed an invitation to choose their password (queued in the
    same transaction: all of them or, when the import fails, none).

    `admin` None means the command line, run by whoever looks after the server.
    """
    if admin is not None and not can_manage_staff(admin, school):
        raise NotAllowed("You cannot add staff to that school.")
    if preview.file_error:
        raise DomainError(preview.file_error, "file")
    if preview.bad and not skip_bad:
        raise DomainError(f"{len(preview.bad)} rows have errors; fix the file, or choose to import "
                          "only the rows without errors.")
    good = preview.good
    if not good:
        raise DomainError("There are no rows without errors to import.")
    now = utcnow()
    batch = 1000
    for start in range(0, len(good), batch):
        values = [{"display_name": row.name, "email": row.email, "role": row.role, "school_id": school.id,
                   "active": True, "must_change_password": False, "session_generation": 1,
                   "created_at": now, "password_hash": None} for row in good[start:start + batch]]
        db.session.execute(insert(User), values)
        if progress:
            progress(len(values))
    audit.record(admin, "staff.imported", target=school.name, school_id=school.id,
                 details=f"{len(good)} added, {len(preview.bad)} rows skipped")
    if invite and admin is not None:
        from ..auth.links import queue_invitation

        emails = [row.email for row in good]
        for start in range(0, len(emails), batch):
            for member in db.session.scalars(db.select(User).where(User.school_id == school.id,
                                                                   User.email.in_(emails[start:start + batch]))):
                queue_invitation(admin, member)
    db.session.commit()
    return len(good)
