"""The library's search: filters, full-text ranking with snippets (SQLite FTS5 or PostgreSQL), and
hostile queries handled without an error."""

import pytest

from lsweb.extensions import db
from lsweb.models import GroupLink
from lsweb.sharing import library, summaries

from ..sharing_setup import other_school_teacher, publish, written_summary


@pytest.fixture
def three_studies(factories):
    maths = written_summary(factories)
    publish(maths)
    reading = written_summary(factories, subject="English", year_group="Year 8")
    summaries.save_field(reading.lead, reading.cycle, "learning",
                         "Reading aloud in pairs helped pupils infer meaning; inference grew with reading aloud.")
    publish(reading)
    science = written_summary(factories, subject="Science", year_group="Reception")
    summaries.save_field(science.lead, science.cycle, "changes", "We will try reading aloud once.")
    publish(science)
    return maths, reading, science


def titles(results):
    return [p.group.name for p, _ in results.rows]


def test_filters(factories, three_studies):
    maths = three_studies[0]
    reader = other_school_teacher(factories)
    assert library.browse(reader).total == 3
    assert [p.id for p, _ in library.browse(reader, filters={"subject": "English"}).rows] == \
        [library.browse(reader, filters={"phase": "secondary"}).rows[0][0].id]
    assert library.browse(reader, filters={"phase": "early_years"}).rows[0][0].subject == "Science"
    assert library.browse(reader, filters={"school": str(maths.school.id)}).total == 1
    assert library.browse(reader, filters={"approach": "bar"}).total == 3
    assert library.browse(reader, filters={"focus": "100%_"}).total == 0
    year = library.browse(reader).rows[0][0].school_year
    assert library.browse(reader, filters={"year": year}).total == 3


def test_full_text_ranks_the_better_match_first_with_highlighted_snippets(factories, three_studies):
    results = library.browse(other_school_teacher(factories), "reading aloud")
    assert results.total == 2
    first, snippet = results.rows[0]
    assert first.subject == "English"
    assert "<mark>" in str(snippet)
    assert library.browse(other_school_teacher(factories), "reading", {"subject": "Science"}).total == 1


@pytest.mark.parametrize("query", ['"', "NEAR(a b", "a AND OR NOT", "*", "'); DROP TABLE publication; --",
                                   "x" * 2000, "ä ö ü ß 分数 🙂", "title:bar", "-bar ^model", "bar" + " (" * 900])
def test_odd_queries_are_handled(factories, three_studies, query):
    results = library.browse(other_school_teacher(factories), query)
    assert results.total >= 0


def test_builds_on_links_show_both_ways(factories, three_studies):
    maths, reading, _ = three_studies
    db.session.add(GroupLink(group_id=reading.group.id, builds_on_id=maths.group.id))
    db.session.commit()
    reader = other_school_teacher(factories)
    reading_pub = library.browse(reader, filters={"subject": "English"}).rows[0][0]
    maths_pub = library.browse(reader, filters={"subject": "Mathematics"}).rows[0][0]

    def shown(links):  # what the study page lists: each linked study's title, linking to it
        return tuple([(p.id, p.title) for p in side] for side in links)
    assert shown(library.links(reader, reading_pub)) == ([(maths_pub.id, maths_pub.title)], [])
    assert shown(library.links(reader, maths_pub)) == ([], [(reading_pub.id, reading_pub.title)])


def test_snippet_shows_a_match_deep_in_a_long_study(factories, three_studies):
    history = written_summary(factories, subject="History", year_group="Year 5")
    filler = "pupils worked in pairs on the sources and talked about them. " * 60   # about 3,700 characters
    summaries.save_field(history.lead, history.cycle, "learning",
                         filler + "In the end chronology cards made the order clear.")
    publish(history)
    results = library.browse(other_school_teacher(factories), "chronology cards")
    assert results.total == 1
    assert "<mark>chronology</mark>" in str(results.rows[0][1])
