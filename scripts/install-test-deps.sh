#!/usr/bin/env bash
# Installs the Debian packages the interop tests run against: httpbin served by gunicorn, tinyproxy, and
# nginx (HTTP/2 over TLS).
# Needs root (CI and these machines run as root); does nothing when they are already there.
set -euo pipefail
need=()
for pkg in python3-httpbin python3-brotli gunicorn tinyproxy nginx-light; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -eq 0 ]; then
  echo "test dependencies: already installed"
  exit 0
fi
echo "test dependencies: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
bash "$(dirname "$0")/stop-package-nginx.sh"
