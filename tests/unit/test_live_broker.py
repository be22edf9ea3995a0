"""The live brokers: fan-out, bounded queues, shutdown, the channel registry, publish(), and Redis
between processes (two RedisBroker instances stand for two server processes)."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import uuid

import pytest

from lsweb import live
from lsweb.live.broker import RESYNC, Closed, MemoryBroker, Message, RedisBroker
from lsweb.live.views import KEEPALIVE, OPENING, event_stream

REDIS_URL = os.environ.get("LSWEB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url():
    """The test Redis (database 15 by default); skipped when it does not answer, unless
    LSWEB_REQUIRE_REDIS=1, which fails instead."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        if os.environ.get("LSWEB_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis at {REDIS_URL} does not answer ({error}); LSWEB_REQUIRE_REDIS=1", pytrace=False)
        pytest.skip(f"Redis at {REDIS_URL} does not answer ({error})")
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def redis_brokers(redis_url):
    """Make RedisBrokers sharing a prefix of their own (no cross-talk with other runs); closed after."""
    prefix = f"lsweb-test:{uuid.uuid4().hex[:12]}:"
    made = []

    def _make(name: str = "test") -> RedisBroker:
        broker = RedisBroker(f"{redis_url}?client_name={prefix.replace(':', '-')}{name}", prefix=prefix)
        made.append(broker)
        return broker

    yield _make
    for broker in made:
        broker.close()


def drain(subscription, timeout: float = 2.0) -> list[Message]:
    """Everything queued now (waiting up to `timeout` for the first message)."""
    messages = []
    message = subscription.get(timeout)
    while message is not None:
        messages.append(message)
        message = subscription.get(0)
    return messages


def wait_for(subscription, event: str, timeout: float = 5.0) -> Message:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = subscription.get(0.1)
        if message is not None and message.event == event:
            return message
    raise AssertionError(f"no {event!r} within {timeout} s")


# --- the memory broker -------------------------------------------------------------------------------


def test_a_subscription_starts_with_resync_then_gets_its_channel_only():
    broker = MemoryBroker()
    mine, other = broker.subscribe("group-1"), broker.subscribe("group-2")
    broker.publish("group-1", "post-added", '{"id":7}')
    broker.publish("group-1", "post-added", '{"id":8}')
    got = drain(mine)
    assert [m.event for m in got] == [RESYNC, "post-added", "post-added"]
    assert got[0] == Message(None, RESYNC, "{}")
    assert [m.data for m in got[1:]] == ['{"id":7}', '{"id":8}']
    assert got[1].id < got[2].id
    assert [m.event for m in drain(other)] == [RESYNC]


