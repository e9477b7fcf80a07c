"""The synthetic population: arrays holding every citizen's state (struct of arrays).

``PopulationState`` is the single store of citizen state. The ``Citizen`` agents read
and write it through their properties; the pathway engine and the services act on whole
arrays at once.

**A living population.** Citizens die and leave the target group (``status``), and new
citizens enter it (``model/demography.py``). A citizen's index is never reused: the
dead and those who left keep their row (their last levels, for the record) and are
masked out of every count, draw, service and account (``alive``); newcomers are
appended (:meth:`PopulationState.grow`), in the same order and with the same
attributes in both arms of a pairing, so citizen ``i`` is the same person in both
and receives the same random numbers (``model/rng.py``: element ``i`` of a stream is
the same whatever the stream's length).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from agents.states import HOMELESS, LEVELS, Domain, Housing, Justice, Mental, Substance, domain_name, in_levels
from model import kernels
from model.params import Parameters
from model.rng import RandomStreams

N_DOMAINS = len(Domain)

#: ``PopulationState.status``: in the target group, died, left it (reached the exit age),
#: or not yet in it: a grown-up child of the model (``model/children.py``) who has a row
#: from age 18 and joins the target group if and when they become vulnerable
ALIVE, DIED, EXITED, PENDING = 0, 1, 2, 3
#: the month of a citizen who has not left (``PopulationState.left``)
NOT_LEFT = -1
#: the level recorded for a citizen not in the target group at a month (not yet entered,
#: died, left) in level histories (``living_levels``, ``stack_levels``)
NOT_LIVING = -1


#: room left at the end of large per-citizen arrays (the services' and the ledger's) for
#: the rows of the first years: the starting population's grown-up children get rows in
#: the first month (~26% of the start in the baseline, ``model/children.py``), and
#: newcomers and children turning 18 add ~1-2% a year. Growing into the room copies
#: nothing, so the old and the new array never coexist: at a million citizens the
#: ledger's per-citizen accounts alone are ~430 MB, and copying them in the first month
#: set the run's peak memory. Room costs address space, not memory: ``np.zeros`` pages
#: are not resident until a row is written.
ROOM = 0.35


#: the prefix views made by ``extend`` and ``zeros_with_room`` (id -> the view, held
#: weakly): a view found here is a prefix of its ``base`` along one axis, so ``extend``
#: grows it without checking its memory again (~6 -> ~3 microseconds a call, ~100 calls
#: a month whatever the size: ~6% of a 2,000-citizen month)
_PREFIXES: weakref.WeakValueDictionary[int, np.ndarray] = weakref.WeakValueDictionary()


def _prefix(buf: np.ndarray, n: int, axis: int) -> np.ndarray:
    """The first ``n`` entries of ``buf`` along ``axis`` (a view), registered as a prefix."""
    view = buf[(slice(None),) * axis + (slice(0, n),)]
    _PREFIXES[id(view)] = view
    return view


def zeros_with_room(shape: tuple[int, ...], dtype=float) -> np.ndarray:
    """``np.zeros(shape)`` as a prefix view of a buffer ``ROOM`` longer in the last axis,
    which :func:`extend` grows into without copying."""
    n = shape[-1]
    return _prefix(np.zeros(shape[:-1] + (n + int(n * ROOM) + 64,), dtype=dtype), n, len(shape) - 1)


def take_rows(a: np.ndarray, rows: np.ndarray | slice | None) -> np.ndarray:
    """``a`` (per-citizen values in the last axis) for the citizens ``rows`` only (``None``:
    ``a`` itself; a slice: a view, neither copied); ``np.take`` gathers a 2-D array ~3x
    faster than ``a[:, rows]``."""
    if rows is None:
        return a
    return a[..., rows] if isinstance(rows, slice) else np.take(a, rows, axis=-1)


def stack_levels(frames: list[np.ndarray]) -> np.ndarray:
    """Monthly level snapshots (domains x citizens, the number of citizens growing with
    newcomers) as one array (months x domains x citizens), ``NOT_LIVING`` where a
    citizen had not yet entered."""
    n = max(f.shape[-1] for f in frames)
    out = np.full((len(frames), frames[0].shape[0], n), NOT_LIVING, dtype=frames[0].dtype)
    for t, f in enumerate(frames):
        out[t, :, :f.shape[-1]] = f
    return out


def extend(a: np.ndarray, n: int, fill, axis: int = -1) -> np.ndarray:
    """``a`` lengthened to ``n`` along ``axis`` (per-citizen arrays: the last; lists of
    rows such as the network's edges: the first), the new entries set to ``fill``.

    Over-allocates (room for a quarter of the new length, even after a jump such as the
    starting population's grown-up children joining in the first month), so growing by a
    few citizens every month costs the newcomers, not a copy of the whole array: the
    result is a prefix view of a larger buffer, and when ``a`` is already such a view with
    room left, no copy is made.
    The old entries are unchanged; references to the old ``a`` still see them (they share
    the memory) but not the new ones.

    A zero ``fill`` is not written where the room already holds zeros: new buffers are
    ``np.zeros``, whose pages are not resident until written, and reading them (the check)
    maps no memory. So rows that are never booked cost no memory: writing zeros into every
    account of the ledger for the starting population's grown-up children made ~200 MB
    resident at a million citizens (more with huge pages: one written row makes 2 MB
    resident). For the same reason a copy skips the slices of an array of several
    per-citizen rows that hold only zeros (the accounts nobody books): copying the
    ledger's ~100 accounts made all of them resident in the new buffer."""
    axis = axis % a.ndim
    old = a.shape[axis]
    if n <= old:
        return a

    def along(part: slice) -> tuple[slice, ...]:
        return (slice(None),) * axis + (part,)

    base = a.base
    if _PREFIXES.get(id(a)) is a and base.shape[axis] >= n:  # a prefix made here, with room
        out = _prefix(base, n, axis)
    elif (isinstance(base, np.ndarray) and base.ndim == a.ndim
            and base.shape[:axis] + base.shape[axis + 1:] == a.shape[:axis] + a.shape[axis + 1:]
            and base.shape[axis] >= n and base.dtype == a.dtype and base.flags.c_contiguous
            and a.strides == base.strides and a.ctypes.data == base.ctypes.data):
        out = _prefix(base, n, axis)
    else:
        shape = list(a.shape)
        shape[axis] = n + n // 4 + 64
        buf = np.zeros(tuple(shape), dtype=a.dtype)
        if a.ndim > 1 and axis == a.ndim - 1:  # e.g. the ledger's accounts x citizens
            for i in np.ndindex(a.shape[:-1]):  # an account nobody has booked stays unwritten
                if a[i].any():
                    buf[i][:old] = a[i]
        else:
            buf[along(slice(0, old))] = a
        out = _prefix(buf, n, axis)
    room = out[along(slice(old, n))]
    if fill != 0 or room.any():
        room[...] = fill
    return out


@dataclass
class PopulationState:
    """Every citizen's state. Index ``i`` is citizen ``i`` (``Citizen.idx``)."""

    #: level of each domain, shape (n_domains, n); ``levels[Domain.HOUSING, i]``
    levels: np.ndarray
    #: months already spent in the current level, shape (n_domains, n)
    months_in_level: np.ndarray
    #: latent personal complexity / vulnerability, standard normal
    complexity: np.ndarray
    #: age in years
    age: np.ndarray
    #: ever been in prison / ever been homeless (history)
    ever_prison: np.ndarray
    ever_homeless: np.ndarray
    #: count of prison spells started and total months homeless
    prison_spells: np.ndarray
    months_homeless: np.ndarray
    #: ``ALIVE``, ``DIED`` or ``EXITED`` (left the target group at the exit age)
    status: np.ndarray
    #: the month the citizen entered the target group (0: there at the start) and left it
    #: (``NOT_LEFT``: still in it)
    entered: np.ndarray
    left: np.ndarray
    #: the month the current homeless spell began (``NOT_LEFT``: not homeless); for those
    #: homeless at the start, minus the months already spent in their housing level
    spell_start: np.ndarray
    #: months completed so far (advanced by ``end_month``)
    month: int = 0

    def __post_init__(self) -> None:
        #: completed homeless spells: (citizen, month begun, month ended) of each, in the order
        #: they ended (a spell ended by death or exit is not recorded)
        self.spells: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.alive = self.status == ALIVE
        self._all_alive = bool(self.alive.all())
        self._living: np.ndarray | None = None

    @property
    def n(self) -> int:
        """Rows: everyone who has ever been in the target group (the dead and those who
        left included); the living are ``alive``."""
        return self.levels.shape[1]

    @property
    def all_alive(self) -> bool:
        """Nobody has died or left: the masks can be skipped."""
        return self._all_alive

    @property
    def living(self) -> np.ndarray:
        """Indices of the living rows (status ``ALIVE``), ascending. Cached: ``alive``
        changes only in ``leave``, ``grow`` and ``join``, which drop the cache."""
        if self._living is None:
            self._living = np.flatnonzero(self.alive)
        return self._living

    def step_rows(self) -> np.ndarray | None:
        """The rows the monthly step computes over: ``None`` when everyone is alive (whole
        arrays, no gather), else ``living``.

        Why: the dead, those who left and the grown-up children outside the target group
        (``PENDING``) keep their rows (indices are never reused), and after 20 years at
        100,000 citizens they are more than half of the rows; they make no move, receive
        no service and cost nothing, so the hot path (features, rates, draws, the
        ledger's amounts, counts, mortality) gathers the living rows and skips the rest.
        Every per-citizen result is computed element by element from the same inputs, so
        it is bit-identical to computing over all rows and masking."""
        return None if self._all_alive else self.living

    def counts(self) -> list[np.ndarray]:
        """Living citizens in each level, per domain."""
        levels = take_rows(self.levels, self.step_rows())
        return [np.bincount(levels[d], minlength=len(LEVELS[d])) for d in Domain]

    def leave(self, who: np.ndarray, status: int) -> None:
        """``who`` (indices of living citizens) die (``DIED``) or leave the target group
        (``EXITED``) now, at the start of month ``month + 1``; they keep their levels."""
        self.status[who] = status
        self.left[who] = self.month + 1
        self.alive[who] = False
        self.spell_start[who] = NOT_LEFT
        if who.size:
            self._all_alive = False
            self._living = None

    def grow(self, cohort: PopulationState) -> np.ndarray:
        """Append ``cohort`` (newcomers entering now); returns their indices."""
        start, n = self.n, self.n + cohort.n
        for name in ("levels", "months_in_level", "complexity", "age", "ever_prison", "ever_homeless",
                     "prison_spells", "months_homeless", "status", "entered", "left", "spell_start", "alive"):
            grown = extend(getattr(self, name), n, 0)
            grown[..., start:n] = getattr(cohort, name)
            setattr(self, name, grown)
        self.entered[start:n] = self.month + 1
        if (cohort.status != ALIVE).any():
            self._all_alive = False
        self._living = None
        homeless = in_levels(cohort.levels[Domain.HOUSING], HOMELESS)
        self.spell_start[start:n] = np.where(homeless, self.month - cohort.months_in_level[Domain.HOUSING], NOT_LEFT)
        return np.arange(start, n)

    def join(self, who: np.ndarray) -> None:
        """``who`` (rows with status ``PENDING``) enter the target group now, at the start
        of month ``month + 1``, in the levels drawn for them when their row was made
        (``model/children.py``), with every clock at 0."""
        self.status[who] = ALIVE
        self.alive[who] = True
        self._living = None
        self.entered[who] = self.month + 1
        self.months_in_level[:, who] = 0
        homeless = in_levels(self.levels[Domain.HOUSING, who], HOMELESS)
        self.spell_start[who] = np.where(homeless, self.month, NOT_LEFT)
        self.ever_homeless[who] = homeless
        self.months_homeless[who] = 0

    def set_levels(self, domain: Domain, who: np.ndarray, new_levels: np.ndarray | int) -> None:
        """Move citizens ``who`` (indices) to ``new_levels`` in ``domain``; the clock of
        months-in-level restarts for those whose level actually changes, and history is
        updated. The one place where a level changes."""
        row = self.levels[domain]
        old = row[who]
        row[who] = new_levels
        moved = old != row[who]
        changed = who[moved]
        self.months_in_level[domain, changed] = 0
        if domain == Domain.JUSTICE:
            entered = changed[row[changed] == Justice.PRISON]
            self.ever_prison[entered] = True
            np.add.at(self.prison_spells, entered, 1)
        elif domain == Domain.HOUSING:
            now = in_levels(row[changed], HOMELESS)
            self.ever_homeless[changed[now]] = True
            was = in_levels(old[moved], HOMELESS)
            began, ended = changed[now & ~was], changed[~now & was]
            if ended.size:
                self.spells.append((ended.copy(), self.spell_start[ended].copy(), np.full(ended.size, self.month)))
            self.spell_start[began] = self.month
            self.spell_start[ended] = NOT_LEFT

    def end_month(self) -> None:
        """Advance the clocks by one month (after all moves of the month)."""
        self.months_in_level += 1
        self.age += 1.0 / 12.0
        homeless = in_levels(self.levels[Domain.HOUSING], HOMELESS)
        self.months_homeless += homeless if self._all_alive else homeless & self.alive
        self.month += 1

    def living_levels(self) -> np.ndarray:
        """A copy of ``levels`` with ``NOT_LIVING`` (-1) for the dead and those who left."""
        out = self.levels.copy()
        if not self._all_alive:
            out[:, ~self.alive] = NOT_LIVING
        return out

    def spell_frame(self):
        """Completed homeless spells: citizen, month begun, month ended, length in months
        (a spell begun before the start has a begin month below 0: left-censored)."""
        import pandas as pd

        if not self.spells:
            z = np.zeros(0, np.int64)
            return pd.DataFrame({"citizen": z, "begun": z, "ended": z, "months": z})
        who, begun, ended = (np.concatenate(x).astype(np.int64) for x in zip(*self.spells))
        return pd.DataFrame({"citizen": who, "begun": begun, "ended": ended, "months": ended - begun})


def synthesize(params: Parameters, streams: RandomStreams) -> PopulationState:
    """Draw the starting population: complexity first, then each domain's level with
    probabilities tilted towards the non-reference levels by complexity."""
    rng = streams.generator("population")
    return draw_cohort(params, rng, params["population.size"], params["population.age_mean"],
                       params["population.age_sd"])


def draw_cohort(params: Parameters, rng: np.random.Generator, n: int, age_mean: float, age_sd: float,
                entry_levels: bool = False) -> PopulationState:
    """``n`` citizens drawn with ``rng``: complexity, age (normal, 18-90), and each
    domain's level from ``population.initial`` tilted by complexity (``population.loading``).

    ``entry_levels``: newcomers (``model/demography.py``) do not arrive inside a service;
    a level a service provides counts as the level its clients come from (treatment ->
    problematic use or untreated illness, supported housing and shelter -> precarious,
    prison and probation -> free), so they enter through the services' own doors and queues."""
    complexity = rng.standard_normal(n)
    age = np.clip(rng.normal(age_mean, age_sd, n), 18.0, 90.0)
    levels = np.empty((N_DOMAINS, n), dtype=np.int8)
    months = np.empty((N_DOMAINS, n), dtype=np.int32)
    shares, loadings = _initial_shares(params)
    cum = None
    for d in Domain:
        if d % _domains_per_pass(n) == 0:  # the tilted shares of the next domains, at once
            group = slice(d, d + _domains_per_pass(n))
            cum = _tilted_cumulative_shares(shares[group], loadings[group], complexity)
        n_levels = len(LEVELS[d])
        u = rng.random(n)
        levels[d] = np.minimum((u >= cum[d % _domains_per_pass(n), :n_levels]).sum(axis=0), n_levels - 1)
        # time already spent in the starting level: uniform 0-35 months (assumption)
        months[d] = rng.integers(0, 36, n)
    if entry_levels:
        for d, service_level, door in ENTRY_DOORS:
            levels[d][levels[d] == service_level] = door
    homeless = in_levels(levels[Domain.HOUSING], HOMELESS)
    ever_prison = levels[Domain.JUSTICE] != Justice.FREE
    return PopulationState(
        levels=levels,
        months_in_level=months,
        complexity=complexity,
        age=age,
        ever_prison=ever_prison.copy(),
        ever_homeless=homeless.copy(),
        prison_spells=ever_prison.astype(np.int32),
        months_homeless=np.where(homeless, months[Domain.HOUSING], 0).astype(np.int32),
        status=np.full(n, ALIVE, dtype=np.int8),
        entered=np.zeros(n, dtype=np.int32),
        left=np.full(n, NOT_LEFT, dtype=np.int32),
        spell_start=np.where(homeless, -months[Domain.HOUSING], NOT_LEFT).astype(np.int32),
    )


#: citizens up to which ``draw_cohort`` tilts every domain's shares in one pass (a few
#: MB); above it, one domain at a time (a million citizens' five domains at once would
#: hold ~250 MB per temporary)
ONE_PASS_CITIZENS = 50_000


def _domains_per_pass(n: int) -> int:
    return N_DOMAINS if n <= ONE_PASS_CITIZENS else 1


def _initial_shares(params: Parameters) -> tuple[np.ndarray, np.ndarray]:
    """``population.initial`` as one array (domains x levels, padded with 0 to the most
    levels of any domain) and ``population.loading`` per domain, read once per
    ``Parameters`` (a cohort is drawn every month)."""
    def compute(params: Parameters) -> tuple[np.ndarray, np.ndarray]:
        initial = params.subtree("population.initial")
        shares = np.zeros((N_DOMAINS, max(len(LEVELS[d]) for d in Domain)))
        for d in Domain:
            shares[d, :len(LEVELS[d])] = [initial[domain_name(d)][lv.name.lower()] for lv in LEVELS[d]]
        return shares, np.array([params[f"population.loading.{domain_name(d)}"] for d in Domain])

    return params.derived("population.initial", compute)


#: rounds of proportional adjustment of a cohort's tilted starting shares
FITTING_ROUNDS = 30


def _tilted_cumulative_shares(shares: np.ndarray, loading: np.ndarray, complexity: np.ndarray) -> np.ndarray:
    """Each citizen's cumulative level probabilities, for one or more domains at once
    (``shares``: domains x levels, a domain's unused levels 0; ``loading``: per domain;
    result: domains x levels x citizens): level k's share times exp(loading x
    complexity) for k > 0, normalised per citizen, then rescaled by iterative
    proportional adjustment (``FITTING_ROUNDS``) so the mean over citizens matches the
    shares (the population's shares stay as given in expectation). The rescaling runs
    compiled (``model/kernels/population.py``, the same bits) unless the numpy engine is
    chosen (``model/kernels/__init__.py``).

    Laid out levels x citizens, so every pass runs over contiguous citizens (a
    citizens x levels reduction costs ~20 ns a citizen in numpy's loop overhead: ~2x
    slower for a month's newcomers, seconds at a million). The sums are written out in
    the order numpy reduces a citizens x levels array, so the result is the same bits: a
    citizen's levels are added left to right, and a level's mean over citizens adds them
    in order (``_running_sum``), then divides by their number. A padded level has
    weight exactly 0 throughout (adding 0 to a positive sum changes no bit), so
    domains with fewer levels come out as when computed alone; the domains share each
    round's numpy calls (a month's newcomers are a few dozen citizens, so the calls,
    not the arithmetic, are the cost)."""
    n = complexity.size
    used = shares > 0

    def per_citizen(w: np.ndarray) -> np.ndarray:
        total = w[:, 0].copy()
        for k in range(1, w.shape[1]):
            total += w[:, k]
        return total[:, None, :]

    tilt = np.where(np.arange(shares.shape[1]) > 0, loading[:, None], 0.0)
    logw = np.log(np.maximum(shares, 1e-300))[:, :, None] + tilt[:, :, None] * complexity
    w = np.exp(logw - logw.max(axis=1, keepdims=True))
    w[~used] = 0.0
    target = np.where(used, shares, 0.0)
    if kernels.compiled():  # the same steps compiled (model/kernels/population.py)
        from model.kernels.population import cumulative_fitted_shares

        cumulative_fitted_shares(w, target, FITTING_ROUNDS)
        return w
    w /= per_citizen(w)
    for _ in range(FITTING_ROUNDS):
        mean = _running_sum(w) / n if n else np.full(shares.shape, np.nan)
        w *= (target / np.maximum(mean, 1e-300))[:, :, None]
        w /= per_citizen(w)
    return np.cumsum(w, axis=1)


def _running_sum(w: np.ndarray, chunk: int = 8192) -> np.ndarray:
    """The sum along the last axis added left to right: the same bits as
    ``np.cumsum(w, axis=-1)[..., -1]`` (``w`` has at least one element along it).

    ``np.add.reduce`` over the first axis of a C-contiguous array adds its rows one after
    another (element by element over the other axes; numpy's pairwise summation applies
    only along a contiguous reduced axis), so a chunk of citizens copied citizens-first
    and reduced adds them in the same order as ``cumsum``, ~2.5x faster: ``cumsum`` runs
    a sequential loop over each (domain, level) pair, a third of the tilting of a
    month's cohorts. Each chunk's sum starts from the total so far, put in front of the
    chunk, so the additions are the same, in the same order, and nothing as large as
    ``w`` is written (a million citizens' cohort: 30 rounds x 6 levels x 8 MB per domain)."""
    flat = w.reshape(-1, w.shape[-1])  # (pairs, citizens)
    pairs, n = flat.shape
    # at least two columns: with one, numpy reduces the (then contiguous) axis pairwise
    buf = np.zeros((min(n, chunk) + 1, max(pairs, 2)))
    m = min(n, chunk)
    buf[:m, :pairs] = flat[:, :m].T
    total = np.add.reduce(buf[:m], axis=0)
    for start in range(chunk, n, chunk):
        part = flat[:, start:start + chunk]
        m = part.shape[1]
        buf[0] = total
        buf[1:m + 1, :pairs] = part.T
        total = np.add.reduce(buf[:m + 1], axis=0)
    return total[:pairs].reshape(w.shape[:-1])


#: (domain, a level a service provides, the level its clients come from): where a
#: newcomer drawn into a service's level enters instead (``draw_cohort``)
ENTRY_DOORS: tuple[tuple[Domain, int, int], ...] = (
    (Domain.HOUSING, Housing.SUPPORTED, Housing.PRECARIOUS),
    (Domain.HOUSING, Housing.SHELTER, Housing.PRECARIOUS),
    (Domain.SUBSTANCE, Substance.TREATMENT, Substance.PROBLEMATIC),
    (Domain.MENTAL, Mental.TREATMENT, Mental.UNTREATED),
    (Domain.JUSTICE, Justice.PRISON, Justice.FREE),
    (Domain.JUSTICE, Justice.PROBATION, Justice.FREE),
)
