#!/usr/bin/env bash
# Installs what the benchmark runs against: nginx (the server) and wrk (to show the server's headroom).
set -euo pipefail
need=()
[ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
[ ${#need[@]} -eq 0 ] && exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
bash "$(dirname "$0")/../scripts/stop-package-nginx.sh"
