"""Browser tests: the real app served over HTTP on 127.0.0.1, driven by Debian's Chromium through
Playwright (sync API), with axe-core checking accessibility.

- `live_server`: the app (CSRF on, as in production) on this test's database, in a background thread.
  It can be stopped and started again on the same port and database (`live_server.restart()`), to
  test what a page does when the server goes away and comes back.
- `browser`: one Chromium for the session. Missing or unlaunchable Chromium skips the browser tests,
  unless LSWEB_REQUIRE_BROWSER=1 (CI), which fails them. LSWEB_CHROMIUM names another binary.
- `new_context(**options)` / `new_page(**options)`: a fresh context (own cookies) whose base_url is
  the live server; closed after the test. A page fails the test on uncaught JavaScript errors and on
  Content-Security-Policy violations.
- `assert_no_axe_violations(page)`: axe-core over the page as it is now, with a readable report.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from lsweb.extensions import db

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEFAULT_TIMEOUT_MS = 10_000
HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Every test under tests/browser carries the `browser` marker (so `-m "not browser"` works)."""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


# --- the live server -------------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request (errors are still logged)."""

    def log_request(self, *args, **kwargs):
        pass


class LiveServer:
    """The app served by werkzeug in a background thread; stop() and start() keep port and database.

    Every start() builds a fresh app with `app_factory` (as a restarted process would: nothing kept in
    memory); `app` is the one currently serving. stop() also cuts the connections still open (keep-alive
    and streaming responses), as a killed process would.
    """

    def __init__(self, app_factory, host: str = "127.0.0.1", port: int = 0):
        self.app_factory = app_factory
        self.host = host
        self.port = port
        self.app = None
        self.errors: list[str] = []
        self._server = None
        self._thread = None
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> "LiveServer":
        if self.running:
            raise RuntimeError("the live server is already running")
        self.app = self.app_factory()
        server = make_server(self.host, self.port, self._record_errors(self.app.wsgi_app),
                             threaded=True, request_handler=_QuietHandler)
        self.port = server.server_port  # the free port picked on the first start, kept afterwards

        process_request, shutdown_request = server.process_request, server.shutdown_request

        def _process_request(request, client_address):
            with self._lock:
                self._connections.add(request)
            process_request(request, client_address)

        def _shutdown_request(request):
            with self._lock:
                self._connections.discard(request)
            shutdown_request(request)

        server.process_request = _process_request
        server.shutdown_request = _shutdown_request
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"lsweb-live-server-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if not self.running:
            return
        server, self._server = self._server, None
        server.shutdown()
        server.server_close()
        with self._lock:
            connections, self._connections = list(self._connections), set()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(timeout=5)
        self._thread = None
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()

    def restart(self) -> "LiveServer":
        self.stop()
        return self.start()

    def _record_errors(self, wsgi_app):
        """Unhandled exceptions (TESTING propagates them) are kept so the test can fail on them."""

        def app(environ, start_response):
            try:
                return wsgi_app(environ, start_response)
            except Exception as error:
                self.errors.append(f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}: "
                                   f"{type(error).__name__}: {error}")
                raise

        return app


@pytest.fixture
def live_server(make_app):
    """The app with CSRF protection on, served on 127.0.0.1 at a free port, on this test's database."""
    server = LiveServer(lambda: make_app(WTF_CSRF_ENABLED=True)).start()
    yield server
    server.stop()
    if server.errors:
        pytest.fail("the live server raised:\n" + "\n".join(server.errors), pytrace=False)


# --- the browser -----------------------------------------------------------------------------------


