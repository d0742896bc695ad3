#!/usr/bin/env bash
# Install the project with its test extras into .venv, lint, and run the whole suite:
# once on SQLite, then the store/API/runner/audit tests again with every server on
# PostgreSQL. Works on a fresh clone with only Python (3.10+) and pip; PostgreSQL is a
# throwaway server (scripts/pg.sh) when its binaries are on the machine. Extra
# arguments go to pytest, in both passes.
#   MONSTRUM_TEST_PG=0   skip PostgreSQL (never on CI, where it must run)
#   MONSTRUM_TEST_WORKERS=N  pytest-xdist workers (default 2; 0 runs in one process)
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
# type hints everywhere, checked: the whole app (the SDK ships py.typed, so its types must
# hold for itself and for code written from the guide)
.venv/bin/mypy --strict monstrum_tui monstrum tests/guide_scripts

# the tests that run a second time with the servers' data in PostgreSQL
# (the rest is the same on either store: the UI, the client, pure functions)
POSTGRES_PASS=(
    tests/test_api_errors.py tests/test_api_fuzz.py tests/test_api_fuzz_regressions.py tests/test_bot_pages.py
    tests/test_audit_api.py tests/test_audit_pages.py tests/test_auth_scopes.py tests/test_cli_tasks.py
    tests/test_demo_resources.py tests/test_integrations_api.py tests/test_resources_api.py
    tests/test_sdk_guide.py tests/test_secrets_canary.py tests/test_serve.py
    tests/test_smoke_bots.py tests/test_task_stream.py tests/test_task_tools.py
    tests/test_tasks.py
)

loud() {
    printf '\n%s\n%s\n%s\n\n' "################################################################" \
        "scripts/test.sh: $*" "################################################################" >&2
}

pg_dir=""
stop_pg() {
    if [ -n "$pg_dir" ]; then
        bash scripts/pg.sh stop "$pg_dir" || true
    fi
}
trap stop_pg EXIT

if [ "${MONSTRUM_TEST_PG:-1}" = "0" ] && [ -z "${CI:-}" ]; then
    loud "MONSTRUM_TEST_PG=0: the PostgreSQL tests are SKIPPED"
else
    pg_dir="$(mktemp -d "${TMPDIR:-/tmp}/monstrum-pg.XXXXXX")"
    pg_status=0
    pg_url="$(bash scripts/pg.sh start "$pg_dir")" || pg_status=$?
    if [ "$pg_status" -eq 0 ]; then
        export MONSTRUM_TEST_POSTGRES_URL="$pg_url"
        echo "scripts/test.sh: a throwaway PostgreSQL is up at $pg_url"
    elif [ "$pg_status" -eq 3 ] && [ -z "${CI:-}" ]; then
        pg_dir=""
        loud "no PostgreSQL binaries found: the PostgreSQL tests are SKIPPED (install postgresql, or set PG_BIN; CI runs them)"
    else
        echo "scripts/test.sh: could not start PostgreSQL (see above)" >&2
        exit 1
    fi
fi

# headless and unattended: no terminal, no stdin, a known terminal type for Textual
export TERM="${TERM:-xterm-256color}"

# two workers by default (the CI machine has 2 cores); each test file stays on one worker
# so its module fixtures (servers) start once. MONSTRUM_TEST_WORKERS=0 runs in-process.
WORKERS="${MONSTRUM_TEST_WORKERS:-2}"
run_pytest() {
    local status=0
    local parallel=()
    if [ "$WORKERS" != "0" ]; then
        parallel=(-n "$WORKERS" --dist loadfile)
    fi
    .venv/bin/python -m pytest -q "${parallel[@]}" "$@" </dev/null || status=$?
    if [ "$status" -eq 5 ]; then
        echo "scripts/test.sh: pytest collected no tests; the test paths or selection are wrong" >&2
        return 1
    fi
    return "$status"
}

status=0
echo "scripts/test.sh: the whole suite, on SQLite"
run_pytest "$@" || status=$?

if [ -n "${MONSTRUM_TEST_POSTGRES_URL:-}" ]; then
    echo "scripts/test.sh: the store, API, runner and audit tests, on PostgreSQL"
    if [ "$#" -gt 0 ]; then
        MONSTRUM_TEST_STORE=postgresql run_pytest "$@" || status=$?
    else
        MONSTRUM_TEST_STORE=postgresql run_pytest "${POSTGRES_PASS[@]}" || status=$?
    fi
fi
exit "$status"
