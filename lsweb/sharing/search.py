"""Full-text search of the library: SQLite FTS5, PostgreSQL full-text search; same results shape.

SQLite: the FTS5 table `library_fts` (rowid = publication id) is made by migration 0009 and kept here
when a study is published or withdrawn. PostgreSQL: a stored generated column
publication.search_vector = to_tsvector('english', title || ' ' || search_text) with a GIN index, also
made by the migration (ranking reads the stored vectors instead of recomputing them). Neither is in the
models' metadata: `include_object` keeps them out of autogenerate and the schema comparison.

User queries are never passed through as query syntax: they are cut into words (at most MAX_TERMS),
each quoted for FTS5 (a prefix match on the last), or joined for plainto_tsquery on PostgreSQL.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape
from sqlalchemy import bindparam, literal_column, text

from ..extensions import db
from ..models import Publication

FTS_TABLE = "library_fts"
MAX_QUERY = 200
MAX_TERMS = 12
START, STOP = "\u27e6", "\u27e7"   # ⟦ ⟧ mark the matched words in snippets; stripped from the documents
_TERM = re.compile(r"\w+", re.UNICODE)
PG_VECTOR = "publication.search_vector"  # generated: to_tsvector('english', title || ' ' || search_text)
PG_ONLY_COLUMNS = {"search_vector"}
PASSAGE, PASSAGE_BEFORE = 1200, 200   # characters given to ts_headline, and how many before the first match


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """For Alembic: leave the search index (and FTS5's shadow tables) to migration 0009."""
    return not ((name or "").startswith(FTS_TABLE) or (type_ == "column" and name in PG_ONLY_COLUMNS))


def dialect() -> str:
    return db.engine.dialect.name


def document(content: dict) -> str:
    parts = [content.get("focus_sentence", ""), content.get("subject", ""), content.get("year_group", ""),
             content.get("focus", ""), content.get("approach", "")]
    parts += [f"{s['heading']}. {s['text']}" for s in content["sections"]]
    parts += [f"{p['label']}: {p['progress']}" for p in content["pupils"]]
    parts += [e["text"] for e in content["evidence"]]
    return "\n".join(p for p in parts if p).replace(START, "").replace(STOP, "")


def terms(query: str) -> list[str]:
    return _TERM.findall((query or "")[:MAX_QUERY])[:MAX_TERMS]


def fts5_query(words: list[str]) -> str:
    quoted = ['"' + w.replace('"', '""') + '"' for w in words]
    if quoted:
        quoted[-1] += "*"
    return " ".join(quoted)


def index(publication: Publication) -> None:
    if dialect() != "sqlite":
        return
    unindex(publication)
    db.session.execute(text(f"INSERT INTO {FTS_TABLE}(rowid, title, body) VALUES (:id, :title, :body)"),
                       {"id": publication.id, "title": publication.title, "body": publication.search_text})


def unindex(publication: Publication) -> None:
    if dialect() == "sqlite":
        db.session.execute(text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"), {"id": publication.id})


def matching(query, words: list[str]):
    """Narrow a select of Publication to the studies matching `words`, ordered best first."""
    if dialect() == "sqlite":
        fts = (db.select(literal_column("rowid").label("pid"),
                         literal_column("bm25(library_fts, 4.0, 1.0)").label("rank"))
               .select_from(text(FTS_TABLE))
               .where(literal_column(FTS_TABLE).op("MATCH")(bindparam("fts", fts5_query(words))))
               .subquery())
        return query.join(fts, fts.c.pid == Publication.id).order_by(fts.c.rank, Publication.id.desc())
    tsquery = db.func.plainto_tsquery("english", " ".join(words))
    vector = literal_column(PG_VECTOR)
    return (query.where(vector.op("@@")(tsquery))
            .order_by(db.func.ts_rank(vector, tsquery).desc(), Publication.id.desc()))


def snippets(ids: list[int], words: list[str]) -> dict[int, str]:
    """The matched passage of each of these (few) studies, marked with START and STOP: computed for the
    page shown only, as building snippets is the costly part of a search."""
    if not ids or not words:
        return {}
    if dialect() == "sqlite":
        rows = db.session.execute(text(
            f"SELECT rowid, snippet({FTS_TABLE}, 1, '{START}', '{STOP}', '…', 16) FROM {FTS_TABLE} "
            f"WHERE {FTS_TABLE} MATCH :fts AND rowid IN ({', '.join(str(int(i)) for i in ids)})"),
            {"fts": fts5_query(words)})
        return dict(rows.all())
    tsquery = db.func.plainto_tsquery("english", " ".join(words))
    headline = db.func.ts_headline("english", _passage(words), tsquery,
                                   f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=12")
    return dict(db.session.execute(db.select(Publication.id, headline).where(Publication.id.in_(ids))).all())


def _passage(words: list[str]):
    """PostgreSQL: the part of each text around the first word searched for (or its start), as ts_headline
    parses all it is given and the whole text of a study is thousands of characters. The word is found by
    its first letters (a rough stem: "fractions" finds "fraction" too)."""
    first = words[0].lower()
    probe = first[:max(4, len(first) - 2)]
    at = db.func.strpos(db.func.lower(Publication.search_text), probe)
    return db.func.substr(Publication.search_text, db.func.greatest(at - PASSAGE_BEFORE, 1), PASSAGE)


def highlight(snippet: str | None) -> Markup:
    """The snippet escaped, with the matched words in <mark>."""
    escaped = str(escape(snippet or ""))
    return Markup(escaped.replace(START, "<mark>").replace(STOP, "</mark>"))
