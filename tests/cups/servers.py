"""Private CUPS servers for tests: a cupsd with its own configuration folder on a loopback port,
and ippeveprinter (a generic IPP Everywhere printer) with the private D-Bus and Avahi daemons it
needs to start. Every process is started through cetak.procs and stopped by pid.

Nothing here touches the system's own cups service, /etc/cups or /run/cups: every path cupsd
writes is under the test's folder (ServerRoot, RequestRoot, CacheDir, StateDir, TempDir, logs,
printcap), it listens only on 127.0.0.1:PORT, and browsing and sharing are off.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from cetak.procs import ManagedProcess, free_port

CUPSD = "/usr/sbin/cupsd"
LPADMIN = "/usr/sbin/lpadmin"
IPPEVEPRINTER = "/usr/sbin/ippeveprinter"
AVAHI = "/usr/sbin/avahi-daemon"
DBUS = "/usr/bin/dbus-daemon"
INSTALL_HINT = "apt-get install cups cups-ipp-utils (or run .ci/cups.sh)"


def missing_cups() -> str | None:
    """Why the CUPS tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "a private cupsd must run as root (it starts its backends as root and lp)"
    for tool in (CUPSD, LPADMIN):
        if not os.access(tool, os.X_OK):
            return f"{tool} is not installed ({INSTALL_HINT})"
    return None


def missing_ippeveprinter() -> str | None:
    for tool in (IPPEVEPRINTER, AVAHI, DBUS):
        if not os.access(tool, os.X_OK):
            return f"{tool} is not installed ({INSTALL_HINT} avahi-daemon)"
    return None


def _wait_port(port: int, proc: ManagedProcess, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited:\n{proc.output()[-3000:]}")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"{proc.name} did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


def _world_readable_dir(prefix: str) -> Path:
    # Not under pytest's tmp_path: that is 0700 root, and cupsd runs filters and non-root
    # backends as lp, which must reach the spool files.
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)
    return root


