"""Two `lsweb serve` processes with Redis between them: an update sent to one reaches a page's live
stream on the other, and the second process's document has it (its cache is checked against the log).
Needs Redis (skipped when it does not answer, unless LSWEB_REQUIRE_REDIS=1)."""

from __future__ import annotations

import base64
import json
import queue
import threading

import pytest
from pycrdt import Doc, Map


from ..servers import redis_url, running_servers, server_environment  # noqa: F401  (redis_url: a fixture)
from .test_coedit_crash import _signed_in, _sync
from .test_crash_safety import _HX_TOKEN

pytestmark = pytest.mark.redis


def test_an_update_through_one_process_reaches_a_stream_on_the_other(database_url, redis_url, lesson_id,  # noqa: F811
                                                                       tmp_path):
    env = server_environment(database_url, redis_url)
    name = f"plan-{lesson_id}"
    with running_servers(2, env, tmp_path) as (server1, server2):
        watcher = _signed_in(server1, "teacher2@demo.local")
        watcher_page = watcher.get(f"{server1.url}/lessons/{lesson_id}", timeout=10).text
        watcher_headers = {"X-CSRFToken": _HX_TOKEN.search(watcher_page).group(1)}
        watched = Doc()
        _sync(watcher, server1, name, watched, watcher_headers)  # process 1 has the document cached
        stream = watcher.get(f"{server1.url}/live/lesson-{lesson_id}", stream=True, timeout=(5, 30))
        events: queue.Queue = queue.Queue()

        def read():
            event = None
            try:
                for line in stream.iter_lines(decode_unicode=True):
                    if line.startswith("event: "):
                        event = line.removeprefix("event: ")
                    elif line.startswith("data: ") and event:
                        events.put((event, line.removeprefix("data: ")))
            except Exception:  # noqa: BLE001  (closed at the end)
                pass

        threading.Thread(target=read, daemon=True).start()
        try:
            assert events.get(timeout=10)[0] == "resync"
            typist = _signed_in(server2, "teacher1@demo.local")
            page = typist.get(f"{server2.url}/lessons/{lesson_id}", timeout=10).text
            headers = {"X-CSRFToken": _HX_TOKEN.search(page).group(1)}
            doc = Doc()
            _sync(typist, server2, name, doc, headers)
            text = doc.get("texts", type=Map)["criteria"]
            before = doc.get_state()
            text.insert(0, "Typed on process 2. ")
            answer = typist.post(f"{server2.url}/coedit/{name}/update", headers=headers, timeout=10,
                                 json={"update": base64.b64encode(doc.get_update(before)).decode(),
                                       "client": doc.client_id})
            assert answer.status_code == 200
            while True:
                event, data = events.get(timeout=5)
                if event == "doc-update":
                    break
            message = json.loads(data)
            assert message["doc"] == name and message["client"] == doc.client_id
            watched.apply_update(base64.b64decode(message["update"]))
            assert str(watched.get("texts", type=Map)["criteria"]).startswith("Typed on process 2. ")
            again = Doc()
            _sync(watcher, server1, name, again, watcher_headers)  # process 1 read the log it did not write
            assert str(again.get("texts", type=Map)["criteria"]) == str(text)
        finally:
            stream.close()
