"""The month's hot loops compiled with numba: the same bits as the numpy reference.

The numpy code beside each rule (``model/pathways.py``, ``model/ledger.py``) is the
reference implementation, readable and vectorised; a kernel here computes exactly the
same floating-point operations in the same order, only fewer of them (the moves out of
each citizen's current level, not all 33; the living rows' money, not a full-length
copy). ``tests/test_kernels.py`` and ``runs.fingerprint`` prove the bits equal.

- ``model.kernels.pathways``: the pathway step (features, log-rates, the draw).
- ``model.kernels.ledger``: booking an amount per living row into an account.

Choose with the environment variable ``WELFARE_PATHWAYS_ENGINE``: ``auto`` (the default:
compiled from ``AUTO_MIN_CITIZENS`` citizens at the start, numpy below), ``compiled`` or
``numpy`` (the reference); worker processes inherit it. This module imports no numba, so
a run on the numpy engine never loads it.

Why ``auto``: the kernels save ~95 ns per citizen-month (100,000 citizens x 240 months:
17.0 s against 19.3 s), but loading numba costs a process ~0.35 s and ~130 MB of resident
memory (LLVM), once. Below ~15,000 citizens over 20 years that is more than the kernels
save, and the dashboard's runs (2,000 citizens), the calibration's and the tests' are
smaller still (docs/benchmark.md). The results are the same bits either way.

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
ENGINES = ("auto", "compiled", "numpy")
#: ``auto`` compiles from this many citizens at the start (``population.size``)
AUTO_MIN_CITIZENS = 50_000


def selected() -> str:
    """The engine ``WELFARE_PATHWAYS_ENGINE`` asks for: ``auto`` (default), ``compiled`` or
    ``numpy``."""
    name = os.environ.get(ENGINE_VARIABLE, "").strip().lower() or "auto"
    if name not in ENGINES:
        raise ParameterError(f"{ENGINE_VARIABLE}={name!r}: allowed values are 'auto', 'compiled' and 'numpy'")
    return name


def compiled(citizens: int) -> bool:
    """Whether a run starting with ``citizens`` runs the compiled kernels."""
    name = selected()
    return name == "compiled" or (name == "auto" and citizens >= AUTO_MIN_CITIZENS)
