"""Exports of summaries (a published snapshot, or the group's current draft): Markdown, DOCX and PDF, one
study or a booklet of several. The printable handout and booklet are HTML pages with a print stylesheet
(templates/sharing/handout.html, static/css/print-sharing.css).

PDF: fpdf2, pure Python (no system libraries: WeasyPrint needs Pango and friends, which a school's
Windows or minimal Linux server often lacks). It uses DejaVu Sans when the server has it, else the
built-in Helvetica with the text reduced to Latin-1. See docs/sharing.md.
"""

from __future__ import annotations

import io
from pathlib import Path

from ..errors import DomainError
from ..markdown_export import escape
from .publishing import is_empty

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
             Path("C:/Windows/Fonts")]
FORMATS = {"md": "text/markdown; charset=utf-8",
           "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
           "pdf": "application/pdf"}


def _require_content(studies: list[dict]) -> None:
    if not studies or all(is_empty(s) for s in studies):
        raise DomainError("There is nothing to export yet: the summary is empty.")


def _blocks(study: dict):
    """The study as (kind, text) blocks: h1, meta, h2, h3, p, quote."""
    yield "h1", study["title"]
    meta = " · ".join(x for x in (study.get("school"), study.get("subject"), study.get("year_group")) if x)
    if meta:
        yield "meta", meta
    if study.get("focus_sentence"):
        yield "p", study["focus_sentence"]
    for section in study["sections"]:
        yield "h2", section["heading"]
        yield "p", section["text"].strip() or "(not written)"
    if study["pupils"]:
        yield "h2", "Each case pupil's progress across the lessons"
        for pupil in study["pupils"]:
            yield "h3", pupil["label"] + (f" ({pupil['represents']})" if pupil.get("represents") else "")
            yield "p", pupil["progress"].strip() or "(not written)"
    if study["evidence"]:
        yield "h2", "Key evidence"
        for item in study["evidence"]:
            yield "quote", f"{item['kind']}, RL{item['lesson']}: {item['text']}"


def markdown(studies: list[dict]) -> str:
    _require_content(studies)
    out = []
    for study in studies:
        for kind, text in _blocks(study):
            prefix = {"h1": "# ", "h2": "## ", "h3": "### ", "meta": "_", "quote": "> "}.get(kind, "")
            body = escape(text)   # the pages show these texts escaped: so does the file
            body = body.replace("\n", "\n> ") if kind == "quote" else body
            out.append(prefix + body + ("_" if kind == "meta" else ""))
            out.append("")
    return "\n".join(out).rstrip() + "\n"


LANGUAGE = "en-GB"


def _document_title(studies: list[dict]) -> str:
    return studies[0]["title"] if len(studies) == 1 else f"Lesson Study booklet: {len(studies)} studies"


def _document_author(studies: list[dict]) -> str:
    schools = sorted({s.get("school") for s in studies if s.get("school")})
    return ", ".join(schools) or "lsweb"


def _a4_en_gb(document) -> None:
    """A4 with 2 cm margins, and British English for spelling and hyphenation (python-docx's template
    is US Letter in en-US)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm

    for section in document.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = Mm(20)
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), LANGUAGE)


def docx(studies: list[dict]) -> bytes:
    _require_content(studies)
    from docx import Document

    document = Document()
    _a4_en_gb(document)
    properties = document.core_properties
    properties.title = _document_title(studies)
    properties.author = properties.last_modified_by = _document_author(studies)
    properties.subject = "Lesson Study"
    properties.language = LANGUAGE
    properties.comments = ""
    for number, study in enumerate(studies):
        if number:
            document.add_page_break()
        for kind, text in _blocks(study):
            if kind in ("h1", "h2", "h3"):
                document.add_heading(text, level=int(kind[1]))
            elif kind == "quote":
                document.add_paragraph(text, style="Intense Quote")
            elif kind == "meta":
                document.add_paragraph().add_run(text).italic = True
            else:
                for line in text.split("\n\n"):
                    document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _font(pdf) -> tuple[str, bool]:
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdf.add_font("DejaVu", "", str(regular))
            pdf.add_font("DejaVu", "B", str(bold))
            return "DejaVu", True
    return "Helvetica", False


def _latin1(text: str) -> str:
    table = {"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "…": "...", "·": "-"}
    return "".join(table.get(c, c) for c in text).encode("latin-1", "replace").decode("latin-1")


def pdf(studies: list[dict]) -> bytes:
    _require_content(studies)
    from fpdf import FPDF

    document = FPDF(format="A4")
    document.set_title(_document_title(studies))
    document.set_author(_document_author(studies))
    document.set_subject("Lesson Study")
    document.set_creator("lsweb")
    document.set_lang(LANGUAGE)
    document.set_auto_page_break(True, margin=15)
    document.set_margins(18, 18, 18)
    family, unicode_ok = _font(document)
    clean = (lambda t: t) if unicode_ok else _latin1
    sizes = {"h1": 18, "h2": 14, "h3": 12, "meta": 10, "p": 11, "quote": 10}
    for study in studies:
        document.add_page()
        for kind, text in _blocks(study):
            bold = kind in ("h1", "h2", "h3")
            document.set_font(family, "B" if bold else "", sizes[kind])
            if kind in ("h2", "h3"):
                document.ln(3)
            indent = 8 if kind == "quote" else 0
            document.set_x(document.l_margin + indent)
            document.multi_cell(document.epw - indent, sizes[kind] * 0.5, clean(text),
                                new_x="LMARGIN", new_y="NEXT")
            document.ln(1)
    return bytes(document.output())


def render(fmt: str, studies: list[dict]) -> bytes:
    if fmt == "md":
        return markdown(studies).encode("utf-8")
    if fmt == "docx":
        return docx(studies)
    if fmt == "pdf":
        return pdf(studies)
    raise DomainError("Unknown format.")
