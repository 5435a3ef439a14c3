#!/usr/bin/env bash
# Installs what the `browser` tests and the systemd unit checks need: Debian's chromium and
# chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver; playwright's own browser download
# does not work here), and systemd for `systemd-analyze verify`. selenium comes from the test
# extra. Nothing is started here: each test starts and stops its own browser.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v systemd-analyze >/dev/null || missing+=(systemd)
command -v msgfmt >/dev/null || missing+=(gettext)
if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
chromium --version
chromedriver --version | head -n 1
systemd-analyze --version | head -n 1
