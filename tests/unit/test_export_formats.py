"""Exports that open right: the cover CSV with a UTF-8 byte-order mark (and formulas still defused),
the DOCX on A4 in British English with the study's title and school as its properties, the PDF with
title, author and language."""

from __future__ import annotations

import csv
import io

import pytest
from docx import Document
from pypdf import PdfReader

from lsweb.extensions import db
from lsweb.lessonday import cover
from lsweb.sharing import exports, publishing

from ..lessonday_setup import lesson_day
from ..sharing_setup import written_summary


def test_the_cover_csv_opens_with_accents_in_a_spreadsheet(factories):
    day = lesson_day(factories)
    day.observer.display_name = "Siân Ó Dálaigh"
    db.session.commit()
    cover.add_cover(day.observer, day.lesson, day.observer.id, "=SUM(A1)", "Worksheets")
    data = cover.cover_csv(day.lesson).encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0] == "Date"
    assert rows[1][4] == "Siân Ó Dálaigh" and rows[1][5] == "'=SUM(A1)"


def test_the_cover_csv_download_carries_the_mark(client, login, factories):
    day = lesson_day(factories)
    login(day.observer)
    response = client.get(f"/lessons/{day.lesson.id}/cover.csv")
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")


@pytest.fixture
def study(factories):
    return publishing.snapshot(written_summary(factories).cycle)


def test_the_docx_is_a4_in_british_english_with_title_and_school(study):
    document = Document(io.BytesIO(exports.docx([study])))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert document.core_properties.title == study["title"]
    assert document.core_properties.author == study["school"]
    assert document.core_properties.language == "en-GB"
    assert "python-docx" not in (document.core_properties.author + document.core_properties.comments)
    lang = document.styles.element.xpath("//w:docDefaults//w:lang/@w:val")
    assert lang == ["en-GB"]


def test_the_pdf_has_title_author_and_language(study):
    data = exports.pdf([study])
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata.title == study["title"]
    assert reader.metadata.author == study["school"]
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
