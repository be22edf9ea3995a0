"""Co-editing letter by letter: one engine for the research-lesson plan and the cycle summary.

Each is one CRDT document (pycrdt on the server, Yjs in the browser). shape.py knows the document's
structure, store.py its update log, snapshots and cache, documents.py what ties it to the database
(access, first build, limits, the derived plain text), service.py the sync and update flow,
awareness.py presence and carets (memory or Redis, never the database), views.py the HTTP endpoints.
"""