def test_concurrent_publishers_reach_every_subscriber_in_order():
    broker = MemoryBroker(queue_size=10_000)
    subscriptions = [broker.subscribe("group-1") for _ in range(5)]
    per_thread = 300

    def publisher(number: int):
        for i in range(per_thread):
            broker.publish("group-1", "cell-saved", f'{{"t":{number},"i":{i}}}')

    threads = [threading.Thread(target=publisher, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for subscription in subscriptions:
        got = [m for m in drain(subscription) if m.event == "cell-saved"]
        assert len(got) == 4 * per_thread
        for number in range(4):
            mine = [m.data for m in got if m.data.startswith(f'{{"t":{number},')]
            assert mine == [f'{{"t":{number},"i":{i}}}' for i in range(per_thread)]
        assert [m.id for m in got] == sorted(m.id for m in got)


def test_a_slow_subscriber_gets_a_resync_instead_of_blocking_the_publisher():
    broker = MemoryBroker(queue_size=5)
    slow, quick = broker.subscribe("group-1"), broker.subscribe("group-1")
    drain(quick)
    started = time.perf_counter()
    for i in range(50):
        broker.publish("group-1", "post-added", f'{{"i":{i}}}')
        if i < 49:
            assert quick.get(1).data == f'{{"i":{i}}}'  # the quick one keeps up
    assert time.perf_counter() - started < 1.0
    got = drain(slow)
    assert len(got) <= 5
    assert got[0].event == RESYNC  # what it missed is replaced by "refresh everything"
    events = [m.data for m in got[1:]]  # then the newest events, if any came after the overflow
    assert events == [f'{{"i":{i}}}' for i in range(50 - len(events), 50)]


def test_closing_the_broker_ends_waiting_streams_at_once():
    broker = MemoryBroker()
    subscription = broker.subscribe("group-1")
    drain(subscription)
    outcome = []

    def wait():
        try:
            subscription.get(timeout=30)
        except Closed:
            outcome.append(time.perf_counter())

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.1)
    closed_at = time.perf_counter()
    broker.close()
    waiter.join(timeout=2)
    assert outcome and outcome[0] - closed_at < 1.0
    assert broker.subscriber_count() == 0
    with pytest.raises(Closed):
        broker.subscribe("group-1").get(0)  # a stream opened during shutdown ends at once


def test_unsubscribe_forgets_the_subscription():
    broker = MemoryBroker()
    subscription = broker.subscribe("group-1")
    assert broker.subscriber_count("group-1") == 1
    broker.unsubscribe(subscription)
    assert broker.subscriber_count() == 0
    broker.publish("group-1", "post-added", "{}")  # nobody listening: nothing happens


# --- the stream body ---------------------------------------------------------------------------------


def test_event_stream_sends_comment_resync_events_and_keepalives():
    broker = MemoryBroker()
    stream = event_stream(broker, "group-1", keepalive=0.05)
    assert next(stream) == OPENING and OPENING.startswith(":")
    assert next(stream) == "event: resync\ndata: {}\n\n"
    assert next(stream) == KEEPALIVE
    broker.publish("group-1", "signature-added", '{"signature":3}')
    assert next(stream) == 'id: 1\nevent: signature-added\ndata: {"signature":3}\n\n'
    assert broker.subscriber_count("group-1") == 1
    stream.close()  # what a server does when writing to a closed connection fails
    assert broker.subscriber_count() == 0


def test_event_stream_ends_when_the_broker_closes():
    broker = MemoryBroker()
    stream = event_stream(broker, "group-1", keepalive=30)
    next(stream), next(stream)
    threading.Timer(0.1, broker.close).start()
    started = time.perf_counter()
    assert list(stream) == []
    assert time.perf_counter() - started < 1.0


def test_a_stream_never_started_subscribes_nothing():
    broker = MemoryBroker()
    stream = event_stream(broker, "group-1", keepalive=30)
    stream.close()
    assert broker.subscriber_count() == 0


# --- channels and publish() ------------------------------------------------------------------------


def _yes(user, key):
    return True


def _no(user, key):
    return False


def test_channels_resolve_to_the_longest_registered_prefix(monkeypatch):
    monkeypatch.setattr(live, "_channels", {})
    live.register_channel("lesson", _no)
    live.register_channel("lesson-plan", _yes)
    live.register_channel("lesson", _no)  # the same registration again (a second app): fine
    assert live.find_channel("lesson-12") == (_no, "12")
    assert live.find_channel("lesson-plan-12") == (_yes, "12")
    assert live.find_channel("group-12") is None
    assert live.find_channel("lesson-") is None
    assert live.find_channel("lesson-a/b") is None
    assert live.find_channel("lesson-" + "1" * 300) is None
    with pytest.raises(ValueError):
        live.register_channel("lesson", _yes)  # another function for a taken prefix
    with pytest.raises(ValueError):
        live.register_channel("Bad_Prefix", _yes)


def test_init_app_picks_memory_or_redis(make_app):
    assert isinstance(live.get_broker(make_app()), MemoryBroker)
    app = make_app(REDIS_URL="redis://127.0.0.1:6379/15")
    broker = live.get_broker(app)
    assert isinstance(broker, RedisBroker)
    broker.close()


def test_publish_checks_names_and_data(app):
    broker = live.get_broker(app)
    subscription = broker.subscribe("group-1")
    live.publish("group-1", "post-added", {"id": 1, "text": "two\nlines ✓"})
    live.publish("group-1", "resync")
    got = drain(subscription)
    assert got[-2].data == '{"id":1,"text":"two\\nlines ✓"}'
    assert got[-1] == Message(got[-1].id, RESYNC, "{}")
    for channel, event in [("group", "x"), ("group-1\n", "x"), ("group-1", "Bad Event"), ("group-1", "a\nb")]:
        with pytest.raises(ValueError):
            live.publish(channel, event)
    with pytest.raises(TypeError):
        live.publish("group-1", "post-added", {"when": object()})


def test_publish_never_raises_when_the_broker_is_down(app, caplog):
    app.extensions[live.EXTENSION_KEY] = RedisBroker("redis://127.0.0.1:1/15")  # nothing listens there
    started = time.perf_counter()
    with caplog.at_level(logging.ERROR, logger="lsweb.live"):
        live.publish("group-1", "post-added", {"id": 1})
    assert time.perf_counter() - started < 5
    assert "could not publish post-added on group-1" in caplog.text


def test_publish_warns_when_called_before_the_commit(app, caplog):
    from lsweb.extensions import db
    from lsweb.models import School

    db.session.add(School(name="Uncommitted"))
    with caplog.at_level(logging.WARNING, logger="lsweb.live"):
        live.publish("group-1", "post-added")
    assert "published before the database commit" in caplog.text
    db.session.rollback()


def test_sigterm_under_a_server_closes_the_broker_first():
    calls = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: calls.append(signum))
    try:
        broker = MemoryBroker()
        live._close_on_sigterm(broker)
        os.kill(os.getpid(), signal.SIGTERM)
        deadline = time.monotonic() + 2
        while not broker.closed and time.monotonic() < deadline:
            time.sleep(0.01)
        assert broker.closed and calls == [signal.SIGTERM]  # closed, and the server's handler still ran
    finally:
        signal.signal(signal.SIGTERM, previous)


