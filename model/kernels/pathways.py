"""The pathway step compiled with numba: the same choices, bit for bit, as the
numpy passes of ``PathwayEngine`` (``features``, ``rates``, ``draw``), computing only the
transitions out of each citizen's current level (at most 3 of a domain's, 6.9 a citizen
on average, where the numpy passes compute all 33 for everyone) and reading the state
directly, without a feature matrix.

Why the same bits:

- A log-rate is summed in float32 in the numpy passes' order: the base, then each
  non-zero term ``x_f * beta_f`` (feature order), each product rounded before the sum;
  numba emits no fused multiply-add without ``fastmath``. A feature is the same float32
  value the feature matrix holds (e.g. duration ``float32(min(months, 60)) *
  float32(1/12)``).
- ``exp`` and ``expm1`` are numpy's own, called between the kernels on compact buffers:
  numba's (libm's) differ from numpy's SIMD versions in the last bit (measured: 39% of
  float32 ``exp`` values on this machine). An element's value does not depend on its
  neighbours in numpy's loops.
- The numpy passes add the zero rates of transitions out of other levels into the
  cumulative sum; adding +0.0 leaves a float unchanged, and such a transition is never
  the first whose cumulative rate exceeds the draw, so leaving them out changes nothing.
- A rate is clipped at ``MAX_LOG_RATE`` always (the numpy passes clip only transitions
  that could reach it; below it the clip is the identity).

``runs.fingerprint`` and ``tests/test_kernels.py`` check the equality: every shipped
scenario, both engines, the same bits; and the rates themselves, bit for bit, under
random rule tables. The engine is chosen in ``model/kernels/__init__.py``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numba
import numpy as np
from numba import types as nt

from model.kernels._numba import jit

#: feature kinds, how the kernel reads a feature's value for a citizen
LEVEL, COMPLEXITY, DURATION, PEER, PRISON, HOMELESS, SERVICE, ABSENT = range(8)
#: transitions out of one level, at most (the rule tables are checked against it)
SLOTS = 3
#: domains (``agents.states.Domain``); the uniforms arrive as a tuple of this many arrays
DOMAINS = 5


def _jit(*signature):
    """A kernel returning nothing, compiled for these argument types (2-d state arrays in
    any layout: the population's arrays are views of arrays with room)."""
    return jit(nt.void(*signature))


_i8, _i32, _i64, _f32, _f64, _b = nt.int8, nt.int32, nt.int64, nt.float32, nt.float64, nt.boolean
#: the state's arrays as the kernels read them: levels, months, complexity, peer shares,
#: ever in prison, ever homeless, services received
_STATE = (_i8[:, :], _i32[:, :], _f64[:], _f64[:, :], _b[:], _b[:], _b[:, :])


_MINUS_INF = np.float32(-np.inf)


@numba.njit(inline="always")
def _term(total, x, beta, blocks):
    """A log-rate after one entry: ``total + x * beta`` (the product rounded to float32
    before the sum), or, for a blocking feature, -inf where ``x`` is non-zero."""
    if blocks:
        return _MINUS_INF if x != 0 else total
    return total + x * beta


@jit()
def _add_term(f, beta, blocks, kind, arg, lev, levels, months, complexity, peers, prison, homeless, services,
              rows, sums):
    """Add feature ``f``'s term to the log-rates ``sums`` of the citizens in ``rows``
    (``_term``; ``x``: the float32 value the feature matrix holds). One loop per kind of
    feature, so the loop over citizens branches only on ``blocks``, the same for every
    citizen. A feature the engine does not compute (``ABSENT``: a peer feature with the
    network off) is 0 in the numpy passes: adding ``0 * beta`` changes no sum and blocks
    nothing, so it is skipped."""
    c = kind[f]
    a = arg[f]
    one, zero, per_year = np.float32(1.0), np.float32(0.0), np.float32(1.0 / 12.0)
    if c == LEVEL:
        d = lev[f]
        for q in range(rows.size):
            sums[q] = _term(sums[q], one if levels[d, rows[q]] == a else zero, beta, blocks)
    elif c == COMPLEXITY:
        for q in range(rows.size):
            sums[q] = _term(sums[q], np.float32(complexity[rows[q]]), beta, blocks)
    elif c == DURATION:
        for q in range(rows.size):
            sums[q] = _term(sums[q], np.float32(min(months[a, rows[q]], 60.0)) * per_year, beta, blocks)
    elif c == PEER:
        for q in range(rows.size):
            sums[q] = _term(sums[q], np.float32(peers[a, rows[q]]), beta, blocks)
    elif c == SERVICE:
        for q in range(rows.size):
            sums[q] = _term(sums[q], one if services[a, rows[q]] else zero, beta, blocks)
    elif c == PRISON or c == HOMELESS:
        flags = prison if c == PRISON else homeless
        for q in range(rows.size):
            sums[q] = _term(sums[q], one if flags[rows[q]] else zero, beta, blocks)


@_jit(_i64[::1], _i8[:, :], _i64[:, ::1], _i64[:, ::1], _i64[:, ::1])
def _group(rows, levels, order, group_rows, starts):
    """Per domain, the citizens of ``rows`` grouped by level (a stable counting sort):
    ``order[d]`` their positions in ``rows``, ``group_rows[d]`` their rows, level ``lv``'s
    group at ``starts[d, lv]:starts[d, lv + 1]``."""
    n = rows.size
    n_lv = starts.shape[1] - 1
    for d in range(order.shape[0]):
        st = starts[d]
        st[:] = 0
        for j in range(n):
            st[levels[d, rows[j]] + 1] += 1
        for lv in range(n_lv):
            st[lv + 1] += st[lv]
        fill = st[:n_lv].copy()
        for j in range(n):
            lv = levels[d, rows[j]]
            order[d, fill[lv]] = j
            group_rows[d, fill[lv]] = rows[j]
            fill[lv] += 1


@_jit(_i64[:, ::1], _i64[:, ::1], _i32[:, :, ::1], _f32[::1], _b[::1], _i32[::1], _i32[::1], _f32[::1], _b[::1],
      _i8[::1], _i32[::1], _i32[::1], *_STATE, _f32, _f32[:, :, ::1])
def _log_rates(group_rows, starts, out_k, log_base, zero_base, entry_ptr, entry_f, entry_beta, entry_blocks,
               kind, arg, lev, levels, months, complexity, peers, prison, homeless, services, max_log, logr):
    """Log-rates of the moves out of each citizen's level, in the grouped order of
    ``_group``: ``logr[d, s, p]`` for slot ``s`` of the ``p``-th citizen of domain ``d``'s
    grouping; -inf (a rate of exactly 0) for empty slots, zero base rates and blocked
    moves.

    Grouped by level, a transition's terms are summed over its group in tight loops,
    one feature at a time, into contiguous memory: per citizen, the transitions and
    terms to visit vary, and a loop over them costs more in mispredicted branches than
    the arithmetic. A transition's entries are its blocking features (hazard ratio 0:
    the log-rate becomes -inf where the feature is non-zero), then its terms in feature
    order, so each sum runs in the numpy passes' order."""
    n_dom, n_lv = out_k.shape[0], out_k.shape[1]
    for d in range(n_dom):
        for lv in range(n_lv):
            a, b = starts[d, lv], starts[d, lv + 1]
            if a == b:
                continue
            grows = group_rows[d, a:b]
            for s in range(SLOTS):
                sums = logr[d, s, a:b]
                k = out_k[d, lv, s]
                if k < 0 or zero_base[k]:
                    sums[:] = _MINUS_INF
                    continue
                sums[:] = log_base[k]
                for e in range(entry_ptr[k], entry_ptr[k + 1]):
                    _add_term(entry_f[e], entry_beta[e], entry_blocks[e], kind, arg, lev, levels, months,
                              complexity, peers, prison, homeless, services, grows, sums)
                for q in range(sums.size):
                    sums[q] = min(sums[q], max_log)


@_jit(_f32[:, :, ::1], _f32[:, ::1])
def _totals(rates, lam):
    """Each citizen's total rate of leaving per domain, summed in transition order."""
    for d in range(rates.shape[0]):
        for p in range(rates.shape[2]):
            c = rates[d, 0, p]
            for s in range(1, SLOTS):
                c = c + rates[d, s, p]
            lam[d, p] = c


@_jit(_i64[:, ::1], _i64[:, ::1], _i64[:, ::1], _i64, _i32[:, :, ::1], _f32[:, :, ::1], _f32[:, ::1], _f32[:, ::1],
      nt.UniTuple(_f64[::1], DOMAINS), _i8[:, ::1])
def _choose(order, group_rows, starts, lo, out_k, rates, lam, p_leave, uniforms, choice):
    """The first transition whose cumulative rate exceeds ``v = u * lam / P(leave)``, or
    -1: the number of cumulative rates <= v, as the numpy passes count it (an empty slot
    adds 0, so it is never the first to exceed v)."""
    for d in range(rates.shape[0]):
        u = uniforms[d]
        for lv in range(out_k.shape[1]):
            for p in range(starts[d, lv], starts[d, lv + 1]):
                total = lam[d, p]
                v = u[group_rows[d, p]] * np.float64(total) / np.float64(p_leave[d, p]) if total > 0 else np.inf
                c = np.float32(0.0)
                below = 0
                for s in range(SLOTS):
                    c = c + rates[d, s, p]
                    below += np.float64(c) <= v
                choice[d, lo + order[d, p]] = out_k[d, lv, below] if below < SLOTS else -1


def _as_rows(state, rows: np.ndarray | None) -> np.ndarray:
    """The citizens to compute for as the kernels' int64 array (``None``: every row)."""
    return np.arange(state.n, dtype=np.int64) if rows is None else np.ascontiguousarray(rows, dtype=np.int64)


class CompiledPathways:
    """The rule tables of a ``PathwayEngine`` as arrays for the kernels, and the month."""

    def __init__(self, engine):
        from agents.states import LEVELS, Domain, domain_name
        from model.pathways import DURATION_CAP_YEARS, MAX_LOG_RATE, PEER_FEATURES

        if DURATION_CAP_YEARS != 5.0:  # the kernel's duration cap is the literal 60 months
            raise AssertionError("model.kernels.pathways._add_term caps duration at 60 months")
        self.max_log = np.float32(MAX_LOG_RATE)
        n_dom = len(Domain)
        n_lv = max(len(LEVELS[d]) for d in Domain)
        self.out_k = np.full((n_dom, n_lv, SLOTS), -1, dtype=np.int32)
        for k, t in enumerate(engine.transitions):
            free = np.flatnonzero(self.out_k[t.domain, t.source] < 0)
            if free.size == 0:
                raise AssertionError(f"more than {SLOTS} transitions out of {t.name.split('_to_')[0]}")
            self.out_k[t.domain, t.source, free[0]] = k
        self.log_base = engine._log_base
        self.zero_base = engine.zero_base.copy()
        # per transition: its blocking features, then its terms (feature, log hazard ratio)
        entries = [[(int(f), np.float32(0.0), True) for f in blockers] + [(int(f), beta, False) for f, beta in terms]
                   for blockers, terms in zip(engine._blockers, engine._terms)]
        self.entry_ptr = np.cumsum([0] + [len(e) for e in entries]).astype(np.int32)
        self.entry_f = np.array([f for e in entries for f, _, _ in e], dtype=np.int32)
        self.entry_beta = np.array([b for e in entries for _, b, _ in e], dtype=np.float32)
        self.entry_blocks = np.array([blocks for e in entries for _, _, blocks in e], dtype=np.bool_)
        names = engine.feature_names
        self.kind = np.full(len(names), ABSENT, dtype=np.int8)
        self.arg = np.zeros(len(names), dtype=np.int32)
        self.lev = np.zeros(len(names), dtype=np.int32)
        for j, (_, d, lv) in enumerate(engine.level_feats):
            self.kind[j], self.lev[j], self.arg[j] = LEVEL, int(d), lv
        idx = engine.feature_index
        self.kind[idx["complexity"]] = COMPLEXITY
        for d in Domain:
            self.kind[idx[f"duration_{domain_name(d)}"]], self.arg[idx[f"duration_{domain_name(d)}"]] = DURATION, int(d)
        for p, f in enumerate(engine.used_peer_features):
            self.kind[idx[f]], self.arg[idx[f]] = PEER, p
        self.kind[idx["history_prison"]] = PRISON
        self.kind[idx["history_homeless"]] = HOMELESS
        self.services = list(engine.service_features)
        for s, f in enumerate(self.services):
            self.kind[idx[f]], self.arg[idx[f]] = SERVICE, s
        self.peer_features = list(engine.used_peer_features)
        assert set(PEER_FEATURES) >= set(self.peer_features)

    def _state(self, state, peers: np.ndarray, service_columns: Mapping[str, np.ndarray] | None):
        """The state's arrays in the kernels' types (views, no copy, where they already
        are): levels, months, complexity, peer shares (``PathwayEngine.peer_matrix``, a
        row per feature of ``peer_features``), history and services received."""
        n_all = state.n
        peers = np.ascontiguousarray(peers, dtype=np.float64) if self.peer_features else np.zeros((1, 1))
        cols = service_columns or {}
        services = np.zeros((max(len(self.services), 1), n_all), dtype=bool)
        for s, f in enumerate(self.services):
            if cols.get(f) is not None:
                services[s] = cols[f][:n_all]
        return (np.asarray(state.levels[:, :n_all], dtype=np.int8),
                np.asarray(state.months_in_level[:, :n_all], dtype=np.int32),
                np.asarray(state.complexity[:n_all], dtype=np.float64), peers,
                np.asarray(state.ever_prison[:n_all], dtype=bool),
                np.asarray(state.ever_homeless[:n_all], dtype=bool), services)

    def _rates(self, rows: np.ndarray, state_arrays: tuple, work: dict) -> np.ndarray:
        """Group ``rows`` by level per domain (into ``work``'s arrays) and return the rates
        of the moves out of each citizen's levels, ``[d, s, p]`` in grouped order:
        numpy's ``exp`` of the kernel's log-rates."""
        order, group_rows, starts, out = work["order"], work["group_rows"], work["starts"], work["rates"]
        _group(rows, state_arrays[0], order, group_rows, starts)
        _log_rates(group_rows, starts, self.out_k, self.log_base, self.zero_base, self.entry_ptr, self.entry_f,
                   self.entry_beta, self.entry_blocks, self.kind, self.arg, self.lev, *state_arrays, self.max_log,
                   out)
        return np.exp(out, out=out)

    def _work(self, width: int) -> dict:
        """Scratch arrays for a block of ``width`` citizens."""
        n_dom, n_lv = self.out_k.shape[0], self.out_k.shape[1]
        return {"order": np.empty((n_dom, width), dtype=np.int64), "group_rows": np.empty((n_dom, width), dtype=np.int64),
                "starts": np.zeros((n_dom, n_lv + 1), dtype=np.int64),
                "rates": np.empty((n_dom, SLOTS, width), dtype=np.float32),
                "lam": np.empty((n_dom, width), dtype=np.float32)}

    def rates(self, state, peers: np.ndarray, service_columns: Mapping[str, np.ndarray] | None,
              rows: np.ndarray | None = None) -> np.ndarray:
        """Citizens x domains x SLOTS: the rate of slot ``s`` of the citizen's level in
        each domain (transition ``out_k[d, level, s]``), the same bits as
        ``PathwayEngine.rates`` for that transition; 0 for an empty slot."""
        rows = _as_rows(state, rows)
        work = self._work(rows.size)
        grouped = self._rates(rows, self._state(state, peers, service_columns), work)
        out = np.empty((rows.size, self.out_k.shape[0], SLOTS), dtype=np.float32)
        for d in range(self.out_k.shape[0]):
            out[work["order"][d], d, :] = grouped[d].T
        return out

    def choose(self, state, peers: np.ndarray, service_columns: Mapping[str, np.ndarray] | None,
               rows: np.ndarray | None, uniforms: list[np.ndarray], block: int) -> np.ndarray:
        """``PathwayEngine.choose`` (same arguments and result) by the kernels, ``block``
        citizens at a time."""
        rows = _as_rows(state, rows)
        n = rows.size
        state_arrays = self._state(state, peers, service_columns)
        u = tuple(np.ascontiguousarray(a, dtype=np.float64) for a in uniforms)
        out = np.empty((self.out_k.shape[0], n), dtype=np.int8)
        work = None
        for lo in range(0, n, block):
            hi = min(lo + block, n)
            if work is None or work["lam"].shape[1] != hi - lo:  # the last block is shorter
                work = self._work(hi - lo)
            r = self._rates(rows[lo:hi], state_arrays, work)
            _totals(r, work["lam"])
            _choose(work["order"], work["group_rows"], work["starts"], lo, self.out_k, r, work["lam"],
                    -np.expm1(-work["lam"]), u, out)
        return out
