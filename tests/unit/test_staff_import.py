"""The CSV import services (lsweb/admin/staff_import.py): every row checked first, errors per line,
then all the good rows written in one go, or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func

from lsweb.admin.staff_import import apply_import, preview_csv
from lsweb.errors import DomainError, NotAllowed
from lsweb.extensions import db
from lsweb.models import AuditEntry, Role, User

HEADER = "name,email,role\n"
TAKEN = "Someone already has an account with this email."


def csv_bytes(*lines: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return (header + "".join(line + "\n" for line in lines)).encode(encoding)


def errors_by_line(preview) -> dict[int, list[str]]:
    return {row.line: row.errors for row in preview.bad}


def user_count() -> int:
    return db.session.scalar(db.select(func.count(User.id)))


@pytest.fixture
def school(factories):
    return factories.school("Hillside Primary")


@pytest.fixture
def head(factories, school):
    return factories.user(school, Role.SCHOOL_ADMIN, email="head@hillside.example")


# Checking the rows ------------------------------------------------------------------------------------

def test_good_rows_are_read_with_their_line_numbers(head):
    preview = preview_csv(csv_bytes("Ana Silva,Ana.Silva@Hillside.example,teacher",
                                    "",  # blank lines are skipped
                                    "  Ben   Okafor ,ben@hillside.example,Support staff",
                                    "Cy Lead,cy@hillside.example,LEAD",
                                    "Di Admin,di@hillside.example,school_admin",
                                    "Ed Assistant,ed@hillside.example,TA"), head, 100)
    assert preview.file_error is None and preview.bad == []
    assert [(r.line, r.name, r.email, r.role) for r in preview.good] == [
        (2, "Ana Silva", "ana.silva@hillside.example", Role.TEACHER),
        (4, "Ben Okafor", "ben@hillside.example", Role.SUPPORT),
        (5, "Cy Lead", "cy@hillside.example", Role.LEAD),
        (6, "Di Admin", "di@hillside.example", Role.SCHOOL_ADMIN),
        (7, "Ed Assistant", "ed@hillside.example", Role.SUPPORT),
    ]


def test_header_names_are_recognised_in_any_order_with_a_bom(head):
    data = "\ufeffRole,E-mail,Full Name,Notes\nteacher,ana@hillside.example,Ana Silva,likes maths\n"
    preview = preview_csv(data.encode("utf-8"), head, 100)
    assert preview.file_error is None
    assert [(r.name, r.email, r.role) for r in preview.good] == [("Ana Silva", "ana@hillside.example",
                                                                   Role.TEACHER)]


def test_each_bad_row_says_what_is_wrong_on_which_line(factories, school, head):
    factories.user(school, email="taken@hillside.example")
    preview = preview_csv(csv_bytes(
        "Ana Silva,ana@hillside.example,teacher",          # 2 good
        "Ana Again,ANA@hillside.example,teacher",          # 3 duplicate within the file
        "Tess Taken,taken@hillside.example,teacher",       # 4 already in the database
        "Rob Role,rob@hillside.example,headmaster",        # 5 unknown role
        ",noname@hillside.example,teacher",                # 6 missing name
        "Eve Email,not-an-email,teacher",                  # 7 invalid email
        "Nora Role,nora@hillside.example,",                # 8 no role
        "Boss,boss@hillside.example,network admin",        # 9 a role a school admin cannot give
        "Short Row,short@hillside.example",                # 10 a missing cell
        "Ok Person,ok@hillside.example,lead",              # 11 good
    ), head, 100)
    assert [row.line for row in preview.good] == [2, 11]
    errors = errors_by_line(preview)
    assert errors[3] == ["The same email is on line 2."]
    assert errors[4] == [TAKEN]
    assert errors[5] == ["Unknown role “headmaster” (use one of: school admin, lead, teacher, support staff)."]
    assert errors[6] == ["Enter a name."]
    assert errors[7] == ["“not-an-email” is not a valid email address."]
    assert errors[8] == ["Enter a role."]
    assert errors[9] == ["You cannot give the role network admin."]
    assert errors[10] == ["Enter a role."]
    assert sorted(errors) == [3, 4, 5, 6, 7, 8, 9, 10]


def test_several_errors_on_one_row_are_all_listed(head):
    preview = preview_csv(csv_bytes(",bad email,wizard"), head, 100)
    assert errors_by_line(preview) == {2: [
        "Enter a name.", "“bad email” is not a valid email address.",
        "Unknown role “wizard” (use one of: school admin, lead, teacher, support staff)."]}


def test_a_taken_email_repeated_in_the_file_marks_every_row(factories, school, head):
    factories.user(school, email="taken@hillside.example")
    preview = preview_csv(csv_bytes("First,taken@hillside.example,teacher",
                                    "Second,Taken@hillside.example,teacher"), head, 100)
    assert preview.good == []
    assert errors_by_line(preview) == {2: [TAKEN], 3: ["The same email is on line 2.", TAKEN]}


def test_a_network_admin_may_import_every_role(factories, school):
    network_admin = factories.user(None, Role.NETWORK_ADMIN)
    preview = preview_csv(csv_bytes("Boss,boss@hillside.example,network admin"), network_admin, 100)
    assert [row.role for row in preview.good] == [Role.NETWORK_ADMIN]
    # The command line (no admin) gives school roles only.
    preview = preview_csv(csv_bytes("Boss,boss@hillside.example,network admin"), None, 100)
    assert errors_by_line(preview) == {2: ["You cannot give the role network admin."]}


def test_name_longer_than_the_limit_is_refused(head):
    preview = preview_csv(csv_bytes(f"{'x' * 121},long@hillside.example,teacher"), head, 100)
    assert errors_by_line(preview) == {2: ["A name has at most 120 characters."]}


# Files that cannot be read at all --------------------------------------------------------------------

def test_a_windows_1252_file_is_read(head):
    data = csv_bytes("Ana Silva,ana@hillside.example,teacher", "Zoé Martin,zoe@hillside.example,teacher",
                     encoding="cp1252")
    preview = preview_csv(data, head, 100)
    assert preview.file_error is None
    assert [row.name for row in preview.good] == ["Ana Silva", "Zoé Martin"]


def test_a_missing_header_column_asks_which_column_is_what(head):
    for header, missing in (("name,email\n", "role (or a role for everyone)"), ("name,role\n", "email"),
                            ("email,role\n", "name (or first name and last name)"),
                            ("first,second,third\n", "name (or first name and last name), email, "
                                                     "role (or a role for everyone)")):
        preview = preview_csv(csv_bytes("Ana,ana@hillside.example,teacher", header=header), head, 100)
        assert preview.needs_mapping and preview.rows == []
        assert f"(missing: {missing})" in preview.file_error
        assert preview.header == header.strip().split(",")


def test_empty_or_binary_files_are_explained(head):
    for data, message in (
        (b"", "The file is empty."),
        (HEADER.encode(), "The file has no staff rows under its first line."),
        (HEADER.encode() + b"\n\n", "The file has no staff rows under its first line."),
        (b"name,email,role\nA\x00B,a@b.example,teacher\n", "The file is not a CSV text file."),
    ):
        assert preview_csv(data, head, 100).file_error == message, data


def test_more_rows_than_the_limit_are_refused(head):
    data = csv_bytes(*(f"P{n},p{n}@hillside.example,teacher" for n in range(11)))
    preview = preview_csv(data, head, 10)
    assert preview.file_error == ("The file has more than 10 rows; at most 10 can be imported at once. "
                                  "Split it into smaller files.")
    assert preview.rows == []
    assert preview_csv(data, head, 11).file_error is None


# Writing: all of it, or nothing --------------------------------------------------------------------

def test_nothing_is_written_while_previewing_or_when_bad_rows_are_not_skipped(head, school):
    before = user_count()
    preview = preview_csv(csv_bytes("Ana Silva,ana@hillside.example,teacher",
                                    "Bad Role,bad@hillside.example,wizard"), head, 100)
    assert user_count() == before
    with pytest.raises(DomainError, match="1 rows have errors; fix the file, or choose to import only"):
        apply_import(head, school, preview, skip_bad=False)
    db.session.rollback()
    assert user_count() == before
    assert db.session.scalar(db.select(func.count(AuditEntry.id))) == 0


def test_skipping_bad_rows_writes_exactly_the_good_ones(head, school):
    before = user_count()
    preview = preview_csv(csv_bytes("Ana Silva,ana@hillside.example,teacher",
                                    "Bad Role,bad@hillside.example,wizard",
                                    "Ben Okafor,ben@hillside.example,support staff"), head, 100)
    steps = []
    assert apply_import(head, school, preview, skip_bad=True, progress=steps.append) == 2
    assert sum(steps) == 2
    assert user_count() == before + 2
    added = db.session.scalars(db.select(User).where(User.email.in_(
        ["ana@hillside.example", "ben@hillside.example"])).order_by(User.email)).all()
    assert [(u.display_name, u.role, u.school_id, u.active, u.password_hash, u.must_change_password)
            for u in added] == [("Ana Silva", Role.TEACHER, school.id, True, None, False),
                                ("Ben Okafor", Role.SUPPORT, school.id, True, None, False)]
    assert db.session.scalar(db.select(User).where(User.email == "bad@hillside.example")) is None
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "staff.imported"))
    assert (entry.actor_id, entry.school_id, entry.target, entry.details) == (
        head.id, school.id, "Hillside Primary", "2 added, 1 rows skipped")


def test_a_file_of_good_rows_imports_without_skipping(head, school):
    preview = preview_csv(csv_bytes("Ana Silva,ana@hillside.example,teacher"), head, 100)
    assert apply_import(head, school, preview, skip_bad=False) == 1
    assert db.session.scalar(db.select(User.school_id).where(User.email == "ana@hillside.example")) == school.id


def test_refusals_write_nothing(factories, head, school):
    before = user_count()
    only_bad = preview_csv(csv_bytes("Bad Role,bad@hillside.example,wizard"), head, 100)
    with pytest.raises(DomainError, match="There are no rows without errors to import."):
        apply_import(head, school, only_bad, skip_bad=True)
    unreadable = preview_csv(b"", head, 100)
    with pytest.raises(DomainError, match="The file is empty."):
        apply_import(head, school, unreadable, skip_bad=True)
    other_school = factories.school("Riverside Academy")
    good = preview_csv(csv_bytes("Ana Silva,ana@hillside.example,teacher"), head, 100)
    with pytest.raises(NotAllowed, match="You cannot add staff to that school."):
        apply_import(head, other_school, good, skip_bad=False)
    db.session.rollback()
    assert user_count() == before


def test_the_command_line_imports_without_an_admin(school):
    preview = preview_csv(csv_bytes("Ana Silva,ana@hillside.example,teacher"), None, 100)
    assert apply_import(None, school, preview, skip_bad=False) == 1
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "staff.imported"))
    assert (entry.actor_id, entry.school_id) == (None, school.id)


def test_ten_thousand_rows_are_checked_and_written(head, school):
    data = csv_bytes(*(f"Person {n},person{n}@hillside.example,teacher" for n in range(10_000)))
    before = user_count()
    preview = preview_csv(data, head, 20_000)
    assert preview.file_error is None and len(preview.good) == 10_000 and preview.bad == []
    assert apply_import(head, school, preview, skip_bad=False) == 10_000
    assert user_count() == before + 10_000
    assert db.session.scalar(db.select(func.count(User.id)).where(User.school_id == school.id,
                                                                  User.role == Role.TEACHER)) == 10_000
