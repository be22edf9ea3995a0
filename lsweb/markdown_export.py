"""Markdown downloads carry the text the pages show, never more: what a page escapes is escaped for Markdown
(so a Markdown viewer shows it literally, raw HTML and links included), and a post, which the page shows as
sanitised HTML (discussion/text.py), is written back from that sanitised HTML: no raw HTML, no image, no
link but http, https and mailto survives into the file."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# CommonMark's backslash escapes: every ASCII punctuation character may be escaped. These are the ones that
# start markup (HTML, links, images, emphasis, code, entities).
_SPECIAL = re.compile(r"([\\`*_\[\]<>&!~|])")
_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)])", re.MULTILINE)
SAFE_SCHEMES = ("http://", "https://", "mailto:")


def escape(text: str) -> str:
    """Plain text (shown escaped on the page) as Markdown that shows exactly that text."""
    text = _SPECIAL.sub(r"\\\1", text or "")
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2) if m.group(2)[0] in "#>+=-"
                           else m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], text)


class _ToMarkdown(HTMLParser):
    """The small allow-list of discussion/text.py (p, br, a, ul, ol, li, em, strong, blockquote, code, pre,
    hr, del) back to Markdown; any other tag is dropped and its text kept (escaped)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line = ""
        self.lists: list[list] = []     # [kind, counter]
        self.quote = 0
        self.pre = False
        self.href: list[str | None] = []

    def _prefix(self) -> str:
        return "> " * self.quote + "   " * len(self.lists)

    def _end_line(self, blank: bool = False) -> None:
        if self.line.strip(" >"):
            self.lines.append(self.line.rstrip())
        if blank and self.lines and self.lines[-1].strip(" >"):
            self.lines.append(("> " * self.quote).rstrip())
        self.line = ""

    def _write(self, text: str) -> None:
        if not self.line:
            self.line = self._prefix()
        self.line += text

    def handle_starttag(self, tag, attrs):
        if tag in ("p", "blockquote", "pre", "hr", "ul", "ol"):
            self._end_line(blank=not (tag in ("ul", "ol") and self.lists))
        if tag == "blockquote":
            self.quote += 1
        elif tag in ("ul", "ol"):
            self.lists.append([tag, 0])
        elif tag == "li":
            self._end_line()
            kind = self.lists[-1] if self.lists else ["ul", 0]
            kind[1] += 1
            self.line = "> " * self.quote + "   " * (len(self.lists) - 1)
            self.line += "- " if kind[0] == "ul" else f"{kind[1]}. "
        elif tag in ("em", "strong", "del"):
            self._write({"em": "*", "strong": "**", "del": "~~"}[tag])
        elif tag == "code" and not self.pre:
            self._write("`")
        elif tag == "pre":
            self.pre = True
            self._write("```")
            self._end_line()
        elif tag == "br":
            self._write("\\")
            self._end_line()
        elif tag == "hr":
            self._write("---")
            self._end_line(blank=True)
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            safe = href.lower().startswith(SAFE_SCHEMES) and not re.search(r"[\s<>()]", href)
            self.href.append(href if safe else None)
            if safe:
                self._write("[")

    def handle_endtag(self, tag):
        if tag in ("em", "strong", "del"):
            self._write({"em": "*", "strong": "**", "del": "~~"}[tag])
        elif tag == "code" and not self.pre:
            self._write("`")
        elif tag == "pre":
            self.pre = False
            self._end_line()
            self._write("```")
            self._end_line(blank=True)
        elif tag == "a" and self.href:
            href = self.href.pop()
            if href:
                self._write(f"]({href})")
        elif tag == "blockquote":
            self._end_line()
            self.quote = max(0, self.quote - 1)
            if self.lines and not self.lines[-1].strip(" >"):
                self.lines[-1] = ("> " * self.quote).rstrip()
            self._end_line(blank=True)
        elif tag in ("ul", "ol"):
            self._end_line()
            if self.lists:
                self.lists.pop()
            if not self.lists:
                self._end_line(blank=True)
        elif tag in ("p", "li"):
            self._end_line(blank=tag == "p")

    def handle_data(self, data):
        if self.pre:
            for i, part in enumerate(data.replace("```", "`\u200b``").split("\n")):
                if i:
                    self._end_line()
                if part:
                    self._write(part)
        elif data.strip() or self.line.strip(" >"):
            self._write(escape(" ".join(data.split("\n"))))


def from_safe_html(html: str) -> str:
    """Sanitised HTML (the allow-list above) as Markdown."""
    parser = _ToMarkdown()
    parser.feed(html)
    parser.close()
    parser._end_line()
    while parser.lines and not parser.lines[-1].strip(" >"):
        parser.lines.pop()
    return "\n".join(parser.lines)
