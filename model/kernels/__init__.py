"""The month's hot loops compiled with numba: the same bits as the numpy reference.

The numpy code beside each rule (``model/pathways.py``, ``model/population.py``,
``model/ledger.py``, ``model/children.py``) is the reference implementation, readable
and vectorised; a kernel here computes exactly the same floating-point operations in the
same order, only fewer of them or without numpy's per-call cost (the moves out of each
citizen's current level, not all 33; a month's cohort of a few dozen citizens in one
call, not ~150). ``tests/test_kernels.py`` and ``runs.fingerprint`` prove the bits
equal.

- ``model.kernels.pathways``: the pathway step (features, log-rates, the draw).
- ``model.kernels.population``: fitting a cohort's starting shares (``draw_cohort``).
- ``model.kernels.children``: the children's month (the parents' states, placement and
  school moves, the month's tally).
- ``model.kernels.ledger``: booking the consequences and the wellbeing by profile
  (``Ledger._book_profiles``).

Choose with the environment variable ``WELFARE_PATHWAYS_ENGINE``: ``compiled`` (the
default) or ``numpy`` (the reference); worker processes inherit it. This module imports
no numba, so a run on the numpy engine never loads it.

What numba costs: a process loads it and the kernels from the cache once, ~0.4 s (0.7 s
when the files are not in the system's cache) and ~110 MB of resident memory (~75 MB of
it file-backed pages of LLVM's library, shared between processes, ~32 MB private;
measured 2026-11-25). The kernels save ~0.6-1.0 s in 10,000 x 240 months and ~4.4 s in
100,000 x 240 months (docs/benchmark.md), so a
job of a few runs (a comparison's replications, the dashboard's pool, a sweep's worker)
gains; a single small run, or a million citizens held under a memory limit, may prefer
``numpy`` (docs/benchmark.md).

Compilation: each kernel is compiled once for fixed argument types (``cache=True``: the
machine code is kept in ``__pycache__`` beside the source, or in ``NUMBA_CACHE_DIR``), so
only the first process on a machine compiles (~2.4 s, docs/benchmark.md); one compile
serves every parameter set, since rates, hazard ratios and rule structure are passed as
arrays.
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