def _browser_unavailable(reason: str):
    if os.environ.get("LSWEB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (LSWEB_REQUIRE_BROWSER=1 requires the browser tests)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    executable = os.environ.get("LSWEB_CHROMIUM") or "/usr/bin/chromium"
    if not os.access(executable, os.X_OK):
        _browser_unavailable(f"no Chromium at {executable} (set LSWEB_CHROMIUM to use another)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        _browser_unavailable(f"Playwright is not installed ({error})")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
    except Exception as error:  # noqa: BLE001  (whatever stops the launch, the answer is the same)
        playwright.stop()
        _browser_unavailable(f"Playwright could not launch {executable}: {error}")
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def watched_contexts(browser):
    """Make browser contexts (own cookies and storage) that fail the test on a Content-Security-Policy
    violation or a JavaScript error; closed afterwards. Pass base_url to aim one at a server."""
    contexts = []
    problems: list[str] = []

    def _watch(page):
        def on_console(message):
            if message.type == "error" and "Content Security Policy" in message.text:
                problems.append(f"CSP violation on {page.url}: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(f"JavaScript error on {page.url}: {error}"))

    def _new(**options):
        options.setdefault("locale", "en-GB")
        context = browser.new_context(**options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        context.on("page", _watch)
        contexts.append(context)
        return context

    yield _new
    for context in contexts:
        context.close()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def new_context(watched_contexts, live_server):
    """A watched browser context aimed at the live server."""

    def _new(**options):
        options.setdefault("base_url", live_server.url)
        return watched_contexts(**options)

    return _new


@pytest.fixture
def new_page(new_context):
    """Make a page in a fresh context: new_page(viewport={...}, java_script_enabled=False, ...)."""

    def _new(**options):
        return new_context(**options).new_page()

    return _new


@pytest.fixture
def page(new_page):
    return new_page()


# --- signing in ------------------------------------------------------------------------------------


def sign_in(context, email: str, password: str | None = None):
    """A new page of `context`, signed in through the form (the demo's password unless given)."""
    import re

    from lsweb.demo import DEMO_PASSWORD

    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password or DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))
    return page


# --- accessibility ---------------------------------------------------------------------------------

_AXE = None


def _format_violations(violations: list[dict]) -> str:
    lines = [f"axe-core found {len(violations)} accessibility violation(s):"]
    for violation in violations:
        lines.append(f"\n- {violation['id']} ({violation.get('impact')}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"  * {', '.join(str(t) for t in node['target'])}")
            lines.append(f"    {node.get('html', '').strip()[:300]}")
            summary = node.get("failureSummary") or ""
            for text in summary.splitlines():
                if text.strip():
                    lines.append(f"      {text.strip()}")
    return "\n".join(lines)


def assert_no_axe_violations(page, context=None, options=None) -> None:
    """Run axe-core (WCAG 2.x A and AA rules and best practices) on the page; fail with a report."""
    global _AXE
    from axe_playwright_python.sync_playwright import Axe

    if _AXE is None:
        _AXE = Axe()
    options = options or {"resultTypes": ["violations"]}
    results = _AXE.run(page, context=context, options=options)
    violations = results.response["violations"]
    assert not violations, f"{page.url}\n" + _format_violations(violations)


def fractions_lesson_id(number: int) -> int:
    """The id of RL`number` of the demo's "Year 4 fractions" (first cycle); call in an app context
    after seed_demo."""
    from lsweb.models import Cycle, ResearchLesson, StudyGroup

    group = db.session.scalar(db.select(StudyGroup).where(StudyGroup.name == "Year 4 fractions"))
    cycle = db.session.scalar(db.select(Cycle).where(Cycle.group_id == group.id))
    return db.session.scalar(db.select(ResearchLesson.id).where(ResearchLesson.cycle_id == cycle.id,
                                                                ResearchLesson.number == number))


def discussing_demo_lesson(server) -> int:
    """The demo network in `server`'s database, with RL1 of "Year 4 fractions" (which has a discussion,
    see seed_discussion) in a cycle at "discussing": its id."""
    from lsweb.demo import seed_demo
    from lsweb.models import CycleStatus, ResearchLesson

    with server.app.app_context():
        seed_demo()
        lesson_id = fractions_lesson_id(1)
        db.session.get(ResearchLesson, lesson_id).cycle.status = CycleStatus.DISCUSSING
        db.session.commit()
        db.session.remove()
    return lesson_id
