#!/usr/bin/env bash
# Installs what the observability checks need (Debian's prometheus package: /usr/bin/prometheus
# and /usr/bin/promtool), then runs promtool on the shipped rules and scrape example.
# The package may register a systemd service; nothing here starts or relies on it: the tests
# start their own Prometheus, with their own config, storage and port.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
promtool --version | head -n 1

promtool check rules deploy/prometheus/alerts.yml
promtool test rules deploy/prometheus/*test*.yml
(cd deploy/prometheus && promtool check config prometheus.yml)
