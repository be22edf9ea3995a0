"""The staff CSV is read as a stream with the row limit applied as it reads: a 15 MB file of blank lines
(15 million rows) is refused with a clear 422 message after the limit, costing about the file's size in
memory (it cost 1.15 GB when every row was read first); so is one endless line of commas. Lines ending
in \\r alone (old Mac Excel) still read. Memory is measured in a fresh Python process (Linux)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func

from lsweb.admin.staff_import import preview_csv
from lsweb.extensions import db
from lsweb.models import Role, User

REPO = Path(__file__).resolve().parents[2]
HEADER = b"name,email,role\n"
BLANK_LINES = HEADER + b"\n" * (15 * 1024 * 1024)


@pytest.fixture
def head(factories):
    return factories.user(factories.school("Hillside Primary"), Role.SCHOOL_ADMIN, email="head@hillside.example")


def test_a_file_of_blank_lines_is_refused_at_the_row_limit_with_a_clear_message(app, client, login, head):
    login(head)
    response = client.post("/admin/staff/import", content_type="multipart/form-data", data={
        "school_id": str(head.school_id), "file": (io.BytesIO(BLANK_LINES), "staff.csv")})
    assert response.status_code == 422
    message = re.search(r'id="file-error"[^>]*>(.*?)</', response.text, re.S).group(1).strip()
    assert message == ("The file has more than 20,000 rows; at most 20,000 can be imported at once. "
                       "Split it into smaller files.")
    assert db.session.scalar(db.select(func.count(User.id))) == 1
    assert not list((Path(app.instance_path) / "imports").glob("*.csv"))


def test_an_endless_line_is_refused(head):
    preview = preview_csv(HEADER + b"," * (8 * 1024 * 1024), head, 20000)
    assert preview.file_error == ("Line 2 of the file is longer than 20,000 characters: it is not a list of "
                                  "staff. Check that you chose the right file.")


def test_lines_ending_in_a_carriage_return_alone_still_read(head):
    preview = preview_csv(b"name,email,role\rAna Silva,ana@hillside.example,teacher\r\r"
                          b'"Ben\rJones",ben@hillside.example,teacher', head, 100)
    assert preview.file_error is None
    assert [(row.line, row.name, row.email) for row in preview.rows] == [
        (2, "Ana Silva", "ana@hillside.example"), (4, "Ben Jones", "ben@hillside.example")]


MEASURE = textwrap.dedent("""
    import json, sys
    from lsweb.admin.staff_import import preview_csv

    def status_mb(key):
        for line in open("/proc/self/status"):
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024

    data = open(sys.argv[1], "rb").read()
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")  # the peak starts again from the present size
    before = status_mb("VmRSS")
    preview = preview_csv(data, None, 20000)
    print(json.dumps({"grew_mb": status_mb("VmHWM") - before, "file_error": preview.file_error}))
""")


@pytest.mark.parametrize("data, refusal", [(BLANK_LINES, "more than 20,000 rows"),
                                           (HEADER + b"," * (15 * 1024 * 1024), "longer than 20,000 characters")])
def test_the_refusal_costs_about_the_files_size_in_memory(tmp_path, data, refusal):
    if not Path("/proc/self/clear_refs").exists():
        pytest.skip("measures the peak resident size through Linux's /proc")
    (tmp_path / "staff.csv").write_bytes(data)
    result = subprocess.run([sys.executable, "-c", MEASURE, str(tmp_path / "staff.csv")], capture_output=True,
                            text=True, cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
                            timeout=300)
    assert result.returncode == 0, result.stderr
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    assert measured["grew_mb"] < 50, measured  # the text (15 MB) and a little; not 1.15 GB of rows
    assert refusal in measured["file_error"]
