"""Process helpers for tests: the same ones the demo and drills use."""

from cetak.procs import ManagedProcess as Proc
from cetak.procs import cetak_argv, wait_for_file

__all__ = ["Proc", "cetak_argv", "wait_for_file"]
