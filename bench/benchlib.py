"""What the benchmarks in bench/ share: a fresh demo database in a temporary folder, the production
server in its own process session (stopped as a whole), its CPU time from /proc, cookies."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"
USER_AGENT = "lsweb-bench/1 (bench/)"
STARTUP_TIMEOUT = 60.0
# The plan page of the performance targets: 3 case pupils x 8 stages with about 40 revisions. The demo's RL1 has 6 stages,
# filled, with 50-odd revisions; two more stages with a prediction each make it 8.
GROW_PLAN = """
from lsweb import create_app
from lsweb.extensions import db
from lsweb.models import ResearchLesson, User
from lsweb.planning import fields, lessons
app = create_app()
with app.app_context():
    lesson = db.session.get(ResearchLesson, 1)
    hannah = db.session.scalar(db.select(User).where(User.email == "teacher1@demo.local"))
    while len(lesson.current_stages) < 8:
        stage = lessons.add_stage(hannah, lesson)
        for pupil in lesson.cycle.pupils:
            fields.save_field(hannah, lesson, fields.prediction_key(stage.id, pupil.id), "Explains it to a partner.")
        db.session.refresh(lesson)
"""



class BenchError(Exception):
    pass


def _stop_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


# --- the server -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _clean_env(instance: Path) -> dict:
    """Default settings (no LSWEB_* from the caller's shell), the temporary instance folder."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LSWEB_")}
    env["LSWEB_INSTANCE_PATH"] = str(instance)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _lsweb_command() -> list[str]:
    script = Path(sys.executable).with_name("lsweb")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from lsweb.cli import main; sys.argv[0] = 'lsweb'; main()"]


def prepare_database(workdir: Path, env: dict) -> None:
    for args in (["init"], ["demo"]):
        done = subprocess.run(_lsweb_command() + args, cwd=workdir, env=env, capture_output=True, text=True,
                              timeout=120)
        if done.returncode != 0:
            raise BenchError(f"`lsweb {' '.join(args)}` failed:\n{done.stdout}{done.stderr}")
    done = subprocess.run([sys.executable, "-c", GROW_PLAN], cwd=workdir, env=env, capture_output=True,
                          text=True, timeout=120)
    if done.returncode != 0:
        raise BenchError(f"growing RL1's plan to 8 stages failed:\n{done.stdout}{done.stderr}")


class Server:
    """A server process in its own session, so it can be stopped as a whole. By default bench/bench_app.py
    (lsweb's app plus a bench-only route) under lsweb.server.serve; `command` runs something else (the
    throughput benchmark runs `lsweb serve` itself and the bare app of bench/bare_app.py)."""

    def __init__(self, workdir: Path, env: dict, port: int, workers: int, threads: int,
                 command: list[str] | None = None, name: str = "server"):
        self.port = port
        self.log_path = workdir / f"{name}.log"
        self._log = open(self.log_path, "wb")
        if command is None:
            command = [sys.executable, str(HERE / "bench_app.py"), "--host", HOST, "--port", str(port),
                       "--workers", str(workers), "--threads", str(threads)]
        self.proc = subprocess.Popen(
            command,
            cwd=workdir, env=env, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"The server exited with status {self.proc.returncode}:\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", "/health", headers={"User-Agent": USER_AGENT})
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError(f"The server did not answer /health within {STARTUP_TIMEOUT:.0f} s:\n{self.log_tail()}")

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of every process of the server (gunicorn master and workers)."""
        return session_cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)  # gunicorn: graceful stop of the workers
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
            except ProcessLookupError:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # whatever of its own session is left
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.poll() is None:
            self.proc.wait(timeout=5)
        self._log.close()


def session_cpu_seconds(session_id: int) -> float | None:
    """CPU seconds of the processes in a session, from /proc (None where /proc is missing)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    ticks = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        # fields: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
        if int(fields[3]) == session_id:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


# --- signing in (http.client: a few requests, clarity over speed) ----------------------------------


def _cookies(response: http.client.HTTPResponse, jar: dict) -> None:
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, value = header.split(";", 1)[0].partition("=")
        jar[name.strip()] = value.strip()


def _cookie_header(jar: dict) -> str:
    return "; ".join(f"{name}={value}" for name, value in jar.items())


