"""Trial emulation inside the model: randomise eligible citizens as the trial did.

A trial is a TOML file in ``runs/trials/`` (or anywhere, given by path): who is eligible,
the service the intervention arm gets, the outcome and its measurement window, the
follow-up, the simulated size, the randomisation stream and the sources. The vocabulary
is small and documented in docs/trials.md; :func:`load_trial` validates a file the way
scenario files are validated (an unknown key, a wrong type or a value out of range is a
``ParameterError`` naming the file and the field).

How a trial is emulated (:func:`run_trial`, one implementation for every trial): a run of
the siloed status quo; at each recruitment month (``trial.start`` .. ``start + recruit - 1``,
by default month 0 only) the citizens who meet the eligibility criteria and were not
randomised before are randomised 1:1 with the trial's own seeded generator (independent of
the model's streams); the intervention arm is enrolled in the service
(``ServiceSystem.enroll``, outside capacity, as a trial funds its own places); the
usual-care arm gets whatever the status quo gives. Each participant is followed from their
month of entry for the follow-up and measured as the trial measured them. With
``paired=True`` the run is the scenario arm of a :class:`model.pairing.PairedModel` whose
counterfactual arm is the same citizens on the same random numbers without the enrolment:
the paired ledger of the intervention arm.

Shipped trials (``TRIALS`` are the two the calibration fits and validation reports; they
are loaded from their files, so the files are the one definition):

* **At Home/Chez Soi** (``runs/trials/hf.toml``; Goering et al. 2014; Aubry et al. 2015):
  eligible = homeless (precarious, shelter, street) with mental illness (mental level
  not well). Outcome "stably housed at 12 months" = the share of the last 6 months of
  the first year (months 7-12) spent housed (own home or supported housing), the
  trial's "proportion of time stably housed". Target 73% vs 31% [S].
* **Danish IPS trial** (``runs/trials/ips.toml``; Christensen et al. 2019, JAMA
  Psychiatry): eligible = people in psychiatric care (mental level treatment or stable)
  who are unemployed and in the labour force (employment level benefits, the proxy for
  "wants competitive work"), not in prison. Outcome = share with competitive employment
  or education at any time during the 18-month follow-up (employment level employed in
  any month 1-18). Target 59.9% vs 46.5% [S].
* **CTI after a move from a shelter** (``runs/trials/cti.toml``; Herman et al. 2011,
  Psychiatric Services): eligible = citizens with mental illness who moved from a shelter
  into their own home in the month of randomisation (rolling recruitment over months
  24-35); outcome = homeless at any time in months 15-18 after the move; the trial's odds
  ratio 0.22. A check, not fitted (``shipped_trials()`` lists every shipped trial).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agents.states import LEVELS, Domain, Housing, domain_name
from model.params import ParameterError, Parameters, read_toml, shipped_file
from model.population import extend

#: Shipped trial files: ``runs/trials/NAME.toml``, loadable by ``NAME``.
TRIAL_DIR = Path(__file__).resolve().parent.parent / "runs" / "trials"
#: How an outcome is measured over its window (docs/trials.md).
MEASURES = {
    "ever": "share of participants in the state at least once in the window",
    "share_of_time": "mean share of the window's months spent in the state",
    "at_end": "share of participants in the state at the window's last month",
}
DOMAINS = tuple(domain_name(d) for d in Domain)
#: Limits of the numeric fields (inclusive).
LIMITS = {"size": (100, 1_000_000), "follow_up": (1, 1200), "start": (0, 1200), "recruit": (1, 1200),
          "seed_offset": (0, 2**32 - 1), "within": (1, 120)}
_FIELDS = {
    "trial": ("name", "label", "description", "service", "size", "follow_up", "start", "recruit", "seed_offset",
              "sources"),
    "eligibility": (*DOMAINS, "moved"),
    "moved": ("domain", "from", "to", "within"),
    "outcome": ("label", "state", "measure", "window", "good"),
    "targets": ("intervention", "usual_care", "odds_ratio"),
}
LevelSets = tuple[tuple[int, tuple[int, ...]], ...]


@dataclass(frozen=True)
class Moved:
    """Eligibility by a recent move: the citizen moved in ``domain`` from a level in
    ``source`` to a level in ``dest`` in one of the last ``within`` months (the month of
    randomisation included)."""

    domain: int
    source: tuple[int, ...]
    dest: tuple[int, ...]
    within: int


@dataclass(frozen=True)
class Trial:
    """One trial, as read from its file (all fields plain data: picklable)."""

    name: str
    label: str
    service: str
    months: int  #: follow-up of each participant, months
    size: int  #: simulated citizens in the emulation (enough eligible for ~+-2 pp per arm)
    eligibility: LevelSets  #: (domain, allowed levels) that must all hold at randomisation
    state: LevelSets  #: the outcome's state (housed / employed / homeless): all must hold
    measure: str  #: a key of ``MEASURES``
    window: tuple[int, int]  #: months of follow-up whose states count (inclusive)
    outcome_label: str
    targets: tuple[float, float] | None  #: (intervention, usual care) as the trial found
    source: str  #: the sources, one line
    moved: Moved | None = None
    start: int = 0  #: month of the status-quo run at which recruitment begins
    recruit: int = 1  #: months of recruitment (rolling: each month's newly eligible)
    seed_offset: int = 0x7121A1  #: spawn key of the randomisation generator
    good: bool = True  #: being in the state is the good outcome (False: homelessness)
    odds_ratio: float | None = None  #: the trial's odds ratio, intervention vs usual care
    description: str = ""
    sources: tuple[str, ...] = ()
    path: str = ""

    @property
    def cumulative(self) -> bool:
        """The outcome is 'ever in the state in the window' (its curve is cumulative)."""
        return self.measure == "ever"

    def eligible(self, levels: np.ndarray) -> np.ndarray:
        """Who meets the level criteria (the ``moved`` criterion needs history: ``run_trial``)."""
        return _all_in(levels, self.eligibility)

    def in_state(self, levels: np.ndarray) -> np.ndarray:
        return _all_in(levels, self.state)

    def describe_eligibility(self) -> str:
        parts = [f"{domain_name(Domain(d))} in {{{', '.join(_level_name(d, v) for v in lv)}}}"
                 for d, lv in self.eligibility]
        if self.moved is not None:
            m = self.moved
            parts.append(f"moved in {domain_name(Domain(m.domain))} from {{{', '.join(_level_name(m.domain, v) for v in m.source)}}} "
                         f"to {{{', '.join(_level_name(m.domain, v) for v in m.dest)}}} in the last {m.within} month(s)")
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        """The trial in its file's structure, levels by name (``trial.json``)."""
        def sets(pairs: LevelSets) -> dict[str, list[str]]:
            return {domain_name(Domain(d)): [_level_name(d, v) for v in lv] for d, lv in pairs}

        eligibility: dict[str, Any] = sets(self.eligibility)
        if self.moved is not None:
            m = self.moved
            eligibility["moved"] = {"domain": domain_name(Domain(m.domain)),
                                    "from": [_level_name(m.domain, v) for v in m.source],
                                    "to": [_level_name(m.domain, v) for v in m.dest], "within": m.within}
        targets: dict[str, float] = {}
        if self.targets is not None:
            targets.update(intervention=self.targets[0], usual_care=self.targets[1])
        if self.odds_ratio is not None:
            targets["odds_ratio"] = self.odds_ratio
        return {"trial": {"name": self.name, "label": self.label, "description": self.description,
                          "service": self.service, "size": self.size, "follow_up": self.months, "start": self.start,
                          "recruit": self.recruit, "seed_offset": self.seed_offset, "sources": list(self.sources)},
                "eligibility": eligibility,
                "outcome": {"label": self.outcome_label, "state": sets(self.state), "measure": self.measure,
                            "window": list(self.window), "good": self.good},
                "targets": targets, "file": self.path}

    def describe_state(self) -> str:
        return " and ".join(f"{domain_name(Domain(d))} in {{{', '.join(_level_name(d, v) for v in lv)}}}"
                            for d, lv in self.state)


