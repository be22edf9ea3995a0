"""CI smoke check of a running lsweb, as a person's browser meets it (standard library only).

    python3 .ci/smoke.py http://127.0.0.1:8000 [--cafile cert.pem] [--expect-secure] [--live LESSON_ID]

Fetches the sign-in page, signs in as the demo admin, fetches a signed-in page and a static file
(200 each). With --expect-secure the session cookie must carry the Secure flag. With --live, a demo
teacher opens the lesson's discussion board and its event stream, a second session of hers posts
through the board's form, and the stream must bring the update within 1 s.
"""

from __future__ import annotations

import argparse
import html.parser
import http.cookiejar
import threading
import re
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

DEMO_EMAIL = "admin@demo.local"
DEMO_PASSWORD = "lessonstudy"


class Browser:
    def __init__(self, base: str, cafile: str | None = None):
        self.base = base.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        handlers: list = [urllib.request.HTTPCookieProcessor(self.jar)]
        if cafile:
            handlers.append(urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=cafile)))
        self.opener = urllib.request.build_opener(*handlers)

    def get(self, path: str, timeout: float = 10):
        return self.opener.open(self.base + path, timeout=timeout)

    def post(self, path: str, fields: dict, page: str = "/", timeout: float = 10):
        """Send a form as a browser does, with the page it was on as Referer and the site as Origin."""
        data = urllib.parse.urlencode(fields).encode()
        headers = {"Referer": self.base + page, "Origin": self.base}
        return self.opener.open(urllib.request.Request(self.base + path, data=data, headers=headers), timeout=timeout)

    def page(self, path: str) -> str:
        with self.get(path) as response:
            check(response.status == 200, f"GET {path}: {response.status}")
            return response.read().decode()

    def sign_in(self, email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD) -> str:
        form = self.page("/login")
        token = csrf_token(form)
        with self.post("/login", {"csrf_token": token, "email": email, "password": password},
                       page="/login") as response:
            body = response.read().decode()
            check(response.status == 200 and "Sign out" in body,
                  f"sign-in as {email} did not land on a signed-in page ({response.status})")
            return body


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    check(match is not None, "no csrf_token field in the page")
    return match.group(1)


class Forms(html.parser.HTMLParser):
    """Every <form> of a page: its action and the values a browser would send (hidden and named fields)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"action": attrs.get("action") or "", "method": (attrs.get("method") or "get").lower(),
                          "fields": {}}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select") and attrs.get("name"):
            if attrs.get("type") not in ("checkbox", "radio", "submit") or "checked" in attrs:
                self._form["fields"].setdefault(attrs["name"], attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def forms_of(page: str) -> list[dict]:
    parser = Forms()
    parser.feed(page)
    return parser.forms


def check(condition: bool, message: str) -> None:
    if not condition:
        print(f"smoke: FAILED: {message}", file=sys.stderr)
        sys.exit(1)


def wait_until_up(base: str, cafile: str | None, seconds: float = 30) -> None:
    browser = Browser(base, cafile)
    deadline = time.monotonic() + seconds
    while True:
        try:
            browser.get("/login", timeout=2).close()
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            if time.monotonic() > deadline:
                check(False, f"{base} did not answer within {seconds:.0f} s")
            time.sleep(0.3)


def live_update_through(base: str, cafile: str | None, lesson_id: int) -> float:
    """Seconds from posting on the board to the event arriving on another session's open stream."""
    email = "teacher1@demo.local"
    watcher, poster = Browser(base, cafile), Browser(base, cafile)
    watcher.sign_in(email)
    poster.sign_in(email)
    board_path = f"/lessons/{lesson_id}/board"
    board = watcher.page(board_path)
    stream = re.search(r'sse-connect="([^"]+)"', board)
    check(stream is not None, f"no live stream on {board_path}")
    response = watcher.get(html_unescape(stream.group(1)), timeout=15)
    check(response.status == 200 and response.headers.get_content_type() == "text/event-stream",
          f"the stream answered {response.status} {response.headers.get('Content-Type')}")
    response.readline()  # the first comment arrives at once (nothing buffers it)
    events: list[tuple[float, str]] = []
    armed = threading.Event()  # set once the post is on its way: earlier events (a resync) do not count

    def read():
        for raw in response:
            line = raw.decode().strip()
            if line.startswith("event:") and armed.is_set():
                events.append((time.monotonic(), line))
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    page = poster.page(board_path)
    form = next((f for f in forms_of(page) if f["method"] == "post" and f["action"].endswith("/board/posts")), None)
    check(form is not None, "no post form on the board")
    fields = dict(form["fields"], body="Posted through nginx by the CI smoke check.")
    sent = time.monotonic()
    armed.set()
    with poster.post(html_unescape(form["action"]), fields, page=board_path) as answer:
        check(answer.status == 200, f"posting on the board answered {answer.status}")
    reader.join(timeout=5)
    check(bool(events), "no live event arrived within 5 s of the post")
    response.close()
    print(f"smoke: live event after the post: {events[0][1]}")
    return events[0][0] - sent


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--cafile")
    parser.add_argument("--expect-secure", action="store_true")
    parser.add_argument("--live", type=int, metavar="LESSON_ID")
    args = parser.parse_args()
    wait_until_up(args.base, args.cafile)
    browser = Browser(args.base, args.cafile)
    browser.page("/login")
    print("smoke: sign-in page 200")
    browser.sign_in()
    home = browser.page("/")
    check("Sign out" in home, "the home page is not signed in")
    print("smoke: signed-in page 200")
    if args.expect_secure:
        cookies = {cookie.name: cookie for cookie in browser.jar}
        check("lsweb_session" in cookies and cookies["lsweb_session"].secure, "the session cookie is not Secure")
        print("smoke: session cookie is Secure")
    css = re.search(r'href="(/static/[^"]+\.css)"', home)
    check(css is not None, "no stylesheet linked from the home page")
    with browser.get(css.group(1)) as response:
        check(response.status == 200 and len(response.read()) > 100, f"GET {css.group(1)}: {response.status}")
    print(f"smoke: static file {css.group(1)} 200")
    if args.live:
        delay = live_update_through(args.base, args.cafile, args.live)
        check(delay < 1.0, f"the live update took {delay:.2f} s (more than 1 s)")
        print(f"smoke: form posted; live update arrived through the stream in {delay * 1000:.0f} ms")


if __name__ == "__main__":
    main()
