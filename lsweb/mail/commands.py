"""`lsweb worker`: the task queue's consumer in a process of its own (with LSWEB_TASKS=worker)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--threads", default=2, show_default=True, help="Messages sent at once.")
@with_appcontext
def worker_command(threads: int):
    """Send queued e-mail (run it beside `lsweb serve` when LSWEB_TASKS=worker)."""
    from .tasks import queue_of

    queue = queue_of(current_app._get_current_object())
    if queue.mode == "immediate":
        raise click.ClickException("LSWEB_TASKS=immediate sends inside the server: no worker is needed.")
    if not current_app.config["LSWEB"]["MAIL_URL"]:
        click.echo("Mail is off (LSWEB_MAIL_URL is not set): the worker will send nothing.", err=True)
    consumer = queue.huey.create_consumer(workers=threads, worker_type="thread")
    consumer.run()  # until SIGINT / SIGTERM
