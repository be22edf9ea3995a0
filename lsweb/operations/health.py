"""What GET /health reports: whether the database (and Redis, when configured) answer."""

from __future__ import annotations

import logging

log = logging.getLogger("lsweb.health")


def check() -> tuple[bool, dict]:
    """(healthy, report). The report names each dependency "ok", "unavailable" or "not configured";
    the reason of a failure goes to the log, not to whoever asks (the endpoint is public)."""
    from .._version import __version__
    from ..extensions import db
    from ..live import get_broker
    from ..live.broker import RedisBroker

    report = {}
    try:
        db.session.execute(db.text("SELECT 1"))
        report["database"] = "ok"
    except Exception:  # noqa: BLE001
        log.exception("health: the database does not answer")
        db.session.rollback()
        report["database"] = "unavailable"
    broker = get_broker()
    if isinstance(broker, RedisBroker):
        try:
            broker.client.ping()
            report["redis"] = "ok"
        except Exception:  # noqa: BLE001
            log.exception("health: Redis does not answer")
            report["redis"] = "unavailable"
    else:
        report["redis"] = "not configured"
    healthy = all(value != "unavailable" for value in report.values())
    return healthy, {"status": "ok" if healthy else "unavailable", "version": __version__, **report}
