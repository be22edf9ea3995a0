"""What a Markdown viewer that allows raw HTML (as most do) makes of a downloaded file."""

from html.parser import HTMLParser

from markdown_it import MarkdownIt

HOSTILE = ("Look <script>alert(1)</script> <img src=x onerror=alert(2)> "
           "[click me](javascript:alert(3)) <a href=\"javascript:alert(4)\">here</a> "
           "<iframe src=\"https://evil.example\"></iframe> [fine](https://example.org/page)")

_VIEWER = MarkdownIt("commonmark", {"html": True})
_DANGEROUS = {"script", "img", "iframe", "object", "embed", "svg", "style", "link", "meta", "form", "base"}


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _DANGEROUS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            if name in ("href", "src") and not (value or "").lower().startswith(("http:", "https:", "mailto:")):
                self.found.append(f"{tag} {name}={value}")


def alive(markdown: str) -> list[str]:
    """Markup that would run or load something when the file is opened in a Markdown viewer."""
    tags = _Tags()
    tags.feed(_VIEWER.render(markdown))
    return tags.found
