"""A real OpenID Connect provider for the tests: panva's oidc-provider under Node (tools/oidc/server.mjs),
on a free port of 127.0.0.1, with one confidential client and the accounts a test gives; stopped at the
end. Skipped when Node or tools/oidc/node_modules is missing (`cd tools/oidc && npm ci`), unless
LSWEB_REQUIRE_OIDC=1 (CI installs it), which fails instead."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from .processes import stop_group
from .servers import free_port

TOOL = Path(__file__).resolve().parent.parent / "tools" / "oidc"
CLIENT_ID = "lsweb-test-client"
CLIENT_SECRET = "a client secret only the tests know"
# another application of the school registered with the same provider (its ID tokens are not lsweb's)
OTHER_CLIENT_ID, OTHER_CLIENT_SECRET = "the-schools-other-app", "the-other-apps-secret"
START_SECONDS = 60  # (node loads oidc-provider in a few seconds; on a loaded machine it took over 20)


class OidcProvider:
    def __init__(self, folder: Path, redirect_uri: str, accounts: list[dict]):
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / f"oidc-provider-{self.port}.log"
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [shutil.which("node") or "node", str(TOOL / "server.mjs"), "--port", str(self.port),
             "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET, "--redirect-uri", redirect_uri,
             "--accounts", json.dumps(accounts), "--other-client", f"{OTHER_CLIENT_ID}:{OTHER_CLIENT_SECRET}"],
            cwd=TOOL, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"oidc-provider did not start: {self.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        stop_group(self.process)
        self._log.close()


def _need_provider() -> None:
    reason = None
    if shutil.which("node") is None:
        reason = "Node.js is not installed (the OpenID Connect tests run panva's oidc-provider under it)"
    elif not (TOOL / "node_modules" / "oidc-provider").is_dir():
        reason = "tools/oidc/node_modules is missing: run `cd tools/oidc && npm ci`"
    if reason:
        if os.environ.get("LSWEB_REQUIRE_OIDC") == "1":
            pytest.fail(f"{reason} (LSWEB_REQUIRE_OIDC=1 requires the OpenID Connect tests)", pytrace=False)
        pytest.skip(reason)


@pytest.fixture
def start_oidc_provider(tmp_path):
    """start(redirect_uri, accounts) -> OidcProvider; accounts are dicts of email, email_verified
    (True, False, or None for no such claim) and name. Every provider started is stopped afterwards."""
    _need_provider()
    started: list[OidcProvider] = []

    def _start(redirect_uri: str, accounts: list[dict]) -> OidcProvider:
        provider = OidcProvider(tmp_path / "oidc", redirect_uri, accounts)
        started.append(provider)
        return provider

    yield _start
    for provider in started:
        provider.stop()
