"""The ledger's monthly booking of the consequences compiled with numba: the same bits as
``model.ledger.Ledger._book_profiles``'s numpy passes.

Each living citizen's consequences (health care, police, benefits and their refunds,
housing benefit, taxes) and wellbeing are looked up in tables by the profile of their
levels and month of the benefits spell (``Ledger._consequences``, evaluated at set-up).
The numpy reference gathers each account's amounts, scatters them into a full-length
vector and adds it to the account's per-citizen totals: four passes per account over
every row, ~5 ms a month at 100,000 citizens. The kernel makes one pass over the living,
adding each amount where it belongs (one addition per citizen and account, as numpy's
makes it, so the same bits) and counting the profiles, from which the month's totals are
made in numpy (``Ledger.book_month``).
"""

from __future__ import annotations

import numpy as np
from numba import types as nt

from model.kernels._numba import jit

_i8, _i32, _i64, _f32, _f64, _b = nt.int8, nt.int32, nt.int64, nt.float32, nt.float64, nt.boolean


@jit(nt.void(_i64[::1], _i8[:, :], _i32[:], _i64[::1], _i64, _f64[:, ::1], _i64[::1], _i64[::1], _f64[::1],
         _f64[:, :], _f32[:, :], _b, _f64[:], _i64[::1]))
def book_profiles(rows, levels, months, level_counts, steps, units, accounts, budget_of, unit_qol,
                  citizen_total, by_budget, detail, qaly, counts):
    """For each citizen of ``rows``: the profile of their ``levels`` (domains x rows, as
    ``np.ravel_multi_index`` numbers it) and month of the spell ``months`` (clipped to
    1..``steps``) give the column ``c``; ``units[k, c]`` is added to
    ``citizen_total[accounts[k], row]`` (and, with ``detail``, to the float32
    ``by_budget[budget_of[k], row]``), ``unit_qol[profile] / 12`` to ``qaly[row]``, and
    ``counts[c]`` is incremented."""
    n_dom = level_counts.size
    code = np.empty(rows.size, dtype=np.int64)
    for j in range(rows.size):
        r = rows[j]
        profile = np.int64(0)
        for d in range(n_dom):
            profile = profile * level_counts[d] + levels[d, r]
        m = np.int64(months[r])
        m = 1 if m < 1 else (steps if m > steps else m)
        c = profile * steps + m - 1
        code[j] = c
        qaly[r] += unit_qol[profile] / 12.0
        counts[c] += 1
    # account by account: two streams of memory at a time, not one per account
    for k in range(accounts.size):
        a, b = accounts[k], budget_of[k]
        unit, total = units[k], citizen_total[a]
        for j in range(rows.size):
            total[rows[j]] += unit[code[j]]
        if detail:
            detail_row = by_budget[b]
            for j in range(rows.size):
                detail_row[rows[j]] = np.float32(np.float64(detail_row[rows[j]]) + unit[code[j]])
