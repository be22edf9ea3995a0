"""CSV import through the web: upload, a preview listing every bad row by line, then confirm. Nothing is
written before the confirmation, and then all the rows or only the good ones by explicit choice."""

from __future__ import annotations

import io
import re
import stat
from pathlib import Path

import pytest
from sqlalchemy import func

from lsweb.extensions import db
from lsweb.models import AuditEntry, Role, User
from tests.conftest import TEST_PASSWORD
from tests.factories import Factories

HEADER = "name,email,role\n"
BAD_FILE_ROWS = [
    "Ana Silva,ana@hillside.example,teacher",       # 2 good
    "Ana Twin,ana@hillside.example,lead",           # 3 duplicate within the file
    "Tess Taken,taken@hillside.example,teacher",    # 4 already has an account
    "Rob Role,rob@hillside.example,headmaster",     # 5 unknown role
    ",noname@hillside.example,teacher",             # 6 missing name
    "Ben Okafor,ben@hillside.example,support staff",  # 7 good
]


def csv_bytes(*lines: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return (header + "".join(line + "\n" for line in lines)).encode(encoding)


def upload(client, school_id, data: bytes, filename: str = "staff.csv"):
    return client.post("/admin/staff/import", content_type="multipart/form-data",
                       data={"school_id": str(school_id), "file": (io.BytesIO(data), filename)})


def confirm(client, page_text: str, skip_bad: bool = False, **changes):
    form = {"token": re.search(r'name="token"[^>]*value="([^"]+)"', page_text).group(1),
            "school_id": re.search(r'name="school_id"[^>]*value="([^"]+)"', page_text).group(1)}
    if skip_bad:
        form["skip_bad"] = "y"
    form.update(changes)
    return client.post("/admin/staff/import/confirm", data=form)


def bad_rows(page_text: str) -> dict[int, list[str]]:
    """The preview's table of rows with errors: line number -> messages."""
    rows = {}
    for row in re.findall(r'<tr class="row-error">(.*?)</tr>', page_text, re.S):
        line = int(re.search(r"<td>(\d+)</td>", row).group(1))
        rows[line] = re.findall(r"<li>(.*?)</li>", row)
    return rows


def text_of(page_text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page_text).split())


def field_error(page_text: str, field: str) -> str | None:
    match = re.search(rf'id="{field}-error"[^>]*>(.*?)</', page_text, re.S)
    return match.group(1).strip() if match else None


def user_count() -> int:
    return db.session.scalar(db.select(func.count(User.id)))


def uploads(app) -> list[Path]:
    folder = Path(app.instance_path) / "imports"
    return sorted(folder.glob("*.csv")) if folder.exists() else []


@pytest.fixture
def hillside(factories):
    return factories.school("Hillside Primary")


@pytest.fixture
def head(factories, hillside):
    return factories.user(hillside, Role.SCHOOL_ADMIN, email="head@hillside.example")


@pytest.fixture
def signed_in(client, login, head, factories, hillside):
    factories.user(hillside, email="taken@hillside.example", name="Tess Taken")
    login(head)
    return client


def test_the_upload_form_is_offered(signed_in, hillside):
    page = signed_in.get(f"/admin/staff/import?school={hillside.id}")
    assert page.status_code == 200
    assert "Import staff from a CSV file" in page.text
    assert 'type="file"' in page.text and 'enctype="multipart/form-data"' in page.text


def test_bad_rows_are_listed_by_line_and_nothing_is_written(app, signed_in, hillside, head):
    before = user_count()
    preview = upload(signed_in, hillside.id, csv_bytes(*BAD_FILE_ROWS))
    assert preview.status_code == 200
    assert ("2 rows are ready to import; 4 rows have errors. Nothing has been saved yet."
            in text_of(preview.text))
    assert bad_rows(preview.text) == {
        3: ["The same email is on line 2."],
        4: ["Someone already has an account with this email."],
        5: ["Unknown role “headmaster” (use one of: school admin, lead, teacher, support staff)."],
        6: ["Enter a name."],
    }
    assert "Import only the rows without errors" in preview.text
    assert user_count() == before

    # The upload waits in the instance folder, private to the server and named for its owner.
    [stored] = uploads(app)
    assert stored.name.startswith(f"{head.id}-")
    assert stored.read_bytes() == csv_bytes(*BAD_FILE_ROWS)
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700

    # Confirming without choosing to skip the bad rows is refused, and still nothing is written.
    refused = confirm(signed_in, preview.text)
    assert refused.status_code == 422
    assert "4 rows have errors; fix the file, or choose to import only the rows without errors." in refused.text
    assert bad_rows(refused.text) == bad_rows(preview.text)
    assert user_count() == before
    assert uploads(app) == [stored]

    # With "skip bad rows" only the good rows are written.
    done = confirm(signed_in, preview.text, skip_bad=True)
    assert done.status_code == 303
    assert done.headers["Location"] == f"/admin/staff?school={hillside.id}"
    staff_page = signed_in.get(done.headers["Location"])
    assert "2 staff imported into Hillside Primary." in staff_page.text
    assert user_count() == before + 2
    imported = db.session.scalars(db.select(User.email).where(User.email.in_(
        ["ana@hillside.example", "ben@hillside.example", "rob@hillside.example", "noname@hillside.example"]))
    ).all()
    assert sorted(imported) == ["ana@hillside.example", "ben@hillside.example"]
    assert db.session.scalar(db.select(User.display_name).where(User.email == "ana@hillside.example")) == "Ana Silva"
    assert uploads(app) == []  # the upload is removed once imported
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "staff.imported"))
    assert (entry.actor_id, entry.school_id, entry.details) == (head.id, hillside.id, "2 added, 4 rows skipped")