class CupsServer:
    """One private cupsd. `uri(queue)` is the IPP URI of a queue; `lpadmin(...)` runs lpadmin
    against this server only."""

    def __init__(self) -> None:
        self.root = _world_readable_dir("cetak-cupsd-")
        self.port = free_port()
        self.proc: ManagedProcess | None = None
        etc = self.root / "etc"
        for sub, mode in (("etc", 0o755), ("cache", 0o770), ("state", 0o755), ("log", 0o755),
                          ("spool", 0o710), ("tmp", 0o1770)):
            (self.root / sub).mkdir()
            (self.root / sub).chmod(mode)
        for sub in ("spool", "tmp", "cache"):
            shutil.chown(self.root / sub, group="lp")
        (etc / "cupsd.conf").write_text(f"""\
Listen 127.0.0.1:{self.port}
Browsing No
BrowseLocalProtocols none
DefaultShared No
WebInterface No
LogLevel info
DefaultAuthType None
PreserveJobHistory Yes
JobRetryLimit 0
DirtyCleanInterval 0
<Location />
  Order allow,deny
  Allow 127.0.0.1
</Location>
<Policy default>
  JobPrivateAccess all
  JobPrivateValues none
  SubscriptionPrivateAccess all
  SubscriptionPrivateValues none
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
""")
        (etc / "cups-files.conf").write_text(f"""\
ServerRoot {etc}
RequestRoot {self.root / 'spool'}
CacheDir {self.root / 'cache'}
StateDir {self.root / 'state'}
TempDir {self.root / 'tmp'}
ErrorLog {self.root / 'log' / 'error_log'}
AccessLog {self.root / 'log' / 'access_log'}
PageLog {self.root / 'log' / 'page_log'}
Printcap {self.root / 'state' / 'printcap'}
ServerBin /usr/lib/cups
DataDir /usr/share/cups
""")

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def uri(self, queue: str) -> str:
        return f"ipp://{self.address}/printers/{queue}"

    def start(self) -> None:
        etc = self.root / "etc"
        self.proc = ManagedProcess([CUPSD, "-f", "-c", str(etc / "cupsd.conf"),
                                    "-s", str(etc / "cups-files.conf")],
                                   self.root / "log" / "cupsd.out", name="cupsd")
        _wait_port(self.port, self.proc)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()

    def kill(self) -> None:
        """SIGKILL mid-job (a crash): cupsd gets no chance to save its state."""
        if self.proc is not None:
            self.proc.kill()

    def log(self) -> str:
        path = self.root / "log" / "error_log"
        return path.read_text(errors="replace") if path.exists() else ""

    def run(self, tool: str, *args: str) -> str:
        done = subprocess.run([tool, "-h", self.address, *args], capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def lpadmin(self, *args: str) -> str:
        return self.run(LPADMIN, *args)

    def add_queue(self, name: str, device_uri: str, *, ppd: str = "raw") -> str:
        """A queue (enabled, accepting) sending to device_uri; returns its IPP URI."""
        self.lpadmin("-p", name, "-v", device_uri, "-m", ppd, "-E")
        return self.uri(name)

    def disable(self, name: str, reason: str = "") -> None:
        self.run("/usr/sbin/cupsdisable", *(["-r", reason] if reason else []), name)

    def enable(self, name: str) -> None:
        self.run("/usr/sbin/cupsenable", name)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


# What ippeveprinter runs for each job (-c): its behaviour comes from the file `mode` beside
# it, so a test changes it between jobs. "STATE:" lines on stderr set printer-state-reasons
# (ippeveprinter's documented protocol for print commands); a non-zero exit aborts the job.
PRINT_COMMAND = """#!/bin/sh
dir="$(dirname "$0")"
mode="$(cat "$dir/mode" 2>/dev/null || echo ok)"
case "$mode" in
    ok)   echo "$(basename "$1")" >> "$dir/printed.log" ;;
    jam)  sleep 0.3; echo "STATE: +media-jam" >&2; exit 1 ;;
    slow) sleep 0.3; echo "$(basename "$1")" >> "$dir/started.log"; sleep 3;
          echo "$(basename "$1")" >> "$dir/printed.log" ;;
esac
exit 0
"""


class IppEvePrinter:
    """ippeveprinter on 127.0.0.1:PORT (and [::1]), with a private D-Bus bus and an Avahi
    daemon limited to the loopback interface that publishes nothing: Debian's ippeveprinter
    refuses to start without DNS-SD."""

    def __init__(self) -> None:
        self.root = _world_readable_dir("cetak-ippeve-")
        self.port = free_port()
        self.procs: list[ManagedProcess] = []
        self.command = self.root / "print-command"
        self.command.write_text(PRINT_COMMAND)
        self.command.chmod(0o755)
        (self.root / "spool").mkdir()

    @property
    def uri(self) -> str:
        return f"ipp://127.0.0.1:{self.port}/ipp/print"

    def set_mode(self, mode: str) -> None:
        (self.root / "mode").write_text(mode)

    def printed(self) -> list[str]:
        path = self.root / "printed.log"
        return path.read_text().split() if path.exists() else []

    def started(self) -> list[str]:
        path = self.root / "started.log"
        return path.read_text().split() if path.exists() else []

    def start(self) -> None:
        bus = self.root / "bus"
        (self.root / "dbus.conf").write_text(f"""<!DOCTYPE busconfig PUBLIC
 "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={bus}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/><allow own="*"/><allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
""")
        (self.root / "avahi.conf").write_text(
            "[server]\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=lo\nenable-dbus=yes\n"
            "[publish]\npublish-addresses=no\npublish-hinfo=no\npublish-workstation=no\n"
            "publish-domain=no\n[reflector]\n[rlimits]\n")
        env = {"DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={bus}"}
        log = self.root / "log"
        dbus = ManagedProcess([DBUS, f"--config-file={self.root / 'dbus.conf'}", "--nofork"],
                              log / "dbus.out", name="dbus-daemon")
        self.procs.append(dbus)
        _wait_for(lambda: bus.exists(), dbus)
        avahi = ManagedProcess([AVAHI, "-f", str(self.root / "avahi.conf"), "--no-chroot",
                                "--no-drop-root", "--no-rlimits", "--no-proc-title"],
                               log / "avahi.out", env=env, name="avahi-daemon")
        self.procs.append(avahi)
        _wait_for(lambda: "startup complete" in avahi.output(), avahi)
        eve = ManagedProcess([IPPEVEPRINTER, "-r", "off", "-n", "localhost",
                              "-p", str(self.port), "-d", str(self.root / "spool"),
                              "-f", "application/vnd.cups-raw,application/pdf,image/png",
                              "-c", str(self.command), "-k", "cetak-test"],
                             log / "ippeveprinter.out", env=env, name="ippeveprinter")
        self.procs.append(eve)
        _wait_port(self.port, eve)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()
        self.procs.clear()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def _wait_for(done, proc: ManagedProcess, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited:\n{proc.output()[-3000:]}")
        time.sleep(0.05)
    raise TimeoutError(f"{proc.name} did not start within {timeout:.0f} s")
