"""The pathway engine: monthly transition hazards for every citizen in every domain.

The rules live here, as tables (``parse_transitions``, ``PathwayEngine.__init__``), with
their vectorised numpy implementation (no per-agent copy), the readable reference; by
default the month runs the same arithmetic compiled from the same tables
(``model/kernels/pathways.py``, the same bits):

1. Build the feature matrix ``X`` (citizens x features): indicators of the citizen's
   level in each domain, complexity, years in the current level, the share of contacts
   in a level (peers), history, and one column per service the citizen receives.
2. Log-rates of all transitions at once: ``log r = log(base rate) + X @ log(HR)``; a
   transition only applies to citizens in its source level. A hazard ratio of 0 (or a
   base rate of 0) blocks exactly: the rate is set to 0 wherever that feature is non-zero,
   whatever its kind (indicator, complexity of either sign, duration, peer share,
   service), instead of entering the sum as a huge negative log (which overflows, and
   ``inf * 0`` is NaN).
3. Per domain, the transitions out of the current level are competing risks: the
   citizen leaves with probability ``1 - exp(-sum r)`` and goes to destination ``k`` with
   probability proportional to ``r_k``. One uniform per citizen, domain and month decides
   both (inverse CDF), so common random numbers carry over between scenarios.

All domains use the state at the start of the month (simultaneous update), so the order
in which domains are processed does not matter.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from agents.states import LEVELS, Domain, Employment, Substance, domain_name
from model import kernels
from model.params import ParameterError, Parameters
from model.population import take_rows

#: Largest log-rate used: e^60 ~ 1e26 per month is certain departure, and a domain's sum of
#: such rates stays far below float32's maximum (~3e38), so rates are never inf (nor NaN).
MAX_LOG_RATE = 60.0
#: years in the current level above which the duration effect stops growing
DURATION_CAP_YEARS = 5.0
#: citizens per block of the month's pathway step (``PathwayEngine.choose``): a block's
#: features and rates (~30 rows of float32 each, ~4 MB) stay in the processor's cache
#: (smaller blocks cost more in numpy's per-call overhead than they gain)
BLOCK = 32768

#: Peer exposures the engine computes: feature name -> (domain, level).
PEER_FEATURES: dict[str, tuple[Domain, int]] = {
    "peers_substance_problematic": (Domain.SUBSTANCE, Substance.PROBLEMATIC),
    "peers_employment_employed": (Domain.EMPLOYMENT, Employment.EMPLOYED),
}


def level_features() -> list[tuple[str, Domain, int]]:
    """Indicator features for every level: ("housing_street", HOUSING, 3)."""
    return [(f"{domain_name(d)}_{lv.name.lower()}", d, int(lv)) for d in Domain for lv in LEVELS[d]]


@dataclass(frozen=True)
class Transition:
    """A move from ``source`` to ``target`` level within ``domain``."""

    name: str  #: "housing.own_home_to_precarious"
    domain: Domain
    source: int
    target: int
    rate: float  #: base monthly hazard rate
    hazard_ratios: tuple[tuple[str, float], ...]  #: (feature, hr); "duration" resolved per domain


def parse_transitions(params: Parameters) -> list[Transition]:
    """The transitions in parameter order, grouped by domain (domain order of ``Domain``)."""
    tree = params.subtree("pathways")
    out: list[Transition] = []
    for d in Domain:
        dname = domain_name(d)
        levels = {lv.name.lower(): int(lv) for lv in LEVELS[d]}
        for key, spec in tree.get(dname, {}).items():
            src, sep, dst = key.partition("_to_")
            if not sep or src not in levels or dst not in levels or src == dst:
                raise ParameterError(
                    f"pathways.{dname}.{key}: a transition is named <from>_to_<to> with levels {sorted(levels)}"
                )
            hrs = tuple((f"duration_{dname}" if f == "duration" else f, float(v)) for f, v in spec.get("hr", {}).items())
            out.append(Transition(f"{dname}.{key}", d, levels[src], levels[dst], float(spec["rate"]), hrs))
    return out


class PathwayEngine:
    """Computes hazards and draws each month's transitions for the whole population."""

    def __init__(self, params: Parameters, service_effects: Mapping[str, Mapping[str, float]] | None = None):
        self.transitions = parse_transitions(params)
        # a move is stored as an int8 transition index (``choose``); five domains' levels allow 56 at most
        assert len(self.transitions) < 128, "more transitions than an int8 move index holds"
        self.peers_on = bool(params["network.enabled"])
        service_effects = service_effects or {}
        self.level_feats = level_features()
        self.feature_names: list[str] = (
            [name for name, _, _ in self.level_feats]
            + ["complexity"]
            + [f"duration_{domain_name(d)}" for d in Domain]
            + list(PEER_FEATURES)
            + ["history_prison", "history_homeless"]
            + list(service_effects)
        )
        self.feature_index = {f: j for j, f in enumerate(self.feature_names)}
        self.service_features = list(service_effects)
        t_index = {t.name: k for k, t in enumerate(self.transitions)}
        n_f, n_t = len(self.feature_names), len(self.transitions)
        self.log_hr = np.zeros((n_f, n_t))
        #: (feature, transition) pairs with a hazard ratio of 0: the feature blocks the move
        self.blocked = np.zeros((n_f, n_t), dtype=bool)
        self.log_base = np.array([math.log(t.rate) if t.rate > 0 else 0.0 for t in self.transitions])
        self.zero_base = np.array([t.rate <= 0 for t in self.transitions])
        for k, t in enumerate(self.transitions):
            for feat, hr in t.hazard_ratios:
                if feat not in self.feature_index:
                    raise ParameterError(
                        f"pathways.{t.name}.hr.{feat}: unknown feature; allowed: "
                        + ", ".join(f for f in self.feature_names if not f.startswith("duration_")) + ", duration"
                    )
                self._add_hazard_ratio(self.feature_index[feat], k, hr)
        for feat, effects in service_effects.items():
            for tname, hr in effects.items():
                if tname not in t_index:
                    raise ParameterError(f"{feat}: effect on unknown transition {tname!r}; allowed: {sorted(t_index)}")
                self._add_hazard_ratio(self.feature_index[feat], t_index[tname], hr)
        # the peer features are computed only when some rule uses them
        self.used_peer_features = [
            f for f in PEER_FEATURES
            if self.peers_on and np.any((self.log_hr[self.feature_index[f]] != 0) | self.blocked[self.feature_index[f]])
        ]
        # column of each (domain, level) in the one-hot block, and each transition's source column
        #: row of X holding the indicator of each transition's source level
        self.source_row = np.array(
            [self.feature_index[f"{domain_name(t.domain)}_{LEVELS[t.domain](t.source).name.lower()}"] for t in self.transitions]
        )
        self.target = np.array([t.target for t in self.transitions], dtype=np.int8)
        self.domain_slices: list[slice] = []
        for d in Domain:
            ks = [k for k, t in enumerate(self.transitions) if t.domain == d]
            if ks and ks != list(range(ks[0], ks[-1] + 1)):
                raise AssertionError("transitions must be grouped by domain")
            self.domain_slices.append(slice(ks[0], ks[-1] + 1) if ks else slice(0, 0))
        # The log-rate of transition t is log_base[t] + sum_f log_hr[f, t] * x[f]. log_hr is
        # sparse (~3 modifiers per transition), so summing only the non-zero terms beats a
        # dense matmul ~3x, needs no BLAS threads, and adds exactly nothing for hr = 1.
        # float32 halves memory traffic; rates need ~7 significant digits at most.
        self._terms = [[(f, np.float32(self.log_hr[f, k])) for f in np.flatnonzero(self.log_hr[:, k])]
                       for k in range(n_t)]
        self._log_base = self.log_base.astype(np.float32)
        self._blockers = [np.flatnonzero(self.blocked[:, k]) for k in range(n_t)]
        self._complexity = self.feature_index["complexity"]
        self._log_rate_bound = self._static_log_rate_bound()
        self._x: np.ndarray | None = None
        self._r: np.ndarray | None = None
        #: the compiled month (``model.kernels.pathways``), the same bits as the numpy
        #: passes below; ``None`` runs the numpy passes (``model/kernels/__init__.py``)
        self.kernel = None
        if kernels.compiled():
            from model.kernels.pathways import CompiledPathways  # numba compiles or loads its cache here

            self.kernel = CompiledPathways(self)

    def _add_hazard_ratio(self, feature: int, k: int, hr: float) -> None:
        """Record ``hr`` for (feature, transition k): 0 blocks, otherwise its log is added
        (a parameter's hazard ratio and a service's effect on the same pair multiply)."""
        if hr <= 0:
            self.blocked[feature, k] = True
        else:
            self.log_hr[feature, k] += math.log(hr)

    def _static_log_rate_bound(self) -> np.ndarray:
        """Per transition, the largest log-rate its terms can reach, complexity aside: every
        other feature lies in [0, 1] (indicators, peer shares, history, services) or
        [0, DURATION_CAP_YEARS] (duration). ``rates`` adds complexity's share each month and
        clips only the transitions that could overflow (clipping all costs a full pass)."""
        high = np.ones(len(self.feature_names))
        high[[self.feature_index[f"duration_{domain_name(d)}"] for d in Domain]] = DURATION_CAP_YEARS
        terms = np.maximum(self.log_hr * high[:, None], 0.0)
        terms[self._complexity] = 0.0
        return self.log_base + terms.sum(axis=0)

    # -- the month: the three steps, a block of citizens at a time ------------------------------
    def choose(self, state, peers: np.ndarray, service_columns: Mapping[str, np.ndarray] | None,
               rows: np.ndarray | None, uniforms: list[np.ndarray]) -> np.ndarray:
        """Each citizen's move this month, per domain: the chosen transition's index (into
        ``transitions``; int8, as there are fewer than 128) or -1 for staying; shape
        domains x citizens of ``rows`` (``PopulationState.step_rows``: the living;
        ``None``: every row). ``peers``: the month's peer shares (``peer_matrix``);
        ``uniforms``: the month's uniform per domain for every row. (The model counts
        the peer shares before it draws the uniforms, so the counting's temporaries and
        the uniforms are not held at once: ~50 MB each at a million citizens.)

        The three steps run on blocks of ``BLOCK`` citizens: the block's features and
        rates stay in the processor's cache between the passes (rates are written, then
        read again four times), instead of streaming matrices of every citizen through
        memory (~300 MB at a million citizens). A citizen's column depends on its own row
        alone, so the choices are the same bits whatever the blocks."""
        if self.kernel is not None:
            return self.kernel.choose(state, peers, service_columns, rows, uniforms, BLOCK)
        shares = dict(zip(self.used_peer_features, peers))
        n = state.n if rows is None else rows.size
        out = np.empty((len(Domain), n), dtype=np.int8)
        for start in range(0, n, BLOCK):
            block = slice(start, min(start + BLOCK, n)) if rows is None else rows[start:start + BLOCK]
            r = self.rates(state, self.features(state, None, service_columns, block, shares))
            for d in Domain:
                out[d, start:start + BLOCK] = self.draw(r, d, take_rows(uniforms[d], block))
        return out

    def peer_shares(self, state, network) -> dict[str, np.ndarray]:
        """The month's peer features for every row: share of living contacts in a level
        (by feature name: the rows of ``peer_matrix``)."""
        return dict(zip(self.used_peer_features, self.peer_matrix(state, network)))

    def peer_matrix(self, state, network) -> np.ndarray:
        """``peer_shares`` as one matrix, a row per feature of ``used_peer_features``."""
        alive = None if state.all_alive else state.alive
        return network.peer_shares(
            [state.levels[PEER_FEATURES[f][0]] == PEER_FEATURES[f][1] for f in self.used_peer_features], alive)

    def features(self, state, network, service_columns: Mapping[str, np.ndarray] | None = None,
                 rows: np.ndarray | slice | None = None, shares: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
        """The feature matrix X, stored features x citizens (each feature a contiguous row).

        ``rows``: the citizens (row indices, ascending, or a slice of rows) to compute
        for, one column each; ``None`` for every row. A column is computed from its own
        row's state alone (peer shares from every row's: ``shares``, from
        ``peer_shares`` when not given), so it is the same whichever other rows are
        included."""
        n = state.n if rows is None else (len(range(state.n)[rows]) if isinstance(rows, slice) else rows.size)
        x = self._buffer(n)
        levels, months = take_rows(state.levels, rows), take_rows(state.months_in_level, rows)
        j = 0
        for _, d, lv in self.level_feats:
            np.equal(levels[d], lv, out=x[j], casting="unsafe")
            j += 1
        x[j] = take_rows(state.complexity, rows)
        j += 1
        for d in Domain:
            np.minimum(months[d], DURATION_CAP_YEARS * 12, out=x[j], casting="unsafe")
            x[j] *= 1.0 / 12.0
            j += 1
        if shares is None:
            shares = self.peer_shares(state, network)
        for f in PEER_FEATURES:
            x[j] = take_rows(shares[f], rows) if f in shares else 0.0
            j += 1
        x[j] = take_rows(state.ever_prison, rows)
        x[j + 1] = take_rows(state.ever_homeless, rows)
        j += 2
        for f in self.service_features:
            col = (service_columns or {}).get(f)
            x[j] = 0.0 if col is None else take_rows(col, rows)
            j += 1
        return x

    def _buffer(self, n: int) -> np.ndarray:
        """The feature matrix's memory for ``n`` citizens: a C-contiguous (features x n)
        view of one buffer kept across months and grown with room (the living change in
        number every month), so no month allocates it anew."""
        size = len(self.feature_names) * n
        if self._x is None or self._x.size < size:
            self._x = np.empty(size + size // 8 + 1024, dtype=np.float32)
        return self._x[:size].reshape(len(self.feature_names), n)

    def rates(self, state, x: np.ndarray) -> np.ndarray:
        """Monthly hazard rate of every transition (rows) for every citizen (columns of
        ``x``; valid until the next call): finite and >= 0; exactly 0 where the citizen
        is not in the transition's source level, where its base rate is 0, and where a
        feature with hazard ratio 0 is non-zero."""
        r = self._rates_buffer(x.shape[1])
        tmp = np.empty(x.shape[1], dtype=np.float32)
        for k, terms in enumerate(self._terms):
            row = r[k]
            row.fill(self._log_base[k])
            for f, beta in terms:
                np.multiply(x[f], beta, out=tmp)
                row += tmp
        for k in self._overflowing(x):
            np.minimum(r[k], MAX_LOG_RATE, out=r[k])
        np.exp(r, out=r)
        r *= x[self.source_row]
        for k in np.flatnonzero(self.zero_base):
            r[k] = 0.0
        for k, blockers in enumerate(self._blockers):
            for f in blockers:
                np.multiply(r[k], x[f] == 0, out=r[k])
        return r

    def _rates_buffer(self, n: int) -> np.ndarray:
        """The rate matrix's memory (transitions x ``n``), kept across months like the
        feature matrix's (``_buffer``): valid until the next call of ``rates``."""
        size = len(self.transitions) * n
        if self._r is None or self._r.size < size:
            self._r = np.empty(size + size // 8 + 1024, dtype=np.float32)
        return self._r[:size].reshape(len(self.transitions), n)

    def _overflowing(self, x: np.ndarray) -> np.ndarray:
        """Transitions whose log-rate could exceed MAX_LOG_RATE this month (the static bound
        plus complexity's largest contribution over the citizens in ``x``)."""
        beta = self.log_hr[self._complexity]
        if x.shape[1] == 0:
            return np.empty(0, dtype=np.intp)
        c = x[self._complexity]
        lo, hi = float(c.min()), float(c.max())
        return np.flatnonzero(self._log_rate_bound + np.maximum(beta * lo, beta * hi) > MAX_LOG_RATE)

    def draw(self, rates: np.ndarray, domain: Domain, u: np.ndarray) -> np.ndarray:
        """Index of the chosen transition per citizen (global index), or -1 for staying.

        The citizen leaves if ``u < 1 - exp(-sum r)``; destination ``k`` is the first
        whose cumulative rate exceeds ``u * sum r / P(leave)``.
        """
        sl = self.domain_slices[domain]
        r = rates[sl]
        if r.shape[0] == 0:
            return np.full(u.size, -1)
        cum = np.empty_like(r)  # cumulative rates; a row loop beats np.cumsum(axis=0) ~5x here
        cum[0] = r[0]
        for i in range(1, r.shape[0]):
            np.add(cum[i - 1], r[i], out=cum[i])
        lam = cum[-1]
        p_leave = -np.expm1(-lam)
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.where(lam > 0, u * lam / p_leave, np.inf)
        k = (cum <= v).sum(axis=0)
        return np.where(k < r.shape[0], k + sl.start, -1)

    def transition_matrix(self, domain: Domain) -> np.ndarray:
        """The one-month transition matrix of ``domain`` at base rates (all features 0):
        the analytical Markov chain the engine reduces to when every modifier is off."""
        n_lv = len(LEVELS[domain])
        rate = np.zeros((n_lv, n_lv))
        for t in self.transitions:
            if t.domain == domain:
                rate[t.source, t.target] += t.rate
        lam = rate.sum(axis=1)
        p = -np.expm1(-lam)
        mat = np.divide(rate * p[:, None], lam[:, None], out=np.zeros_like(rate), where=lam[:, None] > 0)
        mat[np.arange(n_lv), np.arange(n_lv)] = 1.0 - p
        return mat
