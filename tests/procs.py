"""Starting and stopping real `cetak` processes in tests: by pid, bounded in time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def cetak_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "cetak.cli", *args]


class Proc:
    """A child process with its output in a log file; stop() always reaps it."""

    def __init__(self, argv: list[str], log: Path, env: dict | None = None) -> None:
        self.log = log
        self._log_file = log.open("wb")
        self.popen = subprocess.Popen(argv, stdout=self._log_file, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})})

    @property
    def pid(self) -> int:
        return self.popen.pid

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        if self.popen.poll() is None:
            os.kill(self.popen.pid, sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.popen.pid, signal.SIGKILL)
                self.popen.wait(10)
        self._log_file.close()
        return self.popen.returncode

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def wait_for_file(path: Path, proc: Proc, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return path.read_text()
        if proc.popen.poll() is not None:
            raise AssertionError(f"process exited early:\n{proc.output()[-3000:]}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {path}:\n{proc.output()[-3000:]}")
