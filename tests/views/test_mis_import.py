"""Importing what a school's MIS exports: the usual header names, "Surname, Forename" names, job
titles (the usual ones and the school's own table), UTF-8 with or without BOM and Windows-1252, and a
mapping step when the columns have other names; every row is shown before anything is written."""

from __future__ import annotations

import re

import pytest

from lsweb.admin.staff_import import preview_csv
from lsweb.extensions import db
from lsweb.models import JobTitleRole, Role, User

from .test_import import confirm, head, hillside, signed_in, text_of, upload  # noqa: F401  (fixtures)

SIMS = ("Legal Surname,Forename,Work Email,Job Title,Personal Email\r\n"
        "Silva,Ana,ana.silva@hillside.example,Class Teacher,ana@home.example\r\n"
        "O'Neill,Róisín,roisin@hillside.example,HLTA,\r\n"
        "Khan,Imran,imran@hillside.example,SENCo,\r\n"
        "Patel,Mina,mina@hillside.example,Head of Year,\r\n"
        "Brown,Tom,tom@hillside.example,TA,\r\n")


def _roles(preview) -> dict[str, Role]:
    return {row.email: row.role for row in preview.good}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_a_sims_export_is_read_in_each_encoding(app, head, encoding):  # noqa: F811
    preview = preview_csv(SIMS.encode(encoding), head, 100)
    assert preview.file_error is None and not preview.bad
    assert [row.name for row in preview.good] == ["Ana Silva", "Róisín O'Neill", "Imran Khan", "Mina Patel",
                                                  "Tom Brown"]
    assert _roles(preview) == {"ana.silva@hillside.example": Role.TEACHER, "roisin@hillside.example": Role.SUPPORT,
                               "imran@hillside.example": Role.LEAD, "mina@hillside.example": Role.LEAD,
                               "tom@hillside.example": Role.SUPPORT}


def test_first_and_last_name_email_address_and_staff_type_are_recognised(app, head):  # noqa: F811
    data = b"First Name,Last Name,Email Address,Staff Type\nBen,Okafor,ben@hillside.example,Teaching Assistant\n"
    preview = preview_csv(data, head, 100)
    assert [(row.name, row.email, row.role) for row in preview.good] == [
        ("Ben Okafor", "ben@hillside.example", Role.SUPPORT)]


def test_surname_comma_forename_names_are_turned_round(app, head):  # noqa: F811
    data = 'Name,Email,Role\n"Silva, Ana",ana@hillside.example,teacher\n'.encode()
    assert [row.name for row in preview_csv(data, head, 100).good] == ["Ana Silva"]


def test_the_schools_own_job_titles_come_first(app, signed_in, hillside, head):  # noqa: F811
    data = b"Forename,Surname,Work Email,Job Title\nAna,Silva,ana@hillside.example,Phase Lead\n" \
           b"Tom,Brown,tom@hillside.example,Class Teacher\n"
    assert preview_csv(data, head, 100, school_id=hillside.id).bad[0].errors[0].startswith("Unknown role")
    response = signed_in.post(f"/admin/schools/{hillside.id}/job-titles",
                              data={"titles": "Phase Lead = lead\nclass teacher = support staff\n"})
    assert response.status_code == 303
    assert signed_in.get(f"/admin/schools/{hillside.id}/job-titles").text.count("phase lead = lead") == 1
    preview = preview_csv(data, head, 100, school_id=hillside.id)
    assert _roles(preview) == {"ana@hillside.example": Role.LEAD, "tom@hillside.example": Role.SUPPORT}


def test_a_bad_job_titles_line_is_explained_and_nothing_is_saved(app, signed_in, hillside):  # noqa: F811
    response = signed_in.post(f"/admin/schools/{hillside.id}/job-titles",
                              data={"titles": "Phase Lead = lead\nCaretaker\n"})
    assert response.status_code == 422 and "Line 2" in text_of(response.text)
    assert "Caretaker" in response.text  # the input is kept
    assert db.session.scalar(db.select(JobTitleRole.id)) is None


def test_unknown_headers_lead_to_a_mapping_step_then_the_preview_then_the_import(app, signed_in, hillside):  # noqa: F811
    data = b"Staff Code,Known As,Surname Legal,Mail,Dept\nS1,Ana,Silva,ana@hillside.example,Maths\n" \
           b"S2,Tom,Brown,tom@hillside.example,English\n"
    page = upload(signed_in, hillside.id, data)
    assert page.status_code == 200 and "Which column is what?" in page.text
    assert "missing: email, role (or a role for everyone)" in text_of(page.text) or "missing:" in page.text
    token = re.search(r'name="token"[^>]*value="([^"]+)"', page.text).group(1)
    assert db.session.scalar(db.select(User.id).where(User.email == "ana@hillside.example")) is None
    incomplete = signed_in.post("/admin/staff/import/columns", data={
        "token": token, "school_id": str(hillside.id), "name": "1", "email": "", "role": "", "default_role": ""})
    assert incomplete.status_code == 422 and "Which column is what?" in incomplete.text
    preview = signed_in.post("/admin/staff/import/columns", data={
        "token": token, "school_id": str(hillside.id), "first": "1", "last": "2", "email": "3", "role": "",
        "default_role": "teacher"})
    assert preview.status_code == 200 and "2 rows are ready to import" in text_of(preview.text)
    assert "Ana Silva" in preview.text
    assert db.session.scalar(db.select(User.id).where(User.email == "ana@hillside.example")) is None
    assert confirm(signed_in, preview.text).status_code == 303
    ana = db.session.scalar(db.select(User).where(User.email == "ana@hillside.example"))
    assert ana.display_name == "Ana Silva" and ana.role is Role.TEACHER and ana.school_id == hillside.id
