"""A corpus of XSS and htmx-injection payloads through posts and replies (and edits): nothing executable
or htmx-active survives in the board, the changes feed, the record or the history; user content sits
inside an element with (data-)hx-disable."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from lsweb.discussion import services

CORPUS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    '<div hx-get="/logout" hx-trigger="load">x</div>',
    '<div data-hx-post="/logout" data-hx-trigger="load">x</div>',
    '<form hx-post="/logout"><button>go</button></form>',
    '<iframe src="javascript:alert(1)"></iframe>',
    "<style>body{display:none}</style>",
    '"><script>alert(1)</script>',
    "'; alert(1); //",
    "![x](javascript:alert(1))",
    '<a href="https://ok.example" onclick="alert(1)" hx-get="/x">ok</a>',
    "<details open ontoggle=alert(1)>",
    "[x](https://ok.example \"onmouseover=alert(1)\")",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "`<script>alert(1)</script>`",
    "```\n<script>alert(1)</script>\n```",
]


class _Collector(HTMLParser):
    """Every element of the page (`all`) and those inside the user-content containers (`inside`)."""

    VOID = {"br", "hr", "input", "img", "meta", "link"}

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.stack: list[bool] = []
        self.all: list[tuple[str, dict]] = []
        self.inside: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.all.append((tag, attributes))
        opens = ("hx-disable" in attributes or "data-hx-disable" in attributes) and "prose" in (attributes.get("class") or "")
        if self.depth:
            self.inside.append((tag, attributes))
        if tag in self.VOID:
            return
        self.stack.append(opens)
        if opens or self.depth:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.VOID or not self.stack:
            return
        self.stack.pop()
        if self.depth:
            self.depth -= 1


ALLOWED_TAGS = {"p", "br", "a", "ul", "ol", "li", "em", "strong", "blockquote", "code", "pre", "hr", "del"}


def assert_nothing_alive(html: str) -> None:
    collector = _Collector()
    collector.feed(html)
    assert collector.inside or "prose" not in html
    for tag, attributes in collector.inside:
        assert tag in ALLOWED_TAGS, f"<{tag}> survived"
        for name, value in attributes.items():
            assert name in ("href", "rel"), f"attribute {name} survived on <{tag}>"
            if name == "href":
                assert re.match(r"(https?|mailto):", value or ""), f"href {value!r} survived"
    # Anywhere in the page: no handler, no script but our own files, no javascript: URL, no embedded
    # content, and no htmx attribute aimed at signing out (what the corpus tries).
    for tag, attributes in collector.all:
        assert tag not in ("iframe", "svg", "math", "style", "object", "embed", "img"), f"<{tag}> in the page"
        if tag == "script":
            assert (attributes.get("src") or "").startswith("/static/"), "an inline script in the page"
        for name, value in attributes.items():
            assert not name.startswith("on"), f"handler {name} in the page"
            assert not (value or "").strip().lower().startswith(("javascript:", "data:", "vbscript:")), value
            if name.startswith(("hx-", "data-hx-")):
                assert "/logout" not in (value or ""), f"{name}={value!r} in the page"


@pytest.mark.parametrize("payload", CORPUS)
def test_payloads_in_posts_replies_and_edits_stay_dead(client, login, board, payload):
    first = services.add_post(board.member, board.lesson, "patterns", payload, "tok-xss-post")[0]
    reply = services.add_post(board.lead, board.lesson, "patterns", payload, "tok-xss-reply", parent=first)[0]
    services.add_post(board.member, board.lesson, "next-time", payload, "tok-xss-step", mark="next_step")
    services.edit_post(board.lead, reply, payload + " (edited)")
    login(board.member)
    base = f"/lessons/{board.lesson.id}/board"
    for page in (base, f"{base}/changes?after=0", f"{base}/record", f"{base}/posts/{reply.id}/history"):
        response = client.get(page, headers={"HX-Request": "true"} if "changes" in page else {})
        assert response.status_code == 200, page
        assert_nothing_alive(response.text)
    assert all("<" not in step.text or "&lt;" not in step.text for step in services.next_steps_of(board.lesson))