def _level_name(domain: int, level: int) -> str:
    return LEVELS[Domain(domain)](level).name.lower()


def _all_in(levels: np.ndarray, sets: LevelSets) -> np.ndarray:
    ok = np.ones(levels.shape[1], dtype=bool)
    for d, lv in sets:
        ok &= np.isin(levels[d], lv)
    return ok


# -- reading a trial file ----------------------------------------------------------------------
def shipped_trials() -> list[str]:
    return sorted(p.stem for p in TRIAL_DIR.glob("*.toml"))


def load_trial(trial: str | Path | Trial) -> Trial:
    """A shipped trial by name (``"hf"``) or a trial file by path (``*.toml``)."""
    if isinstance(trial, Trial):
        return trial
    path = Path(trial)
    if path.suffix != ".toml":
        path = shipped_file(str(trial), TRIAL_DIR, "trial", hint=" (or give a .toml file)")
    return trial_from_file(path)


def trial_from_file(path: str | Path) -> Trial:
    path = Path(path)
    raw = read_toml(path, what="trial file")
    where = str(path)
    _known(raw, ("trial", "eligibility", "outcome", "targets"), where, "")
    for table in ("trial", "eligibility", "outcome"):
        if table not in raw:
            raise ParameterError(f"{where}: [{table}]: missing table")
    tables = {k: _table(raw[k], where, k) for k in raw}
    t, el, out = tables["trial"], tables["eligibility"], tables["outcome"]
    for table, keys in (("trial", t), ("eligibility", el), ("outcome", out), ("targets", tables.get("targets", {}))):
        _known(keys, _FIELDS[table], where, table)
    f = _Fields(where)
    from model.services import SERVICES

    service = f.text(t, "trial", "service")
    if service not in SERVICES:
        raise ParameterError(f"{where}: trial.service = {service!r}: unknown service; allowed: {', '.join(SERVICES)}")
    follow = f.integer(t, "trial", "follow_up")
    eligibility = tuple((int(Domain[d.upper()]), f.levels(el, "eligibility", d)) for d in DOMAINS if d in el)
    moved = None
    if "moved" in el:
        mv = _table(el["moved"], where, "eligibility.moved")
        _known(mv, _FIELDS["moved"], where, "eligibility.moved")
        dname = f.text(mv, "eligibility.moved", "domain")
        if dname not in DOMAINS:
            raise ParameterError(f"{where}: eligibility.moved.domain = {dname!r}: unknown domain; allowed: "
                                 f"{', '.join(DOMAINS)}")
        moved = Moved(int(Domain[dname.upper()]), f.levels(mv, "eligibility.moved", "from", dname),
                      f.levels(mv, "eligibility.moved", "to", dname), f.integer(mv, "eligibility.moved", "within"))
    if not eligibility and moved is None:
        raise ParameterError(f"{where}: [eligibility]: no criterion; give level sets per domain "
                             f"({', '.join(DOMAINS)}) and/or [eligibility.moved]")
    start = f.integer(t, "trial", "start", 0)
    if moved is not None and start < 1:
        raise ParameterError(f"{where}: trial.start = {start}: eligibility.moved needs at least one month of "
                             "history before recruitment; expected trial.start >= 1")
    state_table = out.get("state")
    if state_table is None:
        raise ParameterError(f"{where}: outcome.state: missing; expected a table of level sets, e.g. "
                             "state = { housing = [\"own_home\", \"supported\"] }")
    state_table = _table(state_table, where, "outcome.state")
    _known(state_table, DOMAINS, where, "outcome.state")
    if not state_table:
        raise ParameterError(f"{where}: outcome.state: empty; expected at least one domain's level set")
    state = tuple((int(Domain[d.upper()]), f.levels(state_table, "outcome.state", d)) for d in DOMAINS
                  if d in state_table)
    measure = f.text(out, "outcome", "measure")
    if measure not in MEASURES:
        raise ParameterError(f"{where}: outcome.measure = {measure!r}: unknown measure; allowed: {', '.join(MEASURES)}")
    window = out.get("window")
    if (not isinstance(window, list) or len(window) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in window)):
        raise ParameterError(f"{where}: outcome.window = {window!r}: wrong type, expected [first, last] months "
                             "of follow-up (whole numbers)")
    if not 0 <= window[0] <= window[1] <= follow:
        raise ParameterError(f"{where}: outcome.window = {window!r}: out of range; expected "
                             f"0 <= first <= last <= trial.follow_up ({follow})")
    good = out.get("good", True)
    if not isinstance(good, bool):
        raise ParameterError(f"{where}: outcome.good = {good!r}: wrong type, expected true or false")
    tg = tables.get("targets", {})
    arms = [f.share(tg, "targets", k) for k in ("intervention", "usual_care") if k in tg]
    if len(arms) == 1:
        raise ParameterError(f"{where}: targets: give both intervention and usual_care, or neither")
    odds = None
    if "odds_ratio" in tg:
        odds = tg["odds_ratio"]
        if isinstance(odds, bool) or not isinstance(odds, (int, float)):
            raise ParameterError(f"{where}: targets.odds_ratio = {odds!r}: wrong type, expected a number")
        if not 0 < odds < 1e6:
            raise ParameterError(f"{where}: targets.odds_ratio = {odds!r}: out of range; expected > 0")
        odds = float(odds)
    sources = t.get("sources")
    if (not isinstance(sources, list) or not sources
            or not all(isinstance(s, str) and s.strip() for s in sources)):
        raise ParameterError(f"{where}: trial.sources = {sources!r}: wrong type, expected a non-empty list of "
                             "strings (the trial's publications, with links)")
    return Trial(
        name=f.text(t, "trial", "name", path.stem), label=f.text(t, "trial", "label"), service=service,
        months=follow, size=f.integer(t, "trial", "size"), eligibility=eligibility, state=state, measure=measure,
        window=(window[0], window[1]), outcome_label=f.text(out, "outcome", "label"),
        targets=(arms[0], arms[1]) if arms else None, source="; ".join(sources), moved=moved, start=start,
        recruit=f.integer(t, "trial", "recruit", 1), seed_offset=f.integer(t, "trial", "seed_offset", 0x7121A1),
        good=good, odds_ratio=odds, description=f.text(t, "trial", "description", ""), sources=tuple(sources),
        path=str(path))


