"""record.md carries the posts as the board shows them: raw HTML and javascript: links do not come alive
when the file is opened in a Markdown viewer."""

from lsweb.discussion import services

from ..markdown_check import HOSTILE, alive
from .test_board_views import url


def test_the_record_download_carries_no_live_html_or_script_links(client, login, board):
    services.add_post(board.member, board.lesson, "patterns", HOSTILE, "tok-md-00000001")
    login(board.member)
    markdown = client.get(url(board, "/record.md")).text
    assert "alert(1)" in markdown and "click me" in markdown        # the words are kept, as the page shows them
    assert "[fine](https://example.org/page)" in markdown             # safe links stay links
    assert alive(markdown) == []
