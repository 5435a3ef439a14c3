"""Child processes of the demo, drills and tests: started with a log file, stopped by pid.

Every process started here is stopped here: SIGTERM, a bounded wait, then SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path


def cetak_argv(*args: str) -> list[str]:
    """The argv that runs `cetak ARGS` with this interpreter (no PATH lookup)."""
    return [sys.executable, "-m", "cetak.cli", *args]


class Terminated(SystemExit):
    """Raised in the main thread when SIGTERM or SIGHUP arrives inside `exit_on_termination`."""


@contextlib.contextmanager
def exit_on_termination() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into a `Terminated` exception for the block's duration.

    By default SIGTERM (kill, systemd, timeout(1)) ends the interpreter at once, so the
    `finally` blocks that stop child processes never run and the children live on. Raised as
    an exception, it unwinds the stack like Ctrl-C does and every child is stopped by pid.
    A second signal during that cleanup is ignored: the cleanup itself is bounded.
    """
    def _raise(signum: int, _frame: object) -> None:
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        raise Terminated(128 + signum)

    previous = {sig: signal.signal(sig, _raise) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class ManagedProcess:
    """A child process whose output goes to a log file; stop() always reaps it."""

    def __init__(self, argv: list[str], log: Path, env: dict[str, str] | None = None,
                 name: str = "") -> None:
        self.argv = argv
        self.log = log
        self.name = name or Path(argv[0]).name
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = log.open("ab")
        self.popen = subprocess.Popen(argv, stdout=self._log_file, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL,
                                      env={**os.environ, **(env or {})})

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to clean up (fault drills)."""
        if self.alive():
            os.kill(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        if self.alive():
            os.kill(self.popen.pid, sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.popen.pid, signal.SIGKILL)
                self.popen.wait(10)
        if not self._log_file.closed:
            self._log_file.close()
        return self.popen.returncode

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def wait_for_file(path: Path, proc: ManagedProcess, timeout: float = 30.0) -> str:
    """The file's text once it exists; fails early if the process died first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return path.read_text()
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited before writing {path.name}:\n"
                               f"{proc.output()[-3000:]}")
        time.sleep(0.05)
    raise TimeoutError(f"{proc.name} did not write {path.name} within {timeout:.0f} s")


# Listening ports are taken below the kernel's ephemeral range (32768+ on Linux): a port picked
# there can be grabbed as the source port of an outgoing connection before the server binds it
# again (a controller restarted after a crash), and a client retrying a dead local port can
# even connect to itself.
_PORT_RANGE = (20000, 32000)
_handed_out: set[int] = set()


def _bindable(host: str, port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1", span: int = 1) -> int:
    """A port P such that P .. P+span-1 are free now and were not handed out before by this
    process (a virtual printer listens on P and its service port on P+1: span=2)."""
    import random

    low, high = _PORT_RANGE
    for _ in range(500):
        port = random.randrange(low, high - span)
        ports = range(port, port + span)
        if any(p in _handed_out for p in ports):
            continue
        if all(_bindable(host, p) for p in ports):
            _handed_out.update(ports)
            return port
    raise OSError(f"no {span} free consecutive port(s) in {low}-{high}")
