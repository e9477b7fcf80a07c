"""Drawing a cohort's levels compiled with numba: the rescaling of the tilted starting
shares (``model.population._tilted_cumulative_shares``), the same bits as its numpy loop.

Every month draws two cohorts (newcomers, children turning 18) of a few dozen citizens;
the numpy loop's 30 rounds of rescaling are ~150 numpy calls, so their per-call cost,
not the arithmetic, was ~0.5 ms a cohort (~15% of a 2,000-citizen month). The kernel
does the same additions, multiplications and divisions in the same order (a citizen's
levels added left to right, a level's sum over citizens added in citizen order, as
``cumsum`` adds them), ~7x faster; ``log`` and ``exp`` stay numpy's, before the kernel.
``tests/test_kernels.py`` checks the bits for cohorts of 0 to 20,000 citizens.
"""

from __future__ import annotations

import numpy as np
from numba import types as nt

from model.kernels._numba import jit

_f64 = nt.float64


@jit(nt.void(_f64[:, :, ::1]))
def _normalise(w):
    """Each citizen's weights (``w[d, :, i]``) divided by their sum, added left to right."""
    n_dom, n_lv, n = w.shape
    for d in range(n_dom):
        for i in range(n):
            total = w[d, 0, i]
            for k in range(1, n_lv):
                total += w[d, k, i]
            for k in range(n_lv):
                w[d, k, i] = w[d, k, i] / total


@jit(nt.void(_f64[:, :, ::1], _f64[:, ::1], nt.int64))
def cumulative_fitted_shares(w, target, rounds):
    """In place: ``w`` (domains x levels x citizens, each citizen's tilted weights, 0 for
    a domain's unused levels) normalised per citizen, rescaled ``rounds`` times so the
    mean over citizens matches ``target`` (domains x levels), and summed cumulatively
    over the levels: the numpy loop of ``_tilted_cumulative_shares``, step for step."""
    n_dom, n_lv, n = w.shape
    _normalise(w)
    factor = np.empty((n_dom, n_lv))
    for _ in range(rounds if n > 0 else 0):
        for d in range(n_dom):
            for k in range(n_lv):
                total = w[d, k, 0]
                for i in range(1, n):
                    total += w[d, k, i]
                mean = total / n
                factor[d, k] = target[d, k] / (mean if mean >= 1e-300 else 1e-300)
        for d in range(n_dom):
            for k in range(n_lv):
                f = factor[d, k]
                for i in range(n):
                    w[d, k, i] = w[d, k, i] * f
        _normalise(w)
    for d in range(n_dom):
        for k in range(1, n_lv):
            for i in range(n):
                w[d, k, i] = w[d, k - 1, i] + w[d, k, i]
