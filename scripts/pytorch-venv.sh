#!/usr/bin/env bash
# Puts PyTorch (CPU) into the venv $1 from PyPI, for `make bench-pytorch`, and checks that it runs.
# PyPI's plain Linux torch wheel depends on the CUDA runtime packages (gigabytes, useless without a
# GPU), so torch goes in with --no-deps plus the few pure-Python packages it imports. A CPU-only
# build (a version ending in +cpu) is taken where the package index offers one; otherwise the
# newest torch with its CUDA runtime dependencies (it then runs on the CPU all the same).
set -euo pipefail
venv=$1
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
pip=("$venv/bin/python" -m pip --disable-pip-version-check -q)
if ! "$venv/bin/python" -c 'import torch, yaml' 2>/dev/null; then
  "${pip[@]}" install filelock 'typing-extensions>=4.10' sympy networkx jinja2 fsspec pyyaml numpy
  # (not `-q`: it silences the version list)
  cpu=$("$venv/bin/python" -m pip --disable-pip-version-check index versions torch 2>/dev/null | sed -n 's/^Available versions: //p' | tr ',' '\n' | tr -d ' ' | grep '+cpu$' | head -n 1 || true)
  if [ -n "$cpu" ]; then
    echo "installing torch==$cpu (CPU build, --no-deps) into $venv"
    "${pip[@]}" install --no-deps "torch==$cpu"
  else
    echo "no CPU-only torch on this index: installing torch with its CUDA runtime packages into $venv"
    "${pip[@]}" install torch
  fi
fi
"$venv/bin/python" - <<'PY'
import torch
x = torch.randn(64, 64)
assert torch.allclose(x @ torch.eye(64), x), "torch computes wrongly"
print(f"torch {torch.__version__} runs (CPU, {torch.get_num_threads()} threads available)")
PY
