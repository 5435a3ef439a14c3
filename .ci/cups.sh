#!/usr/bin/env bash
# Installs what the CUPS tests (tests/cups/) need: Debian's cups (cupsd, lpadmin, the socket
# backend), cups-ipp-utils (ippeveprinter, a generic IPP Everywhere printer) and
# printer-driver-gutenprint (the Magicard driver queue), and avahi-daemon: Debian's ippeveprinter
# will not start without DNS-SD, so its fixture runs a private D-Bus bus and an Avahi daemon
# limited to the loopback interface that publishes nothing. Nothing is started or enabled here:
# each test starts its own private cupsd on a loopback port and stops it by pid; the system's
# own cups service is left as the package installed it.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -x /usr/sbin/cupsd ] || missing+=(cups)
[ -x /usr/sbin/ippeveprinter ] || missing+=(cups-ipp-utils)
[ -d /usr/share/gutenprint ] || missing+=(printer-driver-gutenprint)
[ -x /usr/sbin/avahi-daemon ] || missing+=(avahi-daemon)
[ -x /usr/bin/dbus-daemon ] || missing+=(dbus)
if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    # policy-rc.d-free images may try to start the service; the tests do not need it running.
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
dpkg-query -W -f='${Package} ${Version}\n' cups cups-ipp-utils printer-driver-gutenprint avahi-daemon
