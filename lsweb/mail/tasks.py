"""The task queue that sends mail (huey): its storage is a SQLite file in the instance folder, or Redis
when LSWEB_REDIS_URL is set. Its consumer runs as a thread in the server process (LSWEB_TASKS=embedded,
the default) or as `lsweb worker` (LSWEB_TASKS=worker). LSWEB_TASKS=immediate sends right after the
commit, inside the request (tests; tiny installations).

Outbox rows are handed to the queue only after the transaction that wrote them has committed; a
minute's sweep picks up any row whose queue entry was lost, so the database is what counts.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from flask import Flask, current_app
from huey import RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

log = logging.getLogger("lsweb.mail")
PENDING = "lsweb.mail.pending"
EXTENSION = "lsweb.tasks"


class TaskQueue:
    def __init__(self, app: Flask):
        settings = app.config["LSWEB"]
        self.mode = settings["TASKS"]
        if self.mode not in ("embedded", "worker", "immediate"):
            raise ValueError("LSWEB_TASKS must be embedded, worker or immediate")
        if self.mode == "immediate":
            self.huey = SqliteHuey("lsweb", immediate=True)
        elif settings["REDIS_URL"]:
            self.huey = RedisHuey("lsweb", url=settings["REDIS_URL"])
        else:
            self.huey = SqliteHuey("lsweb", filename=str(Path(app.instance_path) / "tasks.db"))
        self._consumer: Consumer | None = None
        self._lock = threading.Lock()
        huey = self.huey

        @huey.task(name="send_mail")
        def send_mail(message_id: int) -> None:
            from .delivery import deliver

            with app.app_context():
                delay = deliver(message_id)
            if delay is not None and not huey.immediate:
                send_mail.schedule(args=(message_id,), delay=delay)

        @huey.periodic_task(crontab(minute="*"), name="sweep_outbox")
        def sweep_outbox() -> None:
            from .delivery import deliver, due_messages

            with app.app_context():
                for message_id in due_messages():
                    deliver(message_id)

        @huey.periodic_task(crontab(minute="5"), name="notifications")
        def notifications() -> None:
            from ..models.base import utcnow
            from .reminders import send_digests, send_reminders

            with app.app_context():
                now = utcnow()
                send_reminders(now)
                send_digests(now)

        self.send_mail = send_mail

    def enqueue(self, message_id: int) -> None:
        try:
            self.send_mail(message_id)
        except Exception:  # noqa: BLE001  (the sweep sends it within a minute)
            log.exception("could not queue outbox message %s; the sweep will send it", message_id)

    def start_embedded(self) -> None:
        """Start the consumer threads in this process, once."""
        with self._lock:
            if self._consumer is not None:
                return
            self._consumer = _ThreadConsumer(self.huey, workers=1, worker_type="thread")
            self._consumer.start()
            log.info("mail queue: consumer thread started in the server process")

    def stop(self) -> None:
        with self._lock:
            if self._consumer is not None:
                self._consumer.stop(graceful=True)
                self._consumer = None


class _ThreadConsumer(Consumer):
    """A consumer started from any thread: the server owns the process's signals."""

    def _set_signal_handlers(self):
        pass


def init_app(app: Flask) -> None:
    queue = TaskQueue(app)
    app.extensions[EXTENSION] = queue
    settings = app.config["LSWEB"]
    if queue.mode == "embedded" and settings["MAIL_URL"] and not app.config.get("TESTING"):
        app.before_request(_start_once)


def _start_once() -> None:
    current_app.extensions[EXTENSION].start_embedded()


def queue_of(app: Flask) -> TaskQueue:
    return app.extensions[EXTENSION]


def remember(session: Session, row) -> None:
    """Hand `row` to the queue once the session's transaction commits (forgotten on rollback)."""
    session.info.setdefault(PENDING, []).append(row)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    rows = session.info.pop(PENDING, None)
    if not rows:
        return
    queue = current_app.extensions.get(EXTENSION)
    for row in rows:
        identity = inspect(row).identity  # known without loading the (expired) row again
        if identity and queue is not None:
            queue.enqueue(identity[0])


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)
