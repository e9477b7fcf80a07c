"""The children's month compiled with numba: the same bits as the numpy reference in
``model/children.py`` (``Children._parent_states``, ``Children._move``).

The numpy reference makes some thirty passes over the ~64,000 children of a 100,000-
citizen run, each gathering the children's entries out of arrays of every child row
(grown-ups included) and scattering them back; these kernels make one pass per stage,
reading and writing the rows in place.

Why the same bits:

- The parent's hazard ratio is summed in the reference's order, ``1 + (hr - 1) x flag``
  for each of ``PARENT_STATES`` and then the parent's death, each product rounded before
  the sum (numba emits no fused multiply-add without ``fastmath``; ``x * 0.0`` is not
  folded away), then multiplied by the child's own risk.
- A hazard's argument ``-(rate) / 12`` is computed here with the reference's operations in
  its order (``per_year x hr x preventive_hr x programme hr``); ``expm1`` stays numpy's,
  called between the kernels on a compact buffer (numba's differ from numpy's SIMD
  versions in the last bit; ``model/kernels/pathways.py``). An element's value does not
  depend on its neighbours in numpy's loops, so a rate that takes one of two values (the
  return home) is computed for the two values, not per child.
- The comparisons are the reference's, on the same floats (``u < p_place``,
  ``u < p_place + p_prev``, ``u >= 1 - p_end``).

``tests/test_kernels.py`` compares both on random states and ``runs.fingerprint`` on every
shipped scenario; the engine is chosen in ``model/kernels/__init__.py``.
"""

from __future__ import annotations

import numpy as np
from numba import types as nt

from model.kernels._numba import jit

_i8, _i16, _i32, _i64, _f64, _b = nt.int8, nt.int16, nt.int32, nt.int64, nt.float64, nt.boolean
#: ``agents.states.Placement`` and ``School`` (checked against them by ``tests/test_kernels.py``)
HOME, PREVENTIVE, FOSTER, INSTITUTION = 0, 1, 2, 3
ON_TRACK, BEHIND = 0, 1


def _jit(result, *signature):
    """A kernel compiled for these argument types, returning ``result``."""
    return jit(result(*signature))


@_jit(nt.void, _i64[::1], _i64[::1], _b[::1], _i8[::1], _i8[:, :], _b[::1], _f64[::1], _i64[::1], _i64[::1], _b[::1],
      _f64[::1], _i8, _i8, _b[:, ::1], _f64[::1], _b[::1], _b[::1], _b[::1])
def parent_states(kids, parent, alive, status, levels, ever_prison, own_risk, state_domain, state_levels, ill,
                  hr_minus_one, died, pending, flags, hr, at_risk, parent_ever_prison, parent_ever_ill):
    """Per child of ``kids``: ``flags[s]`` whether the living parent is in state ``s`` of
    ``PARENT_STATES`` (domain ``state_domain[s]``, levels the bits of ``state_levels[s]``),
    and in the last row whether the parent has died; ``hr`` = ``(1 + sum (hr - 1) x
    flag) x own risk``; ``at_risk`` = any flag. Per child row: the parent ever in prison
    (in the target group) and ever ill (a state ``ill``) are recorded.

    The parents' levels are gathered once (one pass), then each state is a pass of its
    own over the gathered levels: ~3x faster than one pass over the children adding the
    states one after the other (each child's sum is still added in the states' order)."""
    n_states = state_domain.size
    n = kids.size
    lv = np.empty((levels.shape[0], n), np.int64)
    living = np.empty(n, np.int64)
    for i in range(n):
        c = kids[i]
        p = parent[c]
        for d in range(levels.shape[0]):
            lv[d, i] = levels[d, p]
        living[i] = alive[p]
        flags[n_states, i] = status[p] == died
        if ever_prison[p] and status[p] != pending:
            parent_ever_prison[c] = True
        hr[i] = 1.0
        at_risk[i] = False
    is_ill = np.zeros(n, np.bool_)
    for s in range(n_states):
        row, bits, term, ill_s, flag = lv[state_domain[s]], state_levels[s], hr_minus_one[s], ill[s], flags[s]
        for i in range(n):
            f = (living[i] & (bits >> (row[i] & 7)) & 1) != 0  # a level below 0 (none) is bit 7, never set
            flag[i] = f
            hr[i] = hr[i] + term * (1.0 if f else 0.0)
            at_risk[i] |= f
            is_ill[i] |= f and ill_s
    term, flag = hr_minus_one[n_states], flags[n_states]
    for i in range(n):
        c = kids[i]
        hr[i] = (hr[i] + term * (1.0 if flag[i] else 0.0)) * own_risk[c]
        at_risk[i] |= flag[i]
        if is_ill[i]:
            parent_ever_ill[c] = True


@_jit(nt.void, _i64[::1], _i8[::1], _f64[::1], _b[::1], _f64[::1], _f64[::1], _f64, _f64, _f64, _f64, _f64[::1],
      _f64[::1])
def placement_arguments(kids, placement, hr, at_risk, own_risk, hr_place, per_year, preventive_hr, prev_at_risk,
                        prev_rate, arg_place, arg_prev):
    """The arguments of ``expm1`` for the monthly probabilities of placement and of a
    preventive measure, ``-(rate) / 12`` (``children.hazard``), per child of ``kids``:
    ``per_year x hr x preventive_hr (if preventive) x hr_place`` and
    ``(prev_at_risk if at_risk else prev_rate) x own risk``. ``hr_place`` is per child
    row, or empty for none."""
    programme = hr_place.size > 0
    for i in range(kids.size):
        c = kids[i]
        x = per_year * hr[i] * (preventive_hr if placement[c] == PREVENTIVE else 1.0)
        if programme:
            x = x * hr_place[c]
        arg_place[i] = -x / 12.0
        arg_prev[i] = -((prev_at_risk if at_risk[i] else prev_rate) * own_risk[c]) / 12.0