# --- Redis: events cross processes -------------------------------------------------------------------


@pytest.mark.redis
def test_an_event_published_in_one_process_reaches_streams_in_another(redis_brokers):
    first, second = redis_brokers("first"), redis_brokers("second")
    there = second.subscribe("group-1")
    here = first.subscribe("group-1")
    elsewhere = second.subscribe("group-2")
    assert second.connected.wait(5) and first.connected.wait(5)
    for subscription in (there, here, elsewhere):
        assert [m.event for m in drain(subscription, 0.2)] == [RESYNC]
    first.publish("group-1", "post-added", '{"id":5}')
    assert wait_for(there, "post-added").data == '{"id":5}'
    assert wait_for(here, "post-added").data == '{"id":5}'
    time.sleep(0.2)
    assert drain(elsewhere, 0.1) == []


@pytest.mark.redis
def test_after_losing_redis_the_listener_reconnects_and_streams_resync(redis_brokers, redis_url):
    import redis

    publisher, listener = redis_brokers("pub"), redis_brokers("sub")
    subscription = listener.subscribe("group-1")
    assert listener.connected.wait(5)
    drain(subscription, 0.2)
    admin = redis.Redis.from_url(redis_url)
    name = listener.client.connection_pool.connection_kwargs["client_name"]
    killed = [c["id"] for c in admin.client_list() if c.get("name") == name and int(c.get("psub", 0)) > 0]
    assert killed, "the listener's pub/sub connection was not found"
    for client_id in killed:
        admin.client_kill_filter(_id=client_id)
    admin.close()
    assert wait_for(subscription, RESYNC, timeout=10)  # back, and told to refresh what it may have missed
    assert listener.connected.wait(5)
    publisher.publish("group-1", "post-added", '{"id":6}')
    assert wait_for(subscription, "post-added").data == '{"id":6}'


@pytest.mark.redis
def test_closing_a_redis_broker_stops_its_listener(redis_brokers):
    broker = redis_brokers()
    subscription = broker.subscribe("group-1")
    assert broker.connected.wait(5)
    broker.close()
    assert not broker._listener.is_alive()
    with pytest.raises(Closed):
        subscription.get(0)


def test_streams_still_open_while_redis_is_away():
    """Redis down: a stream opens (after a short wait for the listener), keeps its local queue, and the
    broker still closes promptly; the listener keeps retrying in the background meanwhile."""
    broker = RedisBroker("redis://127.0.0.1:1/15")  # nothing listens there
    try:
        started = time.perf_counter()
        subscription = broker.subscribe("group-1")
        assert time.perf_counter() - started < RedisBroker.FIRST_CONNECT_WAIT + 1
        assert [m.event for m in drain(subscription, 0.1)] == [RESYNC]
        assert not broker.connected.is_set() and broker._listener.is_alive()
    finally:
        started = time.perf_counter()
        broker.close()
    assert time.perf_counter() - started < 3 and not broker._listener.is_alive()
