#!/usr/bin/env bash
# Installs the Debian packages the interop tests run against: httpbin served by gunicorn, and tinyproxy.
# Needs root (CI and these machines run as root); does nothing when they are already there.
set -euo pipefail
need=()
python3 -c "import httpbin" 2>/dev/null || need+=(python3-httpbin python3-brotli)
command -v gunicorn >/dev/null 2>&1 || need+=(gunicorn)
command -v tinyproxy >/dev/null 2>&1 || [ -x /usr/bin/tinyproxy ] || need+=(tinyproxy)
if [ ${#need[@]} -eq 0 ]; then
  echo "test dependencies: already installed"
  exit 0
fi
echo "test dependencies: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
