# Shared set-up for bin/run and bin/test (sourced): finds a Python >= 3.12,
# makes sure uv is available and installs the locked dependencies into .venv.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export UV_PYTHON_DOWNLOADS=never  # use an interpreter on this machine, never download one

python_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; }

find_python() {
  local candidate resolved
  local candidates=()
  [ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
  candidates+=(python3.13 python3.12 python3.14)
  for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3; do
    candidates+=("$candidate")
  done
  candidates+=(/usr/local/bin/python3 /usr/bin/python3 python3)
  for candidate in "${candidates[@]}"; do
    resolved="$(command -v "$candidate" 2>/dev/null)" || continue
    if python_ok "$resolved"; then echo "$resolved"; return 0; fi
  done
  return 1
}

if ! PY="$(find_python)"; then
  echo "Kalytera needs Python 3.12 or newer. Install one, or point PYTHON at it: PYTHON=/path/to/python3.12 $0" >&2
  exit 1
fi

if command -v uv >/dev/null 2>&1; then
  UV="$(command -v uv)"
elif [ -x "$ROOT/.tools/bin/uv" ]; then
  UV="$ROOT/.tools/bin/uv"
else
  echo "Installing uv (the package installer) into .tools/ ..."
  "$PY" -m venv "$ROOT/.tools"
  "$ROOT/.tools/bin/python" -m pip install --quiet --disable-pip-version-check uv
  UV="$ROOT/.tools/bin/uv"
fi

echo "Installing dependencies (Python: $PY) ..."
"$UV" sync --locked --quiet --python "$PY"
VENV_PY="$ROOT/.venv/bin/python"
