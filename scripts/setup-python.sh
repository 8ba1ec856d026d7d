#!/usr/bin/env bash
# Create or refresh the Python environment of the trainer at <repo>/.venv.
#
# Idempotent: a stamp holding the hash of the requirement files (and this script) makes a
# second call with unchanged requirements return at once. Safe on a fresh clone (CI runs it).
#
#   scripts/setup-python.sh            # create/refresh .venv
#   PYTHON=python3.11 scripts/setup-python.sh
#
# torch is pinned to 2.13.0 and installed first from the CPU wheel: a local wheel directory
# (pip's find-links, e.g. /opt/wheels) when one holds it, else the PyTorch CPU index, so no
# CUDA wheels are ever pulled.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo_root/.venv"
python_bin="${PYTHON:-python3}"
requirements=("$repo_root/trainer/requirements.txt" "$repo_root/trainer/requirements-dev.txt")
stamp="$venv/.crucible-requirements.sha256"

wanted="$(cat "${requirements[@]}" "$repo_root/trainer/pyproject.toml" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
  exit 0
fi

if [[ ! -x "$venv/bin/python" ]]; then
  echo "setup-python: creating $venv" >&2
  "$python_bin" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check --quiet)

torch_pin="$(grep -E '^torch==' "$repo_root/trainer/requirements.txt")"
have_local_torch=0
configured_links="$("$venv/bin/python" -m pip config get global.find-links 2>/dev/null || true)"
for dir in ${PIP_FIND_LINKS:-} $configured_links /opt/wheels; do
  if compgen -G "$dir/torch-${torch_pin#torch==}*.whl" >/dev/null 2>&1; then
    have_local_torch=1
    "${pip[@]}" install --find-links "$dir" "$torch_pin"
    break
  fi
done
if [[ "$have_local_torch" == 0 ]]; then
  # No local CPU wheel: pip's configured index decides. PyPI's Linux wheel bundles CUDA (GBs);
  # point PIP_INDEX_URL at a CPU wheel index first if you want the small one.
  echo "setup-python: no local $torch_pin wheel; installing it from pip's configured index" >&2
  "${pip[@]}" install "$torch_pin"
fi

echo "setup-python: installing pinned requirements" >&2
"${pip[@]}" install "${requirements[@]/#/-r}"
"${pip[@]}" install --no-deps --no-build-isolation -e "$repo_root/trainer" 2>/dev/null \
  || "${pip[@]}" install --no-deps -e "$repo_root/trainer"

installed_torch="$("$venv/bin/python" -c 'import torch; print(torch.__version__.split("+")[0])')"
if [[ "torch==$installed_torch" != "$torch_pin" ]]; then
  echo "setup-python: expected $torch_pin but found torch $installed_torch" >&2
  exit 1
fi
echo "$wanted" >"$stamp"
echo "setup-python: ready ($venv)" >&2
