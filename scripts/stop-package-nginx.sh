#!/usr/bin/env bash
# The nginx package starts a system nginx on port 80 when it is installed; the tests and the benchmark run
# their own. Stops that one by the pid file the package's configuration names (/run/nginx.pid), never by name.
set -euo pipefail
pidfile=/run/nginx.pid
if [ -f "$pidfile" ]; then
  pid=$(cat "$pidfile")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
  fi
fi
