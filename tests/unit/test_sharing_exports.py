"""Exports: DOCX parsed back, the PDF's pages counted, the Markdown's sections; empty summaries refused."""

import io

import pytest
from docx import Document
from pypdf import PdfReader

from lsweb.errors import DomainError
from lsweb.sharing import exports, publishing

from ..plans import planning_team
from ..sharing_setup import CHANGES, LEARNING, TEACHING, written_summary


@pytest.fixture
def study(factories):
    return publishing.snapshot(written_summary(factories).cycle)


def test_markdown_has_every_section(study):
    text = exports.markdown([study])
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings[0] == f"# {study['title']}"
    assert "## What we learned about these pupils' learning" in headings
    assert "## What we learned about teaching it" in headings
    assert "## What we will change" in headings
    assert "## Each case pupil's progress across the lessons" in headings
    assert "### Pupil A" in headings
    assert LEARNING in text and CHANGES in text


def test_docx_parses_back(study):
    document = Document(io.BytesIO(exports.docx([study, study])))
    paragraphs = [p.text for p in document.paragraphs]
    assert study["title"] in paragraphs and TEACHING in paragraphs
    assert sum(1 for p in document.paragraphs if p.style.name == "Heading 1") == 2


def test_pdf_has_one_page_per_study(study):
    one = PdfReader(io.BytesIO(exports.pdf([study])))
    assert len(one.pages) == 1
    assert "bar models" in one.pages[0].extract_text()
    booklet = PdfReader(io.BytesIO(exports.pdf([study, study, study])))
    assert len(booklet.pages) == 3


def test_empty_summaries_are_not_exported(factories):
    empty = publishing.snapshot(planning_team(factories).cycle)
    for fmt in exports.FORMATS:
        with pytest.raises(DomainError, match="empty"):
            exports.render(fmt, [empty])
    with pytest.raises(DomainError):
        exports.render("pdf", [])
