#!/usr/bin/env bash
# The first command of the README: install dependencies, build, and start
# latchkeyd on the embedded SQLite store. On the first start it bootstraps the
# admin user and prints the URL and a one-time admin credential.
#   scripts/run.sh [latchkeyd flags...]   (default: --listen 127.0.0.1:8080 --data ./latchkey-data)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh build >/dev/null
if [ $# -eq 0 ]; then
  set -- --listen "${LATCHKEY_LISTEN:-127.0.0.1:8080}" --data "${LATCHKEY_DATA:-./latchkey-data}"
fi
exec ./build/src/server/latchkeyd "$@"
