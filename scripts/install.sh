#!/usr/bin/env bash
# Create .venv with Python 3.10 and install the pinned dependencies.
# Idempotent: make only calls this when requirements.lock or pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python310() {
  if command -v python3.10 >/dev/null 2>&1 && python3.10 -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
    command -v python3.10; return 0
  fi
  local root="${PYENV_ROOT:-$HOME/.pyenv}"
  local candidate
  for candidate in $(ls -d "$root"/versions/3.10.* 2>/dev/null | sort -V -r); do
    if [ -x "$candidate/bin/python3.10" ]; then echo "$candidate/bin/python3.10"; return 0; fi
  done
  return 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
  if ! py=$(find_python310); then
    echo "error: Python 3.10 not found (Rasa 3.6 needs it): install it, e.g. 'pyenv install 3.10', and run make again." >&2
    exit 1
  fi
  rm -rf .venv
  echo "Creating .venv with $py"
  "$py" -m venv .venv
fi

.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade "pip<24.1" wheel
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
.venv/bin/python -m pip check
touch .venv/.installed
