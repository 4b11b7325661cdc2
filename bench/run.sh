#!/usr/bin/env bash
# The benchmark in one command: bench/run.sh [--quick] [--profile] [...]; see docs/performance.md.
# Uses the project's virtual environment (.venv) when there is one, else the python3 on PATH.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="$root/.venv/bin/python"
[ -x "$python" ] || python="$(command -v python3)"
exec "$python" "$root/bench/run.py" "$@"
