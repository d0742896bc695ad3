#!/usr/bin/env bash
# Install the project with its test extras into .venv, lint, and run the whole suite.
# Works on a fresh clone with only Python (3.10+) and pip; extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "scripts/test.sh: needs Python 3.10 or newer as '$PYTHON' (set PYTHON=...)" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

# the web console's browser tests drive Debian's chromium (never a browser Playwright
# downloads): install it when missing and we can (root with apt-get, as on CI)
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "scripts/test.sh: installing Debian's chromium for the browser tests" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-cache show chromium >/dev/null 2>&1 || apt-get update -q >/dev/null || true
    apt-get install -y -q chromium >/dev/null \
        || echo "scripts/test.sh: could not install chromium (see above)" >&2
fi

.venv/bin/ruff check .
# the SDK ships py.typed: its types must hold, for itself and for code written from the guide
.venv/bin/mypy --strict monstrum_tui/client monstrum tests/guide_scripts

# headless and unattended: no terminal, no stdin, a known terminal type for Textual
export TERM="${TERM:-xterm-256color}"
status=0
.venv/bin/python -m pytest -q "$@" </dev/null || status=$?
if [ "$status" -eq 5 ]; then
    echo "scripts/test.sh: pytest collected no tests; the test paths or selection are wrong" >&2
    exit 1
fi
exit "$status"