def test_a_clean_file_imports_in_full(signed_in, hillside):
    before = user_count()
    preview = upload(signed_in, hillside.id, csv_bytes("Ana Silva,ana@hillside.example,teacher",
                                                       "Ben Okafor,ben@hillside.example,lead"))
    assert preview.status_code == 200
    assert "2 rows are ready to import; 0 rows have errors." in text_of(preview.text)
    assert "Import 2 people" in preview.text
    assert "Import only the rows without errors" not in preview.text
    assert confirm(signed_in, preview.text).status_code == 303
    assert user_count() == before + 2


def test_the_file_is_checked_again_at_confirmation(signed_in, hillside, factories):
    before = user_count()
    preview = upload(signed_in, hillside.id, csv_bytes("Ana Silva,ana@hillside.example,teacher",
                                                       "Ben Okafor,ben@hillside.example,lead"))
    assert bad_rows(preview.text) == {}
    factories.user(hillside, email="ben@hillside.example")  # added meanwhile, by someone else
    refused = confirm(signed_in, preview.text)
    assert refused.status_code == 422
    assert bad_rows(refused.text) == {3: ["Someone already has an account with this email."]}
    assert user_count() == before + 1  # only the one added meanwhile


UNREADABLE = [  # (file, the message beside the file field)
    (b"", "The file is empty."),
    (HEADER.encode(), "The file has no staff rows under its first line."),
]


def test_files_that_cannot_be_read_are_explained_beside_the_field(app, signed_in, hillside):
    before = user_count()
    for data, message in UNREADABLE:
        response = upload(signed_in, hillside.id, data)
        assert response.status_code == 422, message
        assert field_error(response.text, "file") == message
    assert user_count() == before
    assert uploads(app) == []


def test_no_file_or_another_school_is_refused(signed_in, hillside, factories):
    response = signed_in.post("/admin/staff/import", data={"school_id": str(hillside.id)})
    assert response.status_code == 422
    assert field_error(response.text, "file") == "Choose a CSV file."
    riverside = factories.school("Riverside Academy")
    response = upload(signed_in, riverside.id, csv_bytes("Ana Silva,ana@hillside.example,teacher"))
    assert response.status_code == 422
    assert field_error(response.text, "school_id") == "Not a valid choice."
    assert db.session.scalar(db.select(User).where(User.email == "ana@hillside.example")) is None


def test_nobody_else_can_confirm_an_upload(app, signed_in, hillside, factories, login):
    preview = upload(signed_in, hillside.id, csv_bytes("Ana Silva,ana@hillside.example,teacher"))
    # Another admin of the same school, holding the token, finds no such upload.
    colleague = app.test_client()
    login(factories.user(hillside, Role.SCHOOL_ADMIN), the_client=colleague)
    response = confirm(colleague, preview.text)
    assert response.status_code == 303
    assert "That upload has expired. Please upload the file again." in colleague.get(
        response.headers["Location"]).text
    # An admin of another school cannot even name the school.
    riverside = factories.school("Riverside Academy")
    stranger = app.test_client()
    login(factories.user(riverside, Role.SCHOOL_ADMIN), the_client=stranger)
    assert confirm(stranger, preview.text).status_code == 404
    # A forged token is refused outright.
    assert confirm(signed_in, preview.text, token="../../secret_key").status_code == 400
    assert db.session.scalar(db.select(User).where(User.email == "ana@hillside.example")) is None
    assert len(uploads(app)) == 1


def test_more_rows_than_the_limit_are_refused(make_app):
    app = make_app(IMPORT_MAX_ROWS=5)
    with app.app_context():
        factories = Factories(db)
        school = factories.school("Hillside Primary")
        head = factories.user(school, Role.SCHOOL_ADMIN)
        client = app.test_client()
        assert client.post("/login", data={"email": head.email, "password": TEST_PASSWORD}).status_code == 303
        rows = [f"Person {n},p{n}@hillside.example,teacher" for n in range(6)]
        response = upload(client, school.id, csv_bytes(*rows))
        assert response.status_code == 422
        assert field_error(response.text, "file") == ("The file has more than 5 rows; at most 5 can be imported at "
                                                      "once. Split it into smaller files.")
        assert upload(client, school.id, csv_bytes(*rows[:5])).status_code == 200
        assert db.session.scalar(db.select(func.count(User.id))) == 1


def test_ten_thousand_rows_preview_and_import(signed_in, hillside):
    rows = [f"Person {n},person{n}@hillside.example,{'teacher' if n % 3 else 'support staff'}"
            for n in range(10_000)]
    before = user_count()
    preview = upload(signed_in, hillside.id, csv_bytes(*rows))
    assert preview.status_code == 200
    assert "10000 rows are ready to import; 0 rows have errors." in text_of(preview.text)
    assert "… and 9800 more." in preview.text  # the page shows a sample, not 10,000 table rows
    assert user_count() == before
    done = confirm(signed_in, preview.text)
    assert done.status_code == 303
    assert "10000 staff imported into Hillside Primary." in signed_in.get(done.headers["Location"]).text
    assert user_count() == before + 10_000
    assert db.session.scalar(db.select(func.count(User.id)).where(
        User.school_id == hillside.id, User.role == Role.SUPPORT)) == 3334
