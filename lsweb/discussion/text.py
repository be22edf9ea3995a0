"""Posts are Markdown: rendered with raw HTML off, then sanitised with nh3 to a small allow-list
(paragraphs, links, lists, emphasis, quotes, code). No images, no attributes but a link's href, no
scripts, no event handlers, no htmx attributes; links only to http, https and mailto."""

from __future__ import annotations

import html

import nh3
from markdown_it import MarkdownIt

from ..markdown_export import from_safe_html

TAGS = {"p", "br", "a", "ul", "ol", "li", "em", "strong", "blockquote", "code", "pre", "hr", "del"}
ATTRIBUTES = {"a": {"href"}, "*": set()}  # "*": no attribute on any tag (not even title or lang)
URL_SCHEMES = {"http", "https", "mailto"}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable(
    ["image", "heading", "lheading", "html_block", "html_inline"])


def to_html(text: str) -> str:
    """Safe HTML for a post's Markdown text."""
    return nh3.clean(_markdown.render(text), tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="noopener noreferrer nofollow", strip_comments=True)


def to_plain(text: str) -> str:
    """The post as plain text on one line (for next steps and announcements)."""
    bare = nh3.clean(_markdown.render(text), tags=set(), attributes={})
    return " ".join(html.unescape(bare).split())


def to_markdown(text: str) -> str:
    """The post as the page shows it, written as Markdown (for record.md): no raw HTML, no unsafe link."""
    return from_safe_html(to_html(text))
