"""Sign-in keeps working when Redis goes away (per-process counting, a logged warning, /health says
so), and the password hash is never computed while this request holds SQLite's write lock."""

from __future__ import annotations

import logging
import shutil
import sqlite3
import subprocess
import time

import pytest
import redis

from lsweb.extensions import db
from tests.conftest import TEST_PASSWORD
from tests.servers import free_port


def sign_in(client, email, password=TEST_PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own, on a free port; `stop()` kills it mid-test."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(tmp_path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port, db=12, socket_connect_timeout=1)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)

    class Server:
        url = f"redis://127.0.0.1:{port}/12"

        @staticmethod
        def keys():
            return client.keys("*")

        @staticmethod
        def stop():
            process.terminate()
            process.wait(10)

    yield Server
    if process.poll() is None:
        process.kill()
        process.wait(10)
    client.close()


def test_sign_in_works_and_is_still_throttled_while_redis_is_down(make_app, own_redis, caplog):
    from tests.factories import Factories

    app = make_app(REDIS_URL=own_redis.url, LOGIN_LIMIT_ACCOUNT="3 per 15 minutes")
    with app.app_context():
        teacher = Factories(db).user()
        email = teacher.email
    first = app.test_client()
    assert sign_in(first, email, "wrong password").status_code == 422
    assert own_redis.keys(), "while Redis answers, the throttle counts there"

    own_redis.stop()
    with caplog.at_level(logging.WARNING):
        assert sign_in(app.test_client(), email).status_code == 303, "the right password signs in"
    assert any("redis" in record.getMessage().lower() and record.levelno == logging.WARNING
               for record in caplog.records), "the fall-back is logged as a warning"
    # Counting goes on in this process: three failures lock the account, even with the right password.
    other = app.test_client()
    assert [sign_in(other, email, "wrong password").status_code for _ in range(3)] == [422, 422, 422]
    assert sign_in(other, email).status_code == 429

    health = app.test_client().get("/health")
    assert health.status_code == 503
    assert health.get_json()["redis"] == "unavailable"


# Hashing outside the write lock -----------------------------------------------------------------------

@pytest.fixture
def lock_probe(app, database, monkeypatch):
    """Records, each time a password is hashed or checked, whether another connection could take
    SQLite's write lock at that moment (it cannot while this request holds it)."""
    if database["kind"] != "sqlite":
        pytest.skip("SQLite's write lock")
    path = db.engine.url.database
    seen: list[bool] = []

    def free() -> bool:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            other.close()

    import werkzeug.security

    from lsweb.auth import services

    real_check, real_generate = werkzeug.security.check_password_hash, werkzeug.security.generate_password_hash

    def check(*args, **kwargs):
        seen.append(free())
        return real_check(*args, **kwargs)

    def generate(*args, **kwargs):
        seen.append(free())
        return real_generate(*args, **kwargs)

    monkeypatch.setattr(services, "check_password_hash", check)
    monkeypatch.setattr(services, "generate_password_hash", generate)
    return seen


def test_sign_in_checks_the_password_outside_the_write_lock(app, client, teacher, lock_probe):
    assert sign_in(client, teacher.email).status_code == 303
    assert sign_in(app.test_client(), teacher.email, "wrong password").status_code == 422
    assert sign_in(app.test_client(), "nobody@hillside.example").status_code == 422
    assert lock_probe and all(lock_probe), lock_probe


def test_changing_a_password_hashes_outside_the_write_lock(client, teacher, login, lock_probe):
    login(teacher)
    lock_probe.clear()
    response = client.post("/account/password", data={"current_password": TEST_PASSWORD,
                                                      "new_password": "a brand new passphrase",
                                                      "confirm": "a brand new passphrase"})
    assert response.status_code == 303
    assert len(lock_probe) == 2 and all(lock_probe), lock_probe


@pytest.fixture
def teacher(factories):
    return factories.user(email="jo@hillside.example", name="Jo Teacher")
