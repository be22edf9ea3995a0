"""Real `lsweb serve` processes for tests that need several of them (live updates and sign-in
throttling across processes through Redis): started on free ports in their own process groups, sharing
this test's database, and stopped at the end.

Redis: `redis_url` answers LSWEB_TEST_REDIS_URL (default redis://127.0.0.1:6379/15), or skips the test
when Redis does not answer, unless LSWEB_REQUIRE_REDIS=1 (CI), which fails it instead.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

REDIS_URL = os.environ.get("LSWEB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
LSWEB = Path(sys.executable).with_name("lsweb")  # the console script of this virtual environment
START_SECONDS = 30


@pytest.fixture
def redis_url():
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        client.close()
    except Exception as error:  # noqa: BLE001
        reason = f"Redis does not answer at {REDIS_URL}: {error}"
        if os.environ.get("LSWEB_REQUIRE_REDIS") == "1":
            pytest.fail(f"{reason} (LSWEB_REQUIRE_REDIS=1 requires the Redis tests)", pytrace=False)
        pytest.skip(reason)
    return REDIS_URL


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """`lsweb serve` (gunicorn, one gthread worker) in its own process group."""

    def __init__(self, name: str, env: dict, folder: Path):
        self.name = name
        self.port = free_port()
        self.log_path = folder / f"{name}.log"
        self._log = open(self.log_path, "wb")
        env = {**env, "LSWEB_INSTANCE_PATH": str(folder / f"instance-{name}")}
        self.process = subprocess.Popen(
            [str(LSWEB), "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", "1", "--threads", "16"],
            cwd=folder, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait_until_healthy(self, deadline: float) -> None:
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.process.returncode}:\n{self.log()}", pytrace=False)
            try:
                if requests.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{self.name} did not answer /health within {START_SECONDS} s:\n{self.log()}",
                            pytrace=False)
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self._log.close()


def server_environment(database_url: str, redis_url: str, **settings: str) -> dict:
    """The environment of a server process: this one without any LSWEB_ setting of the caller's, plus
    the shared database, secret key and Redis, and `settings` (LSWEB_ names)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LSWEB_")}
    env.update({
        "LSWEB_DATABASE_URL": database_url,
        "LSWEB_SECRET_KEY": "redis-test-secret-key",
        "LSWEB_REDIS_URL": redis_url,
        "LSWEB_LOG_LEVEL": "WARNING",
        # Redis is shared with other runs: sign-in throttling there must not get in a test's way.
        "LSWEB_LOGIN_LIMIT_ACCOUNT": "1000 per 1 minute",
        "LSWEB_LOGIN_LIMIT_ADDRESS": "1000 per 1 minute",
        "LSWEB_LOGIN_LIMIT_ACCOUNT_EVERYWHERE": "1000 per 1 minute",
    })
    env.update(settings)
    return env


@contextmanager
def running_servers(count: int, env: dict, folder: Path):
    """`count` server processes with `env`, healthy when this yields them; stopped afterwards."""
    servers = []
    try:
        servers = [ServerProcess(f"server{n}", env, folder) for n in range(1, count + 1)]
        deadline = time.monotonic() + START_SECONDS
        for server in servers:
            server.wait_until_healthy(deadline)
        yield servers
    finally:
        for server in servers:
            server.stop()
