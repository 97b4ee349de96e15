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
# The package starts a system nginx on port 80; the benchmark runs its own.
pkill -x nginx 2>/dev/null || true
