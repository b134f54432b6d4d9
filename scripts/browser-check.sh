#!/usr/bin/env bash
# Starts GridBot on a fresh copy of the demo community, drives the staff console and the
# merchant counter in headless Chromium (scripts/browser-check.mjs), and saves screenshots in
# screenshots/. Exits non-zero when a page errors. Needs chromium, node 20+ and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

for tool in chromium node python3; do
  command -v "$tool" >/dev/null || { echo "browser-check: $tool is not installed" >&2; exit 2; }
done

swift build --product gridbot >/dev/null
work="$(mktemp -d)"
port="${GRIDBOT_CHECK_PORT:-18765}"
.build/debug/gridbot serve --port "$port" --database "$work/gridbot.sqlite" --log-level warning >"$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done

status=0
node --experimental-websocket scripts/browser-check.mjs "http://127.0.0.1:$port" "$work/gridbot.sqlite" screenshots || status=$?
if grep -q " error " "$work/server.log"; then
  echo "browser-check: the server logged errors:" >&2
  grep " error " "$work/server.log" >&2
  status=1
fi
exit "$status"
