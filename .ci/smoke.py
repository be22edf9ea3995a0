"""CI smoke check of a running lsweb, as a person's browser meets it (standard library only).

    python3 .ci/smoke.py http://127.0.0.1:8000 [--cafile cert.pem] [--expect-secure]

Fetches the sign-in page, signs in as the demo admin, fetches a signed-in page and a static file
(200 each). With --expect-secure the session cookie must carry the Secure flag.
"""

from __future__ import annotations

import argparse
import http.cookiejar
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

    def post(self, path: str, fields: dict, timeout: float = 10):
        data = urllib.parse.urlencode(fields).encode()
        return self.opener.open(urllib.request.Request(self.base + path, data=data), timeout=timeout)

    def page(self, path: str) -> str:
        with self.get(path) as response:
            check(response.status == 200, f"GET {path}: {response.status}")
            return response.read().decode()

    def sign_in(self, email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD) -> str:
        form = self.page("/login")
        token = csrf_token(form)
        with self.post("/login", {"csrf_token": token, "email": email, "password": password}) as response:
            body = response.read().decode()
            check(response.status == 200 and "Sign out" in body,
                  f"sign-in as {email} did not land on a signed-in page ({response.status})")
            return body


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    check(match is not None, "no csrf_token field in the page")
    return match.group(1)


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--cafile")
    parser.add_argument("--expect-secure", action="store_true")
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


if __name__ == "__main__":
    main()
