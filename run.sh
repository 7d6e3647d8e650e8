#!/usr/bin/env bash
# Set-up and entry points of MMT on a fresh machine.
#   ./run.sh demo          install, load the sample data, run every analysis, serve on 127.0.0.1:5000
#   ./run.sh test [ARGS]   install and run the whole test suite (ARGS go to pytest)
#   ./run.sh bench [ARGS]  install the benchmark dependencies and run benchmarks/run.py
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=.venv

setup() {
    local extras=$1
    if [ ! -x "$VENV/bin/python" ]; then
        "$PYTHON" -m venv "$VENV"
        "$VENV/bin/pip" install --quiet --upgrade pip
    fi
    # Reinstall only when pyproject.toml changed or an extra is missing. The stamp keeps every extra installed
    # since, so switching between demo, test and bench installs nothing the second time.
    local stamp="$VENV/.mmt-installed"
    local digest installed="" missing=""
    digest="$(sha256sum pyproject.toml | cut -c1-64)"
    if [ -f "$stamp" ] && [ "$(cut -d' ' -f1 "$stamp")" = "$digest" ]; then
        installed="$(cut -d' ' -f2 -s "$stamp")"
    fi
    for extra in ${extras//,/ }; do
        case ",$installed," in
            *",$extra,"*) ;;
            *) missing="$missing,$extra" ;;
        esac
    done
    if [ ! -f "$stamp" ] || [ -z "$installed" ] || [ -n "$missing" ]; then
        local all="${installed:+$installed,}${extras}"
        all="$(echo "$all" | tr ',' '\n' | sort -u | paste -sd, -)"
        "$VENV/bin/pip" install --quiet -e ".[$all]"
        echo "$digest $all" > "$stamp"
    fi
}

command=${1:-}
shift || true
case "$command" in
    demo)
        setup "test"
        exec "$VENV/bin/mmt" demo "$@"
        ;;
    test)
        setup "test,spark"
        exec "$VENV/bin/python" -m pytest "$@"
        ;;
    bench)
        setup "test,bench"
        exec "$VENV/bin/python" benchmarks/run.py "$@"
        ;;
    *)
        echo "usage: ./run.sh demo | test [pytest arguments] | bench [arguments]" >&2
        exit 2
        ;;
esac
