#!/usr/bin/env bash
# Benchmark only: a PyTorch 2.x CPU peer in bench/.venv-torch, from the machine's local wheel
# folder ($PIP_FIND_LINKS), on Debian's python3 (its site packages give torch's dependencies).
# Debian's typing_extensions lacks names PyTorch 2.x imports; a small shim in the venv adds
# them. bench/run.mjs uses this python when it exists. Tests never need it.
set -euo pipefail
cd "$(dirname "$0")"
: "${PIP_FIND_LINKS:?set PIP_FIND_LINKS to the folder holding the torch wheel}"
/usr/bin/python3 -m venv --system-site-packages .venv-torch
.venv-torch/bin/pip install -q --ignore-installed --no-deps --no-index --find-links "$PIP_FIND_LINKS" torch
sp=$(.venv-torch/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
cat > "$sp/typing_extensions.py" <<'PY'
# Benchmark-only shim: Debian's typing_extensions lacks names PyTorch 2.x imports.
import importlib.util as _u, sys as _s
_spec = _u.spec_from_file_location('_debian_typing_extensions', '/usr/lib/python3/dist-packages/typing_extensions.py')
_m = _u.module_from_spec(_spec); _spec.loader.exec_module(_m)
globals().update({k: v for k, v in vars(_m).items() if not k.startswith('__')})
if 'deprecated' not in globals():
    def deprecated(msg, *, category=DeprecationWarning, stacklevel=1):
        def wrap(f):
            return f
        return wrap
if 'TypeIs' not in globals():
    TypeIs = TypeGuard
for _n in ('ParamSpec', 'Self', 'Never', 'TypeAlias', 'Concatenate', 'Unpack', 'TypeVarTuple', 'override', 'Required', 'NotRequired', 'LiteralString', 'assert_never'):
    if _n not in globals():
        import typing as _t
        if hasattr(_t, _n):
            globals()[_n] = getattr(_t, _n)
if 'TypeAliasType' not in globals():
    class TypeAliasType:
        def __init__(self, name, value, *, type_params=()):
            self.__name__, self.__value__, self.__type_params__ = name, value, type_params
        def __getitem__(self, params):
            return self
if 'Buffer' not in globals():
    class Buffer:  # benchmark shim
        pass
PY
# torch 2.x imports sympy's equal_valued, which Debian's sympy predates.
f="$sp/torch/utils/_sympy/functions.py"
grep -q "gradlab bench shim" "$f" || python3 - "$f" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("from sympy.core.numbers import equal_valued", "try:\n    from sympy.core.numbers import equal_valued\nexcept ImportError:  # older sympy (gradlab bench shim)\n    def equal_valued(x, y):\n        return sympy.sympify(x) == sympy.sympify(y)", 1)
open(p, "w").write(s)
PY
.venv-torch/bin/python -c 'import torch; print("bench/.venv-torch: PyTorch", torch.__version__)'