@_jit(_i64, _i64[::1], _i8[::1], _b[::1], _i16[::1], _i8[::1], _i32[::1], _b[::1], _f64[::1], _f64[::1], _f64[::1],
      _f64[::1], _f64[::1], _f64[::1], _f64, _f64, _f64, _i64, _f64, _f64, _f64, _f64[::1],
      _b[::1], _b[::1], _b[::1], _i8[::1], _i64[::1], _f64[::1])
def moves(kids, placement, ever_placed, placements, school, age_months, at_risk, u, v, w, e_place, e_prev, p_return,
          end_prev, foster_share, p_catch, school_months, behind_per_year, placed_hr, parent_hr, hr_school,
          to_placed, to_prev, returned, kind, fall_at, fall_arg):
    """One month's placement moves and catch-ups at school for the children ``kids``
    (``Children._move``), in place; ``e_place``, ``e_prev``: numpy's ``expm1`` of
    ``placement_arguments`` (the probabilities are ``-e``); ``p_return``: the return
    home's probability, parent not at risk / at risk; ``end_prev``: ``1 - p_end`` of a
    preventive measure. Fills the per-child results (placed now, preventive started,
    returned home, kind of placement) and, for the children on track at school age
    (after the placement moves), their positions in ``kids`` and the arguments of
    ``expm1`` for falling behind (``falls``); returns how many."""
    n_fall = 0
    programme = hr_school.size > 0
    for i in range(kids.size):
        c = kids[i]
        pl = placement[c]
        home = pl == HOME
        prev = pl == PREVENTIVE
        p_place = -e_place[i]
        ui = u[c]
        placed_now = (home or prev) and ui < p_place
        start_prev = home and not placed_now and ui >= p_place and ui < p_place + (-e_prev[i])
        if pl == FOSTER or pl == INSTITUTION:
            back = ui < p_return[1 if at_risk[i] else 0]
        else:
            back = prev and not placed_now and ui >= end_prev
        k = FOSTER if v[c] < foster_share else INSTITUTION
        if placed_now:
            placement[c] = k
            ever_placed[c] = True
            placements[c] += 1
        elif start_prev:
            placement[c] = PREVENTIVE
        elif back:
            placement[c] = HOME
        to_placed[i] = placed_now
        to_prev[i] = start_prev
        returned[i] = back and (pl == FOSTER or pl == INSTITUTION)
        kind[i] = k
        # school (6-17): on track -> behind (its probability by numpy, in ``falls``); behind -> on track
        if age_months[c] >= school_months:
            if school[c] == ON_TRACK:
                hs = 1.0 + placed_hr * (1.0 if ever_placed[c] else 0.0) + parent_hr * (1.0 if at_risk[i] else 0.0)
                x = behind_per_year * hs
                if programme:
                    x = x * hr_school[c]
                fall_at[n_fall] = i
                fall_arg[n_fall] = -x / 12.0
                n_fall += 1
            elif school[c] == BEHIND and w[c] < p_catch:
                school[c] = ON_TRACK
    return n_fall


@_jit(nt.void, _i64[::1], _i64[::1], _f64[::1], _f64[::1], _i8[::1])
def falls(kids, fall_at, e_fall, w, school):
    """Children on track who fall behind at school: ``w < -e_fall`` (``moves``)."""
    for j in range(fall_at.size):
        c = kids[fall_at[j]]
        if w[c] < -e_fall[j]:
            school[c] = BEHIND


@_jit(nt.void, _i64[::1], _i8[::1], _b[::1], _b[::1], _b[::1], _i8[::1], _i16[::1], _b[::1], _b[::1], _i8[::1], _i8[::1],
      _i32[::1], _i64, _i32[::1], _i32[::1], _i32[::1], _i32[::1], _i64[::1])
def tally(kids, placement_before, to_placed, to_prev, returned, kind, placements, parent_ever_prison, parent_ever_ill,
          placement, school, age_months, adult_months, months_preventive, months_foster, months_institution,
          months_behind, out):
    """The month's counts of the moves of ``kids`` (``Children._tally``) into ``out``:
    placements, in a foster family, preventive measures started, returns home, first
    placements and never-placed child-months at home with a parent ever in prison / ever
    ill / all; and the month in care and behind at school of each child not turning 18."""
    for i in range(kids.size):
        c = kids[i]
        placed = to_placed[i]
        if placed:
            out[0] += 1
            if kind[i] == FOSTER:
                out[1] += 1
        if to_prev[i]:
            out[2] += 1
        if returned[i]:
            out[3] += 1
        before = placement_before[i]
        if placed and placements[c] == 1:
            out[4] += parent_ever_prison[c]
            out[5] += parent_ever_ill[c]
            out[6] += 1
        if (before == HOME or before == PREVENTIVE) and placements[c] - placed == 0:
            out[7] += parent_ever_prison[c]
            out[8] += parent_ever_ill[c]
            out[9] += 1
        if age_months[c] + 1 < adult_months:
            pl = placement[c]
            months_preventive[c] += pl == PREVENTIVE
            months_foster[c] += pl == FOSTER
            months_institution[c] += pl == INSTITUTION
            months_behind[c] += school[c] == BEHIND
