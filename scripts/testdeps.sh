#!/usr/bin/env bash
# Installs, from Debian's packages, the programs the tests drive: zbarimg
# (zbar-tools) reads QR codes back; chromium runs the web UI's end-to-end
# test (internal/webui). Needs root (or sudo) the first time only.
set -euo pipefail
need=()
command -v zbarimg >/dev/null 2>&1 || need+=(zbar-tools)
[ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing ${need[*]} for the tests" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${need[@]}" >/dev/null