def _table(value: Any, where: str, name: str) -> dict:
    if not isinstance(value, dict):
        raise ParameterError(f"{where}: {name} = {value!r}: wrong type, expected a table")
    return value


def _known(table: dict, allowed: tuple[str, ...], where: str, prefix: str) -> None:
    for key in table:
        if key not in allowed:
            name = f"{prefix}.{key}" if prefix else f"[{key}]"
            raise ParameterError(f"{where}: {name}: unknown key; allowed: {', '.join(allowed)}")


@dataclass
class _Fields:
    where: str
    _missing: Any = field(default=object(), repr=False)

    def _get(self, table: dict, prefix: str, key: str, default: Any) -> Any:
        if key in table:
            return table[key]
        if default is self._missing:
            raise ParameterError(f"{self.where}: {prefix}.{key}: missing")
        return default

    def text(self, table: dict, prefix: str, key: str, default: Any = None) -> str:
        value = self._get(table, prefix, key, self._missing if default is None else default)
        if not isinstance(value, str) or (default is None and not value.strip()):
            raise ParameterError(f"{self.where}: {prefix}.{key} = {value!r}: wrong type, expected a non-empty string")
        return value

    def integer(self, table: dict, prefix: str, key: str, default: Any = None) -> int:
        value = self._get(table, prefix, key, self._missing if default is None else default)
        lo, hi = LIMITS[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParameterError(f"{self.where}: {prefix}.{key} = {value!r}: wrong type, expected a whole number")
        if not lo <= value <= hi:
            raise ParameterError(f"{self.where}: {prefix}.{key} = {value!r}: out of range; expected {lo}-{hi}")
        return value

    def share(self, table: dict, prefix: str, key: str) -> float:
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParameterError(f"{self.where}: {prefix}.{key} = {value!r}: wrong type, expected a share")
        if not 0.0 <= value <= 1.0:
            raise ParameterError(f"{self.where}: {prefix}.{key} = {value!r}: out of range; expected 0-1")
        return float(value)

    def levels(self, table: dict, prefix: str, key: str, dname: str | None = None) -> tuple[int, ...]:
        """A non-empty list of level names of domain ``dname`` (default: ``key``)."""
        value = self._get(table, prefix, key, self._missing)
        enum = LEVELS[Domain[(dname or key).upper()]]
        allowed = ", ".join(lv.name.lower() for lv in enum)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise ParameterError(f"{self.where}: {prefix}.{key} = {value!r}: wrong type, expected a non-empty list "
                                 f"of levels ({allowed})")
        out = []
        for v in value:
            if v.upper() not in enum.__members__:
                raise ParameterError(f"{self.where}: {prefix}.{key}: unknown level {v!r}; allowed: {allowed}")
            out.append(int(enum[v.upper()]))
        return tuple(sorted(set(out)))


#: The trials the calibration fits and validation reports, from their files (one definition).
TRIALS: dict[str, Trial] = {name: load_trial(name) for name in ("hf", "ips")}


# -- running a trial ---------------------------------------------------------------------------
ARMS = ("intervention", "usual_care")


@dataclass
class TrialRun:
    """One emulation: per arm, follow-up months 0..F (rows) x arms (columns ``ARMS``)."""

    trial: Trial
    follow_up: int
    in_state: np.ndarray  #: (F+1, 2) share of the arm in the outcome's state
    curve: np.ndarray  #: (F+1, 2) the outcome's curve: cumulative for 'ever', else ``in_state``
    outcome: np.ndarray  #: (2,) the outcome per arm
    citizens: dict[str, np.ndarray]  #: one entry per randomised citizen (see ``run_trial``)
    #: paired ledger (``paired=True``): accounts, and per account the intervention arm's
    #: scenario - counterfactual net cost, DKK summed over participants: their own over
    #: each one's follow-up ("own"), and the whole population's over the months from the
    #: first randomisation to the end ("population", displacement included)
    accounts: list[tuple[str, str]] | None = None
    own: np.ndarray | None = None
    population: np.ndarray | None = None

    @property
    def sizes(self) -> tuple[int, int]:
        arm = self.citizens["arm"]
        return int((arm == 0).sum()), int((arm == 1).sum())


def run_trial(trial: str | Path | Trial, params: Parameters, seed: Any, *, size: int | None = None,
              months: int | None = None, paired: bool = False) -> TrialRun:
    """Emulate ``trial`` once on ``params`` (see the module doc). ``months``: follow-up of
    each participant (default the trial's; it must cover the outcome window).
    ``paired``: also step the counterfactual arm (the same citizens without the
    enrolment) and return the intervention arm's paired ledger."""
    from model.pairing import PairedModel

    t = load_trial(trial)
    follow = t.months if months is None else int(months)
    if follow < t.window[1]:
        raise ParameterError(f"months = {follow}: shorter than the outcome window of trial {t.name!r} "
                             f"(months {t.window[0]}-{t.window[1]} of follow-up)")
    pair = PairedModel(params, params if paired else None, seed=seed, **{"population.size": int(size or t.size)})
    model = pair.scenario
    n = model.population.n
    # 1:1 randomisation with its own seeded generator (independent of the model's streams)
    rng = np.random.default_rng(np.random.SeedSequence(model.seed, spawn_key=(t.seed_offset,)))
    last_entry = t.start + t.recruit - 1
    horizon = last_entry + follow
    states: list[np.ndarray] = []
    arm = np.full(n, -1, dtype=np.int8)
    entry = np.full(n, -1, dtype=np.int64)
    entry_levels = np.zeros((len(Domain), n), dtype=np.int8)
    last_move = np.full(n, -(10 ** 6), dtype=np.int64)
    prev = None
    snaps: dict[int, list] = {}  # cohort entry month -> [ids, scenario start, counterfactual start, own diff]
    for month in range(horizon + 1):
        pop = model.population
        levels = pop.levels
        if pop.n > arm.size:  # newcomers entered the target group (model/demography.py)
            arm, entry = extend(arm, pop.n, -1), extend(entry, pop.n, -1)
            entry_levels, last_move = extend(entry_levels, pop.n, 0), extend(last_move, pop.n, -(10 ** 6))
        if t.moved is not None:
            row = levels[t.moved.domain]
            if prev is not None:
                m = prev.size
                last_move[:m][np.isin(prev, t.moved.source) & np.isin(row[:m], t.moved.dest) & pop.alive[:m]] = month
            prev = row.copy()
        if t.start <= month <= last_entry:
            ok = t.eligible(levels) & (arm < 0) & pop.alive
            if t.moved is not None:
                ok &= month - last_move < t.moved.within
            eligible = np.flatnonzero(ok)
            shuffled = rng.permutation(eligible)
            arm_int = np.sort(shuffled[: eligible.size // 2])
            arm_uc = np.sort(shuffled[eligible.size // 2:])
            arm[arm_int], arm[arm_uc] = 0, 1
            entry[eligible] = month
            entry_levels[:, eligible] = levels[:, eligible]
            model.services.enroll(t.service, arm_int, model.population)
            if paired and arm_int.size:
                snaps[month] = [arm_int, model.ledger.citizen_total[:, arm_int].copy(),
                                pair.counterfactual.ledger.citizen_total[:, arm_int].copy(), None]
        states.append(t.in_state(pop.levels) & pop.alive)  # the dead are in no state
        if paired and month - follow in snaps:
            s = snaps[month - follow]
            s[3] = ((model.ledger.citizen_total[:, s[0]] - s[1])
                    - (pair.counterfactual.ledger.citizen_total[:, s[0]] - s[2])).sum(axis=1)
        if month < horizon:
            pair.step()
    # per arm: the participants' states by month of follow-up (rows) and participant (columns)
    n = arm.size
    state = np.zeros((horizon + 1, n), dtype=bool)
    for month, row in enumerate(states):
        state[month, :row.size] = row
    steps = np.arange(follow + 1)[:, None]
    per_arm = []
    for a in (0, 1):
        idx = np.flatnonzero(arm == a)
        per_arm.append((idx, state[entry[idx][None, :] + steps, idx[None, :]]))
    good = np.empty((follow + 1, 2), dtype=float)
    curve = np.zeros((follow + 1, 2), dtype=float)
    w0, w1 = t.window
    values = np.empty(n, dtype=float)
    for a, (idx, s) in enumerate(per_arm):
        good[:, a] = s.mean(axis=1)
        if t.measure == "ever":
            curve[w0:, a] = np.logical_or.accumulate(s[w0:], axis=0).mean(axis=1)
            values[idx] = s[w0:w1 + 1].any(axis=0)
        else:
            curve[:, a] = good[:, a]
            values[idx] = s[w0:w1 + 1].mean(axis=0) if t.measure == "share_of_time" else s[w1]
    if t.measure == "ever":
        outcome = curve[w1]
    elif t.measure == "share_of_time":
        outcome = np.mean(good[w0:w1 + 1], axis=0)
    else:
        outcome = good[w1]
    who = np.flatnonzero(arm >= 0)
    citizens = {"citizen": who, "arm": arm[who], "entry_month": entry[who], "outcome": values[who],
                **{f"{domain_name(d)}_at_entry": entry_levels[d, who] for d in Domain}}
    run = TrialRun(t, follow, good, curve, outcome, citizens)
    if paired:
        scen, cf = model.ledger, pair.counterfactual.ledger
        run.accounts = list(scen.accounts)
        run.own = np.sum([s[3] for s in snaps.values()], axis=0) if snaps else np.zeros(len(scen.accounts))
        run.population = (np.stack(scen.monthly[t.start:]) - np.stack(cf.monthly[t.start:])).sum(axis=0)
    return run


def emulate(trial: str | Trial, params: Parameters, seed: Any, size: int | None = None) -> dict:
    """Run one emulation (the calibration's and validation's view). Returns per arm the
    monthly outcome curve (``curve_*``, months 0..follow-up; cumulative for an 'ever'
    outcome), the ``outcome``, and the arm sizes."""
    t = TRIALS[trial] if isinstance(trial, str) and trial in TRIALS else load_trial(trial)
    r = run_trial(t, params, seed, size=size)
    n_int, n_uc = r.sizes
    return {"trial": t.name, "n_intervention": n_int, "n_usual_care": n_uc,
            "intervention": float(r.outcome[0]), "usual_care": float(r.outcome[1]),
            "curve_intervention": r.curve[:, 0], "curve_usual_care": r.curve[:, 1]}


# -- a money emulation: Critical Time Intervention after leaving a shelter --------------------------
#: The Danish evaluation of the homelessness strategy (Rambøll & SFI 2013) found CTI for
#: citizens moving from a §110 shelter into their own home returned about 98,000-106,000 DKK
#: per participant to the public budgets in the first year, about 35,000 of it to the kommune
#: that paid for it [S] (docs/sources.md). Prices as the evaluation used them: average prices
#: (SØM), the refund rules before October 2023.
CTI_EVALUATION = {"public": (98_000.0, 106_000.0), "kommune": 35_000.0}


@dataclass
class CtiMoney:
    """Year-one money per participant of a CTI emulation (DKK, + = the public saves)."""

    participants: int
    #: per budget holder and "total": the participants' own net saving over the 12 months
    #: after their enrolment (counterfactual - scenario cost, the CTI course included)
    own: dict[str, float]
    #: per budget holder and "total": the whole population's net saving over the
    #: recruitment and follow-up months, per participant, at average prices (occupied
    #: shelter places at their price, the SØM convention); includes displacement (a bed
    #: freed in a full shelter is taken by someone else)
    population: dict[str, float]
    #: the same with shelters booked as the capacity the kommune pays for (occupied and
    #: vacant funded places): what the budgets really spend less, i.e. cashable
    cashable: dict[str, float]
    #: per budget holder and "total": a naive comparison (not a counterfactual): each
    #: participant's year-one cost against that of a control who was in a shelter the month
    #: the participant left one and stayed there, with the same substance, mental and
    #: employment levels then (status-quo arm, average prices). The difference holds what
    #: leaving the shelter does without CTI: how far selection can move an evaluation that
    #: compares participants with other shelter users
    matched: dict[str, float] | None = None
    #: participants who found a control
    matched_pairs: int = 0


def cti_money(params: Parameters, seed: Any, size: int = 20000, warmup: int = 24, recruit: int = 12,
              follow: int = 12) -> CtiMoney:
    """Emulate the Danish CTI evaluation on the model: after ``warmup`` months of the status
    quo, every citizen who moves from a shelter into their own home during the next
    ``recruit`` months is enrolled in CTI (a 9-month course) in the scenario arm; the
    counterfactual arm is the same citizens on the same random numbers without it. Each
    participant is followed ``follow`` months from enrolment."""
    from model.pairing import PairedModel
    from model.services import BUDGETS

    state: dict[str, Any] = {"prev": None, "recruited": None, "control": None, "pairs": []}

    def recruit_hook(pair: PairedModel) -> None:
        pop = pair.scenario.population
        housing = pop.levels[Domain.HOUSING].copy()
        if state["recruited"] is None:
            state["recruited"] = np.full(pop.n, -1, dtype=np.int64)
            state["control"] = np.full(pop.n, -1, dtype=np.int64)
        state["recruited"] = extend(state["recruited"], pop.n, -1)
        state["control"] = extend(state["control"], pop.n, -1)
        if state["prev"] is not None and warmup <= pair.month < warmup + recruit:
            prev = extend(state["prev"], pop.n, -1)
            free = (state["recruited"] < 0) & (state["control"] < 0) & pop.alive
            moved = (prev == Housing.SHELTER) & (housing == Housing.OWN_HOME) & free
            who = np.flatnonzero(moved)
            if who.size:
                pair.scenario.services.enroll("cti", who, pop)
                state["recruited"][who] = pair.month
                # the evaluation's design: a control still in a shelter, matched on levels
                stayed = np.flatnonzero((prev == Housing.SHELTER) & (housing == Housing.SHELTER) & free)
                state["pairs"] += _match_controls(pop, who, stayed, state["control"], pair.month,
                                                  pair.scenario.streams.generator("cti.match", pair.month))
        state["prev"] = housing

    pair = PairedModel(params, params, seed=seed, before_step=[recruit_hook], **{"population.size": int(size)})
    pair.run_for(warmup + recruit + follow)
    recruited = state["recruited"]
    who = np.flatnonzero(recruited >= 0)
    scen, cf = pair.scenario.ledger, pair.counterfactual.ledger
    # per citizen: months x budgets x citizens (month m at index m-1); the window is months t+1..t+follow
    diff = cf.citizen_monthly_array() - scen.citizen_monthly_array()
    start = recruited[who]
    own = np.zeros(len(BUDGETS))
    for t in np.unique(start):
        sel = who[start == t]
        own += diff[t:t + follow][:, :, sel].sum(axis=(0, 2))
    # the whole population over the recruitment and follow-up months, per participant
    window = slice(warmup, warmup + recruit + follow)
    total = (np.stack(cf.monthly) - np.stack(scen.monthly))[window]  # months x accounts
    budget_of = np.array([BUDGETS.index(b) for b, _ in scen.accounts])
    vacant = np.array([c == "shelter_vacant" for _, c in scen.accounts])
    cash = np.array([total[:, budget_of == b].sum() for b in range(len(BUDGETS))])
    average = np.array([total[:, (budget_of == b) & ~vacant].sum() for b in range(len(BUDGETS))])
    n = max(int(who.size), 1)

    def per(v: np.ndarray, n: int = n) -> dict[str, float]:
        return {**{b: float(x) / n for b, x in zip(BUDGETS, v)}, "total": float(v.sum()) / n}

    # matched comparison: control's status-quo cost minus participant's cost with CTI
    scen_m, cf_m = scen.citizen_monthly_array(), cf.citizen_monthly_array()
    matched = np.zeros(len(BUDGETS))
    for participant, control, t in state["pairs"]:
        matched += (cf_m[t:t + follow, :, control] - scen_m[t:t + follow, :, participant]).sum(axis=0)
    pairs = len(state["pairs"])
    return CtiMoney(int(who.size), per(own), per(average), per(cash),
                    matched=per(matched, max(pairs, 1)) if pairs else None, matched_pairs=pairs)


def _match_controls(pop, participants: np.ndarray, candidates: np.ndarray, control: np.ndarray, month: int,
                    rng: np.random.Generator) -> list[tuple[int, int, int]]:
    """One control per participant, drawn from ``candidates`` with the same substance, mental
    and employment levels (marked in ``control``); (participant, control, month) pairs."""
    key = lambda idx: (pop.levels[Domain.SUBSTANCE, idx].astype(np.int64) * 16
                       + pop.levels[Domain.MENTAL, idx] * 4 + pop.levels[Domain.EMPLOYMENT, idx])
    pool = rng.permutation(candidates)
    pool_key = key(pool)
    used = np.zeros(pool.size, dtype=bool)
    out = []
    for p, k in zip(participants, key(participants)):
        hit = np.flatnonzero((pool_key == k) & ~used)
        if hit.size:
            used[hit[0]] = True
            control[pool[hit[0]]] = month
            out.append((int(p), int(pool[hit[0]]), int(month)))
    return out
