"""The summary's Markdown downloads (the group's draft, the published study, a booklet) show its text as the
pages do: escaped, so raw HTML and javascript: links typed into a box do not come alive in a viewer."""

from lsweb.sharing import summaries

from ..markdown_check import HOSTILE, alive
from ..sharing_setup import LEARNING, publish, written_summary


def test_summary_and_library_markdown_exports_carry_no_live_html(client, login, factories):
    team = written_summary(factories)
    summaries.save_field(team.lead, team.cycle, "learning", LEARNING + " " + HOSTILE)
    publication = publish(team)
    login(team.lead)
    draft = f"/groups/{team.group.id}/cycles/{team.cycle.number}/summary/export.md"
    for path in (draft, f"/library/studies/{publication.id}/export.md", f"/library/booklet.md?study={publication.id}"):
        markdown = client.get(path).text
        assert "bar models" in markdown and "alert(1)" in markdown, path
        assert alive(markdown) == [], (path, markdown)
