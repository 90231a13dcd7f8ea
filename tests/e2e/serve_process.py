"""`xuncha serve` as a real process on a free loopback port, as an operator starts it; and
`xuncha token create` as an operator runs it. Used by the process tests and `bench api`.

The server runs in its own session (process group), so stopping it reaches uvicorn's
worker processes too: SIGTERM, wait, then SIGKILL to the whole group on timeout."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "service.cli"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def create_token(url: str, role: str, scope: str | None = None) -> str:
    """A bearer token from the CLI, exactly as printed."""
    args = [*CLI, "token", "create", "--role", role, "--name", f"serve-{role}",
            "--database-url", url, *(["--scope", scope] if scope else [])]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=_env())
    if done.returncode != 0:
        raise RuntimeError(f"token create failed ({done.returncode}): {done.stderr}")
    return done.stdout.strip()


@dataclass
class Server:
    """A running `xuncha serve`: its base URL, the process and its log file."""

    base_url: str
    process: subprocess.Popen[bytes]
    log: Path
    # every process of the server seen so far (psutil objects: safe against pid reuse)
    seen: dict[int, psutil.Process] = field(default_factory=dict)

    def processes(self) -> list[psutil.Process]:
        """The serve process and its descendants (uvicorn's workers), alive now."""
        try:
            root = psutil.Process(self.process.pid)
            found = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
        for p in found:
            self.seen.setdefault(p.pid, p)
        return found

    def workers(self) -> list[psutil.Process]:
        """uvicorn's worker processes (spawned by multiprocessing; not its resource
        tracker); empty when the server runs in one process."""
        out = []
        for p in self.processes()[1:]:
            try:
                if any("spawn_main" in part for part in p.cmdline()):
                    out.append(p)
            except psutil.NoSuchProcess:
                pass
        return out

    def survivors(self) -> list[psutil.Process]:
        """Processes of the server still running (a zombie is gone: it is being reaped)."""
        out = []
        for p in self.seen.values():
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    out.append(p)
            except psutil.NoSuchProcess:
                pass
        return out

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


@dataclass(frozen=True)
class Stopped:
    returncode: int  # of the serve process; negative: killed by that signal
    killed: bool  # SIGTERM was not enough within the timeout


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XUNCHA_")}
    return env | extra


@contextmanager
def serving(url: str, *, workers: int = 1, startup_s: float = 90.0,
            stop_s: float = 20.0, env: dict[str, str] | None = None) -> Iterator[Server]:
    """Start `xuncha serve` on `url`, wait until /v1/health answers, stop it on exit."""
    port = free_port()
    with tempfile.NamedTemporaryFile("wb", prefix="xuncha-serve-", suffix=".log",
                                     delete=False) as log:
        process = subprocess.Popen(
            [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port),
             "--workers", str(workers), "--database-url", url],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env=_env(**(env or {})))
    server = Server(f"http://127.0.0.1:{port}", process, Path(log.name))
    try:
        _wait_healthy(server, workers, startup_s)
        yield server
    finally:
        stop(server, stop_s)
        server.log.unlink(missing_ok=True)


def _wait_healthy(server: Server, workers: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"xuncha serve exited with {server.process.returncode}:\n"
                               f"{server.log_tail()}")
        try:
            r = httpx.get(f"{server.base_url}/v1/health", timeout=2.0)
            # with several workers, wait until every one of them has started
            if r.status_code == 200 and (workers == 1 or len(server.workers()) >= workers):
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"xuncha serve not healthy after {timeout:.0f}s:\n"
                               f"{server.log_tail()}")
        time.sleep(0.2)


def stop(server: Server, timeout: float = 20.0) -> Stopped:
    """SIGTERM, wait up to `timeout`, then SIGKILL the whole process group."""
    server.processes()  # remember every process, to check afterwards that none survived
    proc = server.process
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            proc.wait(timeout)
    if proc.poll() is not None:  # workers may take a moment longer than their supervisor
        psutil.wait_procs(server.survivors(), timeout=5)
    killed = proc.poll() is None or bool(server.survivors())
    if killed:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        for p in server.survivors():  # a worker that left the group
            p.kill()
    return Stopped(int(proc.returncode), killed)
