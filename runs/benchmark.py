"""Speed and memory benchmark of the pathway engine.

    ./dev bench                 # the full benchmark (about 3 minutes), figures to docs/benchmark.md
    ./dev bench --quick         # smaller sizes, a minute

Each case runs in a fresh Python process pinned to one BLAS/OpenMP thread, so peak
memory (ru_maxrss) and timing belong to that case alone. Set-up (population, network,
agents) and stepping are timed apart. The "per-agent reference" is the same pathway rules
written as a plain Mesa ``Agent.step`` (one citizen at a time, pure Python); it exists
only here, to measure what vectorisation buys.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# -- the per-agent reference: the same rules, one citizen at a time ----------------------
def reference_model_class():
    import mesa
    import numpy as np

    from agents.states import LEVELS, Domain, domain_name
    from model.params import Parameters
    from model.pathways import DURATION_CAP_YEARS, PEER_FEATURES, parse_transitions
    from model.welfare_model import WelfareModel

    class ReferenceCitizen(mesa.Agent):
        def __init__(self, model, idx, levels, months, complexity, ever_prison, ever_homeless):
            super().__init__(model)
            self.idx = idx
            self.levels = levels  # list of ints, one per domain
            self.months = months
            self.complexity = complexity
            self.ever_prison = ever_prison
            self.ever_homeless = ever_homeless
            self.contacts: list[ReferenceCitizen] = []
            self.pending: list[int] = list(levels)

        def feature(self, name: str, domain_of_transition: int) -> float:
            if name == "complexity":
                return self.complexity
            if name.startswith("duration_"):
                return min(self.months[domain_of_transition], DURATION_CAP_YEARS * 12) / 12.0
            if name in PEER_FEATURES:
                d, lv = PEER_FEATURES[name]
                if not self.contacts:
                    return 0.0
                return sum(1 for c in self.contacts if c.levels[d] == lv) / len(self.contacts)
            if name == "history_prison":
                return float(self.ever_prison)
            if name == "history_homeless":
                return float(self.ever_homeless)
            dname, _, lname = name.partition("_")
            d = Domain[dname.upper()]
            return float(self.levels[d] == LEVELS[d][lname.upper()])

        def step(self):
            for d in Domain:
                options = [t for t in self.model.transitions if t.domain == d and t.source == self.levels[d]]
                rates = []
                for t in options:
                    r = t.rate
                    for feat, hr in t.hazard_ratios:
                        x = self.feature(feat, d)
                        if x:
                            r *= hr ** x if hr > 0 else 0.0
                    rates.append(r)
                total = sum(rates)
                u = self.model.rng.random()
                self.pending[d] = self.levels[d]
                if total > 0 and u < 1 - math.exp(-total):
                    v = u * total / (1 - math.exp(-total))
                    acc = 0.0
                    for t, r in zip(options, rates):
                        acc += r
                        if v < acc:
                            self.pending[d] = t.target
                            break

        def advance(self):
            for d in Domain:
                if self.pending[d] != self.levels[d]:
                    self.levels[d] = self.pending[d]
                    self.months[d] = 0
                else:
                    self.months[d] += 1

    class ReferenceModel(mesa.Model):
        def __init__(self, size: int, rng: int = 1):
            super().__init__(rng=rng)
            vec = WelfareModel(rng=rng, **{"population.size": size})  # same starting population
            self.transitions = parse_transitions(Parameters.baseline())
            pop = vec.population
            people = [
                ReferenceCitizen(self, i, [int(pop.levels[d, i]) for d in Domain],
                                 [int(pop.months_in_level[d, i]) for d in Domain], float(pop.complexity[i]),
                                 bool(pop.ever_prison[i]), bool(pop.ever_homeless[i]))
                for i in range(size)
            ]
            for p in people:
                p.contacts = [people[j] for j in vec.network.neighbours(p.idx)]
            self.people = people

        def step(self):
            self.agents.do("step")
            self.agents.do("advance")

    _ = (np, domain_name)
    return ReferenceModel


# -- one case, in its own process --------------------------------------------------------
def run_case(kind: str, size: int, months: int) -> dict:
    import resource

    from model import WelfareModel  # imports are not part of set-up time

    reference = reference_model_class() if kind == "reference" else None
    if kind == "numpy_engine":  # the numpy reference passes instead of the compiled kernels
        os.environ["WELFARE_PATHWAYS_ENGINE"] = "numpy"
    t0 = time.perf_counter()
    if reference is None:
        extra = {"children.enabled": False} if kind == "no_children" else {}
        model = WelfareModel(rng=1, **{"population.size": size}, **extra)
    else:
        model = reference(size, rng=1)
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(months):
        model.step()
    stepping = time.perf_counter() - t0
    return {
        "kind": kind,
        "citizens": size,
        "months": months,
        "setup_s": round(setup, 3),
        "stepping_s": round(stepping, 3),
        "citizen_months_per_s": round(size * months / stepping),
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        # rows of the adult model at the end (the dead and grown-up children outside the
        # target group included) and children ever drawn
        "rows": int(model.population.n) if reference is None else size,
        # the pathway step that ran: the compiled kernels or the numpy passes (model/kernels)
        "pathway_step": ("compiled" if model.engine.kernel is not None else "numpy") if reference is None else "per agent",
        "children": int(model.children.n) if reference is None and model.children is not None else 0,
    }


#: the month's phases timed by ``run_phases``: (label, the model's attribute owning the
#: method or None for the model itself, the method, inside which other phase or None)
PHASES: tuple[tuple[str, str | None, str, str | None], ...] = (
    ("deaths, exits, newcomers (`model/demography.py`)", "demography", "start_month", None),
    ("the children's month (`model/children.py`)", "children", "start_month", None),
    ("rows, contacts, room and agents for the month's new and dead (`WelfareModel._apply_demography`)", None,
     "_apply_demography", None),
    ("services: discharges, waiting lists, referrals, admissions", "services", "start_month", None),
    ("the peer shares: living contacts' levels counted (`PathwayEngine.peer_matrix`)", "engine", "peer_matrix", None),
    ("the pathway step: features, rates, draws (`PathwayEngine.choose`)", "engine", "choose", None),
    ("gates: drawn moves into a service's level (`ServiceSystem.gate`)", "services", "gate", None),
    ("moves applied, clocks advanced (`PopulationState.set_levels`, `end_month`)", "population", "set_levels", None),
    ("moves applied, clocks advanced (`PopulationState.set_levels`, `end_month`)", "population", "end_month", None),
    ("services' month end and the ledger", "services", "end_month", None),
    ("the ledger's booking (`Ledger.book_month`)", "ledger", "book_month", "services' month end and the ledger"),
    ("counting the levels (`WelfareModel._count`)", None, "_count", None),
    ("the DataCollector", "datacollector", "collect", None),
    ("drawing random numbers, in every phase (`RandomStreams.uniform`)", "streams", "uniform", "all phases"),
)


def run_phases(size: int, months: int, warm: int = 24) -> dict:
    """Milliseconds a month in each phase of the month (``PHASES``), months ``warm + 1``
    to ``warm + months`` of the default model (by then the population has its dead,
    newcomers and grown-up children)."""
    from model import WelfareModel

    model = WelfareModel(rng=1, **{"population.size": size})
    for _ in range(warm):
        model.step()
    spent: dict[str, float] = dict.fromkeys((label for label, *_ in PHASES), 0.0)

    def timed(label, method):
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - t
        return wrapper

    for label, owner, name, _ in PHASES:
        target = model if owner is None else getattr(model, owner)
        setattr(target, name, timed(label, getattr(target, name)))
    t0 = time.perf_counter()
    for _ in range(months):
        model.step()
    total = time.perf_counter() - t0
    top = sum(spent[label] for label in {label for label, *_, inside in PHASES if inside is None})
    per_month = {label: round(spent[label] / months * 1000, 2) for label, *_ in PHASES}
    return {"kind": "phases", "citizens": size, "months": months, "warm": warm,
            "month_ms": round(total / months * 1000, 2), "phases_ms": per_month,
            "rest_ms": round((total - top) / months * 1000, 2)}


def spawn_case(kind: str, size: int, months: int) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, __file__, "--case", kind, str(size), str(months)],
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


#: the first model of a process: import, build a small model, one month (compiles or loads the kernels)
FIRST_MODEL = ("import time; t = time.perf_counter(); from model import WelfareModel; "
               "m = WelfareModel(rng=1, **{'population.size': 200}); m.step(); print(time.perf_counter() - t)")


def first_model(**env: str) -> float:
    """Seconds from a fresh process's start to its first model's first month (``env``:
    extra environment variables)."""
    out = subprocess.run([sys.executable, "-c", FIRST_MODEL], env=dict(os.environ, PYTHONPATH=str(ROOT), **env),
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return round(float(out.stdout.strip().splitlines()[-1]), 2)


def first_model_times() -> dict:
    """``first_model`` with the kernels compiled from scratch (an empty numba cache),
    loaded from the cache, and with the numpy engine (nothing compiled). A worker process
    pays the cached figure once."""
    import tempfile

    with tempfile.TemporaryDirectory() as cache:
        cold = first_model(NUMBA_CACHE_DIR=cache, WELFARE_PATHWAYS_ENGINE="compiled")
        warm = first_model(NUMBA_CACHE_DIR=cache, WELFARE_PATHWAYS_ENGINE="compiled")
    return {"cold": cold, "cached": warm, "numpy": first_model(WELFARE_PATHWAYS_ENGINE="numpy")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes only (a minute)")
    ap.add_argument("--case", nargs=3, metavar=("KIND", "SIZE", "MONTHS"), help=argparse.SUPPRESS)
    ap.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmark.md",
                    help="where to write the Markdown table (default: docs/benchmark.md)")
    args = ap.parse_args(argv)
    if args.case:
        kind, size, months = args.case[0], int(args.case[1]), int(args.case[2])
        print(json.dumps(run_phases(size, months) if kind == "phases" else run_case(kind, size, months)))
        return 0
    if args.quick:
        cases = [("vectorised", 10_000, 240), ("vectorised", 100_000, 24), ("reference", 2_000, 6), ("vectorised", 2_000, 6)]
    else:
        cases = [("vectorised", 10_000, 240), ("numpy_engine", 10_000, 240), ("vectorised", 100_000, 240),
                 ("numpy_engine", 100_000, 240),
                 ("no_children", 100_000, 240), ("vectorised", 1_000_000, 12), ("reference", 10_000, 12),
                 ("vectorised", 10_000, 12), ("phases", 100_000, 96)]
    # compile the kernels (or check numba's cache) before timing: a case's set-up must not
    # include a compilation the machine pays once (``first_model_times`` measures that)
    first_model()
    rows = []
    for case in cases:
        row = spawn_case(*case)
        rows.append(row)
        if row["kind"] == "phases":
            print(f"phases at {row['citizens']:,} citizens: {row['month_ms']} ms a month: {row['phases_ms']}", flush=True)
            continue
        print(f"{row['kind']:>12} ({row['pathway_step']}) {row['citizens']:>9,} citizens x {row['months']:>3} months: "
              f"set-up {row['setup_s']:6.2f} s, "
              f"stepping {row['stepping_s']:7.2f} s = {row['citizen_months_per_s']:>10,} citizen-months/s, "
              f"peak {row['peak_memory_mb']:,} MB, {row['rows']:,} rows, {row['children']:,} children", flush=True)
    ref = next(r for r in rows if r["kind"] == "reference")
    same = next(r for r in rows if r["kind"] == "vectorised" and r["citizens"] == ref["citizens"] and r["months"] == ref["months"])
    ratio = same["citizen_months_per_s"] / ref["citizen_months_per_s"]
    print(f"vectorised / per-agent reference at {ref['citizens']:,} citizens: {ratio:.0f}x")
    first = first_model_times()
    print(f"first model in a fresh process: {first['cold']} s compiling the kernels, {first['cached']} s from numba's "
          f"cache, {first['numpy']} s with the numpy engine")
    if not args.quick:
        write_report(args.output, rows, ratio, first)
        print(f"wrote {args.output}")
    return 0


def write_report(path: Path, rows: list[dict], ratio: float, first: dict) -> None:
    lines = [
        "# Benchmark",
        "",
        f"Generated by `./dev bench` on {time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} cores; each case in its own process with one BLAS thread.",
        "",
        "| engine | pathway step | citizens at the start | months | set-up (s) | stepping (s) | citizen-months/s "
        "| peak memory (MB) | adult rows at the end | children drawn |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    phases = next((r for r in rows if r["kind"] == "phases"), None)
    rows = [r for r in rows if r["kind"] != "phases"]
    for r in rows:
        lines.append(f"| {r['kind']} | {r.get('pathway_step', '')} | {r['citizens']:,} | {r['months']} | "
                     f"{r['setup_s']:.2f} | {r['stepping_s']:.2f} | "
                     f"{r['citizen_months_per_s']:,} | {r['peak_memory_mb']:,} | {r.get('rows', 0):,} | "
                     f"{r.get('children', 0):,} |")
    kids = next((r for r in rows if r["kind"] == "vectorised" and r["citizens"] == 100_000 and r["months"] == 240), None)
    big = next((r for r in rows if r["kind"] == "vectorised" and r["citizens"] == 1_000_000), None)
    million = ("not measured in this run" if big is None else
               f"{'reached' if big['peak_memory_mb'] < 1500 else 'not reached'}, {big['peak_memory_mb']:,} MB at "
               f"the peak over {big['months']} months (compiled engine, numba's share ~110 MB; MB here as in the "
               "table, 2^20 bytes, from `ru_maxrss`)")
    hundred = ("not measured in this run" if kids is None else
               f"not reached, {kids['stepping_s']:.1f} s ({kids['stepping_s'] / 240 * 1000:.0f} ms a month on "
               "average as the rows grow)" if kids['stepping_s'] >= 4 else f"reached, {kids['stepping_s']:.1f} s")
    pairs = [(r, p) for p in rows if p["kind"] == "numpy_engine" for r in rows
             if r["kind"] == "vectorised" and (r["citizens"], r["months"]) == (p["citizens"], p["months"])]
    if pairs:
        lines += ["", "The compiled kernels (`model/kernels/`: the pathway step, the fitting of a cohort's starting "
                      "shares, the children's month, the ledger's booking; the default) against the numpy reference passes (`numpy_engine` = "
                      "`WELFARE_PATHWAYS_ENGINE=numpy`, the same bits): "
                  + "; ".join(f"{r['citizens']:,} citizens x {r['months']} months, stepping {r['stepping_s']:.1f} s "
                              f"against {p['stepping_s']:.1f} s (x{p['stepping_s'] / r['stepping_s']:.2f}), set-up "
                              f"{r['setup_s']:.2f} s against {p['setup_s']:.2f} s, peak memory "
                              f"{r['peak_memory_mb']:,} MB against {p['peak_memory_mb']:,} MB" for r, p in pairs)
                  + ". Loading numba and the kernels from the cache costs a process ~0.4 s (in the set-up) and "
                    "~110 MB (~75 MB of it file-backed pages of LLVM's library, shared between processes, ~32 MB "
                    "private). The first model in a fresh "
                    f"process (import, a 200-citizen model, one month) takes {first['cold']} s when numba compiles "
                    "the kernels (once per machine: the machine code is cached in `model/kernels/__pycache__`), "
                    f"{first['cached']} s with the cache (each worker process pays this once), {first['numpy']} s "
                    "with the numpy engine."]
    none = next((r for r in rows if r["kind"] == "no_children"), None)
    if kids and none:
        lines += ["", f"What the children cost at 100,000 adults over 20 years (`no_children` = `children.enabled = false`): "
                      f"stepping {kids['stepping_s']:.1f} s against {none['stepping_s']:.1f} s "
                      f"(x{kids['stepping_s'] / none['stepping_s']:.2f}), set-up {kids['setup_s']:.1f} s against "
                      f"{none['setup_s']:.1f} s, peak memory {kids['peak_memory_mb']:,} MB against "
                      f"{none['peak_memory_mb']:,} MB. The adult step computes over the living rows only, so the "
                      f"adult rows made at 18 for every grown-up child ({kids['rows'] - none['rows']:,} more rows at "
                      "the end, most never in the target group) no longer cost a full share of each month "
                      "(docs/architecture.md, skipping inert rows); what remains is the children's own month, "
                      "making a row and contacts for each child turning 18 (their `Citizen` is made on first use, "
                      "`agents/rows.py`), and the passes that must cover every row (each month's random numbers, "
                      "the services' and the ledger's per-citizen arrays)."]
    if phases:
        lines += ["", f"### Where a month's time goes ({phases['citizens']:,} citizens, months {phases['warm'] + 1}-"
                      f"{phases['warm'] + phases['months']}, compiled engine)", "",
                  f"{phases['month_ms']:.1f} ms a month in all (`runs/benchmark.py --case phases`; each phase's "
                  "methods wrapped with a timer). Issue 16's 4 s for 240 months is 16.7 ms a month.", "",
                  "| phase | ms a month | share |", "|---|---:|---:|"]
        inside = {label: within for label, _, _, within in PHASES}
        for label, ms in phases["phases_ms"].items():
            name = label if inside.get(label) is None else f"of which, {label}" if inside[label] != "all phases" \
                else f"{label} (included above)"
            lines.append(f"| {name} | {ms:.2f} | {ms / phases['month_ms']:.0%} |")
        lines.append(f"| the rest of `WelfareModel.step` (the pathway streams, the choices held and gated) | "
                     f"{phases['rest_ms']:.2f} | {phases['rest_ms'] / phases['month_ms']:.0%} |")
    lines += ["", f"Vectorised engine vs the per-agent Mesa reference on the same rules and population: **{ratio:.0f}x**.",
              "The vectorised runs are the full default model (pathways, services, ledger; set-up includes the",
              "population, the network and the Citizen agents; the default's fixed sizing runs no appraisal); the per-agent",
              "reference has only the pathway rules, so the ratio understates what vectorisation buys.", "",
              "## What keeps the engine fast and small (each change bit-identical to the one before, except where said)", "",
              "Prove a speed change moved no bit with `./dev python -m runs.fingerprint --write before.json` on "
              "the old commit and `--check before.json` on the new one (hashes of every state, service, ledger "
              "and network array over 27 runs).", "",
              "- **Living rows only.** The month computes over the living rows (`PopulationState.step_rows`); "
              "random streams are still drawn for every row and indexed, so nobody's numbers move.",
              "- **Pathways in blocks** of 32,768 citizens (`pathways.BLOCK`): features, rates and draws of a "
              "block stay in cache; a million citizens' feature and rate matrices (~300 MB) are never held.",
              "- **Room to grow.** The services' and the ledger's per-citizen arrays are allocated with 35% room "
              "(`population.ROOM`): the starting population's grown-up children get rows in month 1 (~26% of the "
              "start), and copying the ledger's accounts then set the run's peak. Room that is never written costs "
              "nothing: `np.zeros` pages are not resident until touched. For the same reason an account no budget "
              "holder books costs no memory, so keeping fewer accounts per citizen saves nothing; `extend` keeps it "
              "so: a zero fill is not written where the room holds zeros (writing it into every account for the "
              "grown-up children made ~200 MB resident at a million citizens), a copy leaves room for a quarter of "
              "the new length (the month-1 jump used to be copied again in month 2) and skips the accounts that "
              "hold only zeros (a copy of the ledger at 232,000 rows: 17 ms instead of 72, and the unbooked "
              "accounts stay unwritten); the prefix views it makes are registered, so growing one skips the "
              "checks of its memory (~6 -> ~3.5 microseconds a call, ~100 calls a month whatever the size: "
              "~6% of a 2,000-citizen month).",
              "- **The ledger books by profile** (`Ledger.book_month`): a service's money for its enrolled alone "
              "(a few hundred of 100,000 rows), not a full-length vector per service and budget; the "
              "consequences and the wellbeing of every profile of levels and month of the benefits spell are "
              "computed once at set-up (`Ledger.unit_costs`, ~9,000 profiles) and each citizen's are looked up, "
              "added to the per-citizen totals in one compiled pass per account (`model/kernels/ledger.py`; "
              "numpy's gather, scatter and add per account is the reference). A month's total is then the "
              "enrolled's amounts added up, or each profile's count times its amount, not a sum over "
              "full-length vectors with zeros for the others. The one change here that moved bits: the "
              "monthly totals and the mean wellbeing by at most 6e-16 relative (a few ulps; per-citizen totals, "
              "the monthly detail, the QALYs and the golden numbers did not move). `book_month` at 100,000 "
              "citizens, months 25-54: 12.9 -> 7.7 ms a month.",
              "- **Agents on first use.** Rows outside Mesa's agents (a grown-up child's row waiting outside the "
              "target group, and every child: a `Child` is reached through `model.child_agents` or its parent's "
              "`Citizen.children`, not `model.agents`) get their agent when first read (`agents/rows.py`): "
              "~260 bytes and ~6 microseconds each, ~1.2 million of them at a million citizens (the children's "
              "agents alone were ~180 MB and ~3% of a month).",
              "- **The month's peak held down** (a million citizens: 1,607 -> 1,468 MB). The peer shares are "
              "counted before the month's uniforms are drawn, and a block of the sparse matrix's rows at a time "
              "(`SocialNetwork.ROW_BLOCK`: scipy multiplies in the wider type, so the product first copied every "
              "contact's int8 one to int64, ~70 MB), each count turned into its share before the next; the "
              "kernel reads the shares' matrix without a stacked copy; moves are int8, the uniforms dropped "
              "once drawn on; the month a course was completed is held only for the services with a lasting "
              "effect (one row, not 13: ~60 MB); the refund clocks' months are int32.",
              "- **Cohorts in one pass.** A month's newcomers are a few dozen citizens, so `draw_cohort` tilts the "
              "five domains' starting shares together: numpy's per-call cost, not arithmetic, was the price "
              "(~20% of a 2,000-citizen run).",
              "- **The network** counts newcomers' contacts in the packed sums and rebuilds its sparse matrix "
              "when they reach 10% of the edges (`SocialNetwork.MERGE_SHARE`).",
              "- **Small integer types** where the values allow (services' months as int16, levels int8).",
              "- **Counts of a mask by `np.count_nonzero`**, not `.sum()` (which adds the bools as int64: 54 "
              "against 7 microseconds at 180,000 rows): the services' monthly statistics, the demography's and "
              "the children's counts; the same integers, ~3 ms a month less at 100,000 citizens.",
              "- **Deaths for those who can die.** The mortality hazard ratio is computed only for the rows whose "
              "uniform is below the general mortality x the largest possible ratio (~1% of the living; "
              "`Demography._dies`): the same deaths bit for bit, ~1.5 ms a month less at 100,000.",
              "- **Newcomers' contacts** are made distinct by sorting one int64 key per pair "
              "(`network._unique_pairs`) instead of `np.unique(axis=0)` on the rows: the same pairs in the same "
              "order, ~1.2 ms a month less at 100,000.",
              "- **Cohorts' running sums** (`population._running_sum`): `np.add.reduce` over a citizens-first copy "
              "adds the citizens in `cumsum`'s order, ~2.5x faster than `cumsum`'s sequential loop; a month's "
              "cohorts (grown-up children, newcomers) are drawn ~30% faster.",
              "- **The children's month skips what cannot change**: each child's own risk is computed once when "
              "drawn; family programmes return at once in a month without places, courses or lasting effects (the "
              "status quo); the agents of new rows and of children turning 18 are handled with Python ints.",
              "- **The pathway step compiled** (`model/kernels/pathways.py`, numba): only the moves out of each "
              "citizen's current level (6.9 of 33 on average), citizens grouped by level per domain so each "
              "transition's terms are summed in tight loops over contiguous memory, features read from the state "
              "without a feature matrix; numpy's own `exp` and `expm1` between the kernels (numba's differ in the "
              "last bit for 39% of float32 values). ~9 ms a month at 100,000 citizens against ~22 ms for the "
              "numpy passes; `tests/test_kernels.py` compares the two engines on every shipped scenario and the "
              "rates bit for bit under random rule tables.",
              "- **A cohort's starting shares fitted compiled** (`model/kernels/population.py`): the 30 rounds of "
              "proportional adjustment of a month's cohorts (a few dozen citizens) were ~150 numpy calls, ~0.5 ms "
              "a cohort; the kernel does the same steps in the same order ~7x faster (~15% of a 2,000-citizen "
              "month).",
              "- **The children's month compiled** (`model/kernels/children.py`): the parents' states and the "
              "children's hazard ratios, the placement and school moves and the month's tally in one pass per "
              "stage over the children (the numpy reference makes ~30 passes, each gathering the children out "
              "of every child row and scattering them back); numpy's `expm1` between the kernels. At 100,000 "
              "citizens the children's month 14.5 -> 10.3 ms.",
              "",
              "Tried and not kept: random numbers into preallocated buffers (no gain); a numba pathway kernel "
              "over the same feature matrix, and one looping citizen by citizen over the moves out of their "
              "levels (bit-identical, but no faster than numpy's passes: per citizen the moves and terms to "
              "visit vary, and the mispredicted branches cost more than the arithmetic; grouping citizens by "
              "level made it ~2x faster); fewer per-citizen ledger accounts (no resident memory saved, see "
              "above); a compiled booking of the ledger that keeps each month's total numpy's pairwise sum over "
              "full-length vectors (a kernel would copy an internal of numpy, which is not pinned: the totals "
              "were redefined instead, by profile, above); a compiled count of contacts for the peer shares "
              "(no faster than scipy's sparse product: both wait on the random reads of the contacts' flags, "
              "~2 ns a contact), nor one counting the living's contacts alone (100,000 citizens, month 60: "
              "2.09 ms against scipy's 2.09 ms for every row); doubling a full "
              "buffer instead of adding a quarter (one copy of the ledger's accounts in 100,000 x 240 months "
              "instead of three, but numpy asks for huge pages, so a copy's cost follows the new buffer's size: "
              "no gain measured). Measured and left alone: Mesa's registration of the newcomers' and joiners' "
              "agents and removal of the dead's (~2.5 microseconds to make one, ~2 to remove one: bypassing it "
              "would skip Mesa's signals) and Python's full garbage collections over the agents (`gc.freeze` "
              "would change the whole process).", "",
              "## Issue 16's targets, and what they need", "",
              f"A million citizens under 1.5 GB: {million} (the table above). 100,000 citizens x 240 months in "
              f"under 4 s is 16.7 ms a month: {hundred}. The phase table shows why more kernels alone will "
              "not get there: the largest phase is a fifth of the month, and much of the rest is bound by memory "
              "or by Python objects, not arithmetic: every row's random numbers (common random numbers give "
              "every row a place in every stream, and after 20 years more than half the rows are the dead and "
              "grown-up children outside the target group), each living citizen's per-account totals updated "
              "every month in float64 (memory-bound, ~3 ms at 100,000 compiled), and Mesa's agents made and "
              "removed as citizens die and join. The design decisions that would: (1) random numbers keyed by "
              "a citizen's row and the month (a counter-based generator) instead of a place in a stream drawn "
              "for every row, so the rows outside the target group could leave the monthly arrays until they "
              "join (every stream moves, so every result and the calibration); (2) per-citizen totals "
              "accumulated per spell of a profile instead of monthly (moves their last bits); (3) the month's "
              "phases fused into one compiled pass over the living. Children's Mesa agents, the third decision "
              "named here before, are made on first use since 2026-11-25.", ""]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines))
    tmp.replace(path)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
