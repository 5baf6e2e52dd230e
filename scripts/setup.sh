#!/usr/bin/env bash
# Shared set-up for scripts/demo and scripts/test: a virtual environment with
# the project and its dev extras, and a Chromium the worker can launch.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${STEWARD_VENV:-.venv}"
say() { printf '[setup] %s\n' "$*" >&2; }
as_root() { [ "$(id -u)" = 0 ]; }

if [ ! -x "$VENV/bin/python" ]; then
  say "creating virtual environment in $VENV"
  if ! python3 -m venv "$VENV" 2>/dev/null; then
    if as_root; then
      apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
      python3 -m venv "$VENV"
    else
      say "python3 -m venv failed; install python3-venv"; exit 1
    fi
  fi
fi

stamp="$VENV/.steward-installed"
want=$(sha256sum pyproject.toml | cut -c1-64)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing steward with dev extras"
  "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
  "$VENV/bin/python" -m pip install -q -e ".[dev]"
  echo "$want" > "$stamp"
fi

# A Chromium: STEWARD_CHROMIUM, else Debian's, else Playwright's, else apt.
if [ -n "${STEWARD_CHROMIUM:-}" ] && [ -x "${STEWARD_CHROMIUM}" ]; then
  :
elif [ -x /usr/bin/chromium ]; then
  :
elif "$VENV/bin/python" -m playwright install chromium >/dev/null 2>&1; then
  say "using Playwright's Chromium"
elif as_root; then
  say "installing Debian's chromium"
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
else
  say "no Chromium found: set STEWARD_CHROMIUM, or install the chromium package"; exit 1
fi
