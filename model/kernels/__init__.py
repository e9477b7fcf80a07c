"""The month's hot loops compiled with numba: the same bits as the numpy reference.

The numpy code beside each rule (``model/pathways.py``, ``model/ledger.py``) is the
reference implementation, readable and vectorised; a kernel here computes exactly the
same floating-point operations in the same order, only fewer of them (the moves out of
each citizen's current level, not all 33; the living rows' money, not a full-length
copy). ``tests/test_kernels.py`` and ``runs.fingerprint`` prove the bits equal.

- ``model.kernels.pathways``: the pathway step (features, log-rates, the draw).
- ``model.kernels.ledger``: booking an amount per living row into an account.

Choose with the environment variable ``WELFARE_PATHWAYS_ENGINE``: ``compiled`` (the
default) or ``numpy`` (the reference); worker processes inherit it. This module imports
no numba, so choosing ``numpy`` never compiles anything.

Compilation: each kernel is compiled once for fixed argument types (``cache=True``: the
machine code is kept in ``__pycache__`` beside the source, or in ``NUMBA_CACHE_DIR``), so
only the first process on a machine compiles (a few seconds, docs/benchmark.md); one
compile serves every parameter set, since rates, hazard ratios and rule structure are
passed as arrays.
"""

from __future__ import annotations

import os

from model.params import ParameterError

#: the environment variable that chooses the engine
ENGINE_VARIABLE = "WELFARE_PATHWAYS_ENGINE"
ENGINES = ("compiled", "numpy")


def selected() -> str:
    """The engine ``WELFARE_PATHWAYS_ENGINE`` asks for: ``compiled`` (default) or ``numpy``."""
    name = os.environ.get(ENGINE_VARIABLE, "").strip().lower() or "compiled"
    if name not in ENGINES:
        raise ParameterError(f"{ENGINE_VARIABLE}={name!r}: allowed values are 'compiled' and 'numpy'")
    return name


def compiled() -> bool:
    """Whether the month runs the compiled kernels."""
    return selected() == "compiled"
