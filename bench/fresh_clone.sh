#!/usr/bin/env bash
# Seconds from `git clone` to the first call answered by an agent under `make run`, and from
# `git clone` to the end of `make test`, each on its own fresh clone with an empty uv cache
# (every Python package downloaded from PyPI, as on a new machine; Debian packages already
# installed are not counted).
#
#   bash bench/fresh_clone.sh [REPO]        # REPO: this checkout by default
#   FRESH_SKIP_TEST=1 bash bench/fresh_clone.sh   # the first call only
set -euo pipefail
repo=${1:-$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)}
work=$(mktemp -d /tmp/fresh-clone.XXXXXX)
now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(now)"; }

# Monday 7 December 2026, 09:00 Paris: support is open, whatever today is
shift=$(python3 -c "
from datetime import datetime; from zoneinfo import ZoneInfo
print(int(datetime(2026, 12, 7, 9, tzinfo=ZoneInfo('Europe/Paris')).timestamp() - datetime.now().timestamp()))")

start=$(now)
UV_CACHE_DIR=$work/uv-cache-run git clone -q "$repo" "$work/run"
cd "$work/run"
IVR_CLOCK_SHIFT=$shift UV_CACHE_DIR=$work/uv-cache-run setsid make run > "$work/run.log" 2>&1 &
runner=$!
trap 'kill -TERM -- -$runner 2>/dev/null || true; wait $runner 2>/dev/null || true' EXIT
until curl -sf http://127.0.0.1:5000/healthz >/dev/null 2>&1; do
    kill -0 $runner 2>/dev/null || { cat "$work/run.log"; exit 1; }
    sleep 0.2
done
IVR_CLOCK_SHIFT=$shift .venv/bin/ivr agents status sophie available >/dev/null
outcome=$(IVR_CLOCK_SHIFT=$shift .venv/bin/ivr call --url http://127.0.0.1:5000 --from +33144001001 --press - \
          --press 1 --press 1 --hold 2000 --json | python3 -c "
import json, sys; print(json.load(sys.stdin)['outcome'])")
first_call=$(since "$start")
echo "clone -> first call answered (make run): ${first_call} s, outcome $outcome"
kill -TERM -- -$runner; wait $runner 2>/dev/null || true
trap - EXIT

if [ -z "${FRESH_SKIP_TEST:-}" ]; then
    start=$(now)
    UV_CACHE_DIR=$work/uv-cache-test git clone -q "$repo" "$work/test"
    (cd "$work/test" && UV_CACHE_DIR=$work/uv-cache-test make test > "$work/test.log" 2>&1) \
        || { tail -30 "$work/test.log"; exit 1; }
    echo "clone -> end of make test: $(since "$start") s ($(tail -1 "$work/test.log"))"
fi
rm -rf "$work"
