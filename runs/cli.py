"""welfare-pathways: run scenarios, sweep parameters and analyse sensitivity from scripts.

    welfare-pathways run baseline --replications 20 --workers 2
    welfare-pathways compare baseline coordinated housing_first --workers 2
    welfare-pathways sweep --grid pathways.housing.shelter_to_own_home.rate=0.03,0.04,0.05
    welfare-pathways sweep --lhs network.rewire=0:0.5 --samples 20
    welfare-pathways sensitivity --vary network.homophily=0:1 --vary network.rewire=0:0.5
    welfare-pathways trial hf --months 36 --replications 10

Every subcommand writes a resumable output directory (``runs/runner.py``). Bad input (an
unknown scenario or key, a value out of range, a malformed spec file) ends with exit
status 2 and a message naming the flag, file or key and what is allowed.

Adding a subcommand: write ``configure(parser)`` and ``handler(args) -> int`` and append
a :class:`Command` to :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model import kernels
from model.params import ParameterError
from runs.runner import LIMITS, Outcome, Plan, Point, SpecError, check_int, execute, spec_hash

DEFAULT_OUT = Path("out")
EXIT_BAD_INPUT = 2


# -- flag types: argparse reports their errors with the flag name and exits 2 ---------------
def int_in(name: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            return check_int(name, text, *LIMITS[name])
        except SpecError as exc:  # "argument --months: -1: out of range; expected ..."
            raise argparse.ArgumentTypeError(str(exc).removeprefix(f"{name} = ")) from None

    parse.__name__ = name
    return parse


def positive_int(text: str) -> int:
    try:
        return check_int("value", text, 1)
    except SpecError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("value = ")) from None


def population_arg(text: str):
    """``--population NAME|COUNT``: a named population (``model.populations``); a bad
    value exits 2 with the allowed names."""
    from model.populations import named_population

    try:
        return named_population(text)
    except ParameterError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("population = ")) from None


population_arg.__name__ = "population"


def add_population_option(p: argparse.ArgumentParser, what: str) -> None:
    from model.populations import DEFAULT_POPULATION

    p.add_argument("--population", type=population_arg, default=None, metavar="NAME|COUNT",
                   help=f"whom {what}: a preset (national, kobenhavn, aarhus, odense, esbjerg, horsens, vejle: the "
                        "kommune's VIVE homeless count), or a homeless count (e.g. 800); the target group is scaled so "
                        f"that the status-quo homeless count matches (default {DEFAULT_POPULATION}: the calibrated "
                        "national target group). See docs/savings-and-populations.md")


def toml_value(text: str) -> Any:
    """A flag value read as a TOML literal (``0.3``, ``true``, ``"x"``, ``[1, 2]``); else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text
    except RecursionError:
        raise argparse.ArgumentTypeError(f"{text[:20]}...: nested too deeply") from None


def assignment(flag: str, split: Callable[[str, str], Any]) -> Callable[[str], tuple[str, Any]]:
    """Parser for ``PATH=VALUE`` flags; ``split`` turns the value text into the value."""
    def parse(text: str) -> tuple[str, Any]:
        path, eq, value = text.partition("=")
        if not eq or not path.strip() or not value.strip():
            raise argparse.ArgumentTypeError(f"expected PATH=VALUE (e.g. network.rewire=0.2), got {text!r}")
        return path.strip(), split(flag, value.strip())

    parse.__name__ = flag
    return parse


def _single(flag: str, value: str) -> Any:
    return toml_value(value)


def _values(flag: str, value: str) -> list[Any]:
    return [toml_value(v.strip()) for v in value.split(",")]


def _bounds(flag: str, value: str) -> list[Any]:
    low, colon, high = value.partition(":")
    if not colon:
        raise argparse.ArgumentTypeError(f"expected PATH=LOW:HIGH (e.g. network.rewire=0:0.5), got value {value!r}")
    return [toml_value(low.strip()), toml_value(high.strip())]


# -- options shared by every subcommand that runs the model --------------------------------
def add_run_options(p: argparse.ArgumentParser, months: int = 120, replications: int = 10, spec: bool = False) -> None:
    """--months, --replications, --seed, --set, execution and output flags. With ``spec``
    the flags default to None, so that a value in the spec file wins over the default."""
    default = "the spec file's, else {}" if spec else "{}"
    g = p.add_argument_group("runs")
    g.add_argument("--months", type=int_in("months"), default=None if spec else months,
                   help=f"months to simulate, 1-1200 (default {default.format(months)})")
    g.add_argument("--replications", "-r", type=int_in("replications"), default=None if spec else replications,
                   help=f"replications per point (default {default.format(replications)})")
    g.add_argument("--seed", type=int_in("seed"), default=None, help="root seed; replication r uses SeedSequence(seed).spawn()[r] (default 0)")
    g.add_argument("--set", dest="fixed", action="append", default=[], metavar="PATH=VALUE",
                   type=assignment("--set", _single), help="override a parameter by dotted path (repeatable)")
    e = p.add_argument_group("execution and output")
    e.add_argument("--workers", "-w", type=int_in("workers"), default=1,
                   help="local worker processes (default 1: in this process); results do not depend on it")
    e.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a Dask distributed cluster, e.g. tcp://10.0.0.5:8786 (needs the 'dist' extra)")
    e.add_argument("--out", "-o", type=Path, help="output directory; rerunning into it resumes (default out/<command>-<name>-<spec hash>)")
    e.add_argument("--overwrite", action="store_true", help="discard earlier results in --out (only files this tool wrote)")
    e.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: when stderr is a terminal)")
    e.add_argument("--plots", action=argparse.BooleanOptionalAction, default=True, help="write PNG plots (default on)")


def fixed_overrides(args: argparse.Namespace, from_spec: dict[str, Any] | None = None) -> dict[str, Any]:
    return {**(from_spec or {}), **dict(args.fixed)}


def run_plan(plan: Plan, args: argparse.Namespace, name: str, title: str | None = None) -> Outcome:
    """Execute ``plan`` into ``--out`` (or a default directory named by the spec's hash)."""
    out = args.out
    if out is None:
        digest = spec_hash(plan.spec(plan.resolve()))[:8]
        stem = Path(name).stem
        out = DEFAULT_OUT / (f"{plan.kind}-{digest}" if stem == plan.kind else f"{plan.kind}-{stem}-{digest}")
    outcome = execute(plan, out, workers=args.workers, scheduler=args.scheduler,
                      progress=args.progress, overwrite=args.overwrite)
    done = len(plan.runs()) - outcome.ran
    print(f"{plan.kind}: {len(plan.runs())} runs ({len(plan.points)} points x {plan.replications} replications"
          f" x {plan.months} months){f', {done} already done' if done else ''}")
    written = ["results.parquet", "points.csv", "summary.csv"]
    if args.plots:
        from runs.plots import MAX_POINTS, band_plots

        pngs = band_plots(outcome.results, outcome.points, outcome.out, title=title or name)
        written += [p.name for p in pngs]
        if not pngs:
            print(f"(no band plots: {len(plan.points)} points, at most {MAX_POINTS} are drawn)")
    print(f"wrote {outcome.out}/: {', '.join(written)}")
    return outcome


def headline(outcome: Outcome, measure: str = "homeless", scale: float = 1.0, unit: str = "") -> None:
    """The measure at the last month per point; ``scale`` persons per simulated citizen."""
    rows = outcome.summary[outcome.summary["measure"] == measure]
    for _, row in rows.head(12).iterrows():
        print(f"  {row['label']}: {measure} at month end {row['final_p50'] * scale:,.0f} (p10-p90 "
              f"{row['final_p10'] * scale:,.0f}-{row['final_p90'] * scale:,.0f}){unit}")


def population_of(args: argparse.Namespace, params) -> tuple:
    """(named population, simulated citizens, persons per simulated citizen) for a run."""
    from model.populations import named_population

    pop = named_population(getattr(args, "population", None), params)
    size = int(params["population.size"])
    return pop, size, pop.per_citizen(size)


def write_population(out: Path, pop, size: int, months: int, params) -> Path:
    """``population.json`` in a run's output directory: whom the results stand for, the
    horizon, price year and discounting (``results.parquet`` and ``summary.csv`` stay in
    simulated citizens and DKK per simulated cohort; multiply by
    ``persons_per_simulated_citizen``)."""
    import json

    from model.compare import DISCOUNTING, price_year_text
    from runs.runner import atomic_write

    body = {"population": pop.as_dict(size), "horizon_months": months, "prices": price_year_text(params),
            "discounting": DISCOUNTING,
            "note": "results.parquet and summary.csv count simulated citizens and DKK for the simulated cohort; "
                    "multiply by persons_per_simulated_citizen for the population"}
    path = out / "population.json"
    atomic_write(path, lambda p: p.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n"))
    return path


# -- run ---------------------------------------------------------------------------------
def configure_run(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", nargs="?", default="baseline",
                   help="shipped scenario name (runs/scenarios/NAME.toml) or a TOML file (default baseline)")
    add_run_options(p)
    add_population_option(p, "the simulated citizens stand for (stated in population.json and the printed counts)")


def run(args: argparse.Namespace) -> int:
    from model.compare import price_year_text

    point = Point(0, args.scenario, fixed_overrides(args), label=Path(args.scenario).stem)
    plan = Plan("run", [point], months=args.months, replications=args.replications, seed=args.seed or 0,
                origin="--set")
    params = plan.resolve()[0]
    pop, size, scale = population_of(args, params)
    print(f"population: {pop.describe(size)}")
    title = (f"{Path(args.scenario).stem} ({size:,} simulated citizens = {pop.persons:,.0f} persons, {pop.name}; "
             f"{plan.months} months; {price_year_text(params, short=True)}, undiscounted):")
    outcome = run_plan(plan, args, args.scenario, title=title)
    headline(outcome, scale=scale, unit=f" persons in {pop.name}")
    write_population(outcome.out, pop, size, plan.months, params)
    print(f"wrote {outcome.out}/population.json")
    return 0


# -- sweep -------------------------------------------------------------------------------
def configure_sweep(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", nargs="?", type=Path, help="sweep spec file (TOML, see docs/cli.md); flags override it")
    p.add_argument("--scenario", help="scenario every point starts from (default baseline)")
    p.add_argument("--grid", action="append", default=[], metavar="PATH=V1,V2,...", type=assignment("--grid", _values),
                   help="grid values of a parameter (repeatable: the cartesian product is run)")
    p.add_argument("--lhs", action="append", default=[], metavar="PATH=LOW:HIGH", type=assignment("--lhs", _bounds),
                   help="bounds of a parameter for a Latin hypercube (repeatable)")
    p.add_argument("--samples", type=positive_int, help="number of Latin hypercube points")
    add_run_options(p, spec=True)


def sweep(args: argparse.Namespace) -> int:
    from runs.sweep import SWEEP_FIELDS, checked_common, read_spec, sweep_plan

    spec = read_spec(args.spec, SWEEP_FIELDS) if args.spec else {}
    origin = str(args.spec) if args.spec else "command line"
    base = checked_common(spec, origin)
    grid = {**spec.get("grid", {}), **dict(args.grid)}
    lhs = {**spec.get("lhs", {}), **dict(args.lhs)}
    if args.grid and not args.lhs:
        lhs = {}
    if args.lhs and not args.grid:
        grid = {}
    plan = sweep_plan(scenario=args.scenario or spec.get("scenario", "baseline"),
                      months=_pick(args.months, base, "months", 120),
                      replications=_pick(args.replications, base, "replications", 10),
                      seed=_pick(args.seed, base, "seed", 0), fixed=fixed_overrides(args, spec.get("set")),
                      grid=grid, lhs=lhs, samples=args.samples if args.samples is not None else spec.get("samples"),
                      origin=origin)
    headline(run_plan(plan, args, args.spec.stem if args.spec else "sweep"))
    return 0


def _pick(flag: Any, spec: dict[str, Any], name: str, default: Any) -> Any:
    return flag if flag is not None else spec.get(name, default)


# -- sensitivity -------------------------------------------------------------------------
def configure_sensitivity(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", nargs="?", type=Path, help="sensitivity spec file (TOML, see docs/cli.md); flags override it")
    p.add_argument("--scenario", help="scenario the analysis starts from (default baseline)")
    p.add_argument("--method", choices=("morris", "sobol"), help="Morris elementary effects or Sobol indices (default morris)")
    p.add_argument("--vary", action="append", default=[], metavar="PATH=LOW:HIGH", type=assignment("--vary", _bounds),
                   help="a parameter and its range (repeatable)")
    p.add_argument("--samples", type=positive_int,
                   help="Morris trajectories (default 10) or Sobol base sample, a power of two (default 16)")
    p.add_argument("--output", help="measure analysed (default homeless)")
    p.add_argument("--last-months", type=positive_int, help="months at the end averaged into the output (default 12)")
    add_run_options(p, replications=2, spec=True)


def sensitivity(args: argparse.Namespace) -> int:
    from runs.sensitivity import SENSITIVITY_FIELDS, check_output, sensitivity_design, write_report
    from runs.sweep import checked_common, read_spec

    spec = read_spec(args.spec, SENSITIVITY_FIELDS) if args.spec else {}
    origin = str(args.spec) if args.spec else "command line"
    base = checked_common(spec, origin)
    method = _pick(args.method, spec, "method", "morris")
    study = sensitivity_design(
        scenario=args.scenario or spec.get("scenario", "baseline"), vary={**spec.get("vary", {}), **dict(args.vary)},
        method=method, samples=_pick(args.samples, spec, "samples", 10 if method == "morris" else 16),
        months=_pick(args.months, base, "months", 120), replications=_pick(args.replications, base, "replications", 2),
        seed=_pick(args.seed, base, "seed", 0), fixed=fixed_overrides(args, spec.get("set")), origin=origin)
    output = _pick(args.output, spec, "output", "homeless")
    last_months = _pick(args.last_months, spec, "last_months", 12)
    check_output(study.plan.points[0].parameters(origin), output, last_months, study.plan.months, origin)
    outcome = run_plan(study.plan, args, args.spec.stem if args.spec else "sensitivity")
    indices = study.analyse(outcome.results, output, last_months)
    files = write_report(study, indices, outcome.out, output, last_months)
    print(indices.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"wrote {', '.join(str(f) for f in files)}")
    return 0


# -- the entry point ---------------------------------------------------------------------
@dataclass(frozen=True)
class Command:
    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    handler: Callable[[argparse.Namespace], int]


# -- compare -----------------------------------------------------------------------------
def configure_compare(p: argparse.ArgumentParser) -> None:
    p.add_argument("baseline", help="the counterfactual: a shipped scenario name or a TOML file (e.g. baseline)")
    p.add_argument("scenarios", nargs="+", metavar="scenario", help="scenario(s) to compare against it")
    add_run_options(p, months=120, replications=20)
    p.add_argument("--no-appraisal", dest="appraisal", action="store_false",
                   help="skip the appraisal of the offered interventions (pilots with and without each; "
                        "it still runs where endogenous sizing needs it to decide the places)")
    add_population_option(p, "the money belongs to: every total is scaled to it")


def compare(args: argparse.Namespace) -> int:
    """Paired replications on common random numbers; prints the report and writes the
    tables (headline, SØM table, who pays, outcomes, cost per outcome, services) and the
    payback plot. Each comparison is rewritten whole (atomically) when run again."""
    from model.compare import compare as compare_scenarios
    from model.params import Parameters
    from runs.comparison import check_target, output_dir, write_comparison
    from runs.runner import make_executor

    base = Parameters.load(args.baseline)  # bad names fail here, before any work
    scenarios = [Parameters.load(s) for s in args.scenarios]
    targets = [output_dir(args.out, scen.name, base.name, DEFAULT_OUT) for scen in scenarios]
    for given, target in zip(args.scenarios, targets):
        if targets.count(target) > 1:
            raise SpecError(f"{given}: scenarios {', '.join(args.scenarios)} would write the same directory "
                            f"{target}; compare them in separate commands")
        check_target(target)  # a bad --out fails here too, not after the computation
    overrides = fixed_overrides(args)
    with make_executor(args.workers, args.scheduler) as (executor, _):
        for scen, out in zip(scenarios, targets):
            result = compare_scenarios(base, scen, replications=args.replications, months=args.months,
                                       seed=args.seed or 0, executor=executor, appraisal=args.appraisal,
                                       population=args.population, **overrides)
            print(result.report(), end="\n\n")
            files = write_comparison(result, out, plots=args.plots)
            print(f"wrote {out}/: {', '.join(f.name for f in files)}\n")
    return 0


# -- contract ------------------------------------------------------------------------------
def configure_contract(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="contract scenario: a shipped name (e.g. contract_reoffending) or a TOML file "
                                    "with [contract] enabled = true (docs/contracts.md)")
    p.add_argument("--months", type=int_in("months"), help="the contract's horizon, sets contract.horizon_months "
                                                          "(default: the scenario's)")
    p.add_argument("--replications", "-r", type=int_in("replications"), default=20, help="replications (default 20)")
    p.add_argument("--seed", type=int_in("seed"), default=0, help="root seed (default 0)")
    p.add_argument("--set", dest="fixed", action="append", default=[], metavar="PATH=VALUE",
                   type=assignment("--set", _single), help="override a parameter by dotted path (repeatable)")
    p.add_argument("--workers", "-w", type=int_in("workers"), default=1, help="local worker processes (default 1)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask distributed cluster (needs the 'dist' extra)")
    p.add_argument("--out", "-o", type=Path, help="output directory, rewritten whole (default out/contract-<scenario>)")
    add_population_option(p, "the contract's status quo stands for (stated in the report and terms.json; the "
                             "contract's money is for its cohort and is not scaled)")


def contract(args: argparse.Namespace) -> int:
    """Payment by Results / Social Impact Bond: prints the cash-flow table and the
    distributions (investor IRR, P(loss), deadweight, creaming) and writes them."""
    from runs.contract import run_contract
    from runs.runner import check_out_dir, make_executor

    if args.out is not None:
        check_out_dir(args.out)  # before the computation, not after it
    horizon = {"contract.horizon_months": args.months} if args.months is not None else {}
    with make_executor(args.workers, args.scheduler) as (executor, _):
        run_contract(args.scenario, args.replications, args.seed, args.out, executor=executor,
                     overrides=fixed_overrides(args, horizon), population=args.population)
    return 0


# -- calibrate / validate (runs/calibrate.py, runs/validate.py own the flags) ---------------
def configure_calibrate(p: argparse.ArgumentParser) -> None:
    from runs.calibrate import configure

    configure(p)


def calibrate(args: argparse.Namespace) -> int:
    from runs.calibrate import handler

    return handler(args)


def configure_validate(p: argparse.ArgumentParser) -> None:
    from runs.validate import configure

    configure(p)


def validate(args: argparse.Namespace) -> int:
    from runs.validate import handler

    return handler(args)


# -- trial (runs/trial.py owns the flags) ----------------------------------------------------
def configure_trial(p: argparse.ArgumentParser) -> None:
    from runs.trial import configure

    configure(p)


def trial(args: argparse.Namespace) -> int:
    from runs.trial import handler

    return handler(args)


COMMANDS: list[Command] = [
    Command("run", "run one scenario with replications", configure_run, run),
    Command("compare", "compare scenarios against a baseline: NPV, payback, SØM table, who pays / who saves",
            configure_compare, compare),
    Command("sweep", "sweep parameters over a grid or a Latin hypercube, with replications", configure_sweep, sweep),
    Command("sensitivity", "global sensitivity analysis (SALib Morris or Sobol) with a tornado plot",
            configure_sensitivity, sensitivity),
    Command("contract", "an outcome contract (Payment by Results / Social Impact Bond): cash flows, investor IRR, "
            "deadweight, creaming", configure_contract, contract),
    Command("calibrate", "fit the free parameters to the Danish targets and trials; writes calibrated.toml",
            configure_calibrate, calibrate),
    Command("validate", "validation report docs/validation.md: every target, the trial emulations, PSA",
            configure_validate, validate),
    Command("trial", "emulate a trial file (runs/trials/*.toml or your own): per-arm curves, the outcome with "
            "bands, every randomised citizen, the paired ledger of the intervention arm", configure_trial, trial),
]


def with_default_command(argv: list[str]) -> list[str]:
    """``welfare-pathways housing_first ...`` means ``welfare-pathways run housing_first ...``:
    a scenario (a shipped name or a ``.toml`` path) where a subcommand is expected is the
    shortcut a newcomer tries first. Subcommand names win; any other word is left to
    argparse, which lists the subcommands."""
    from model.params import SCENARIO_DIR

    if not argv or argv[0] in {c.name for c in COMMANDS} or argv[0].startswith("-"):
        return argv
    word = argv[0]
    if word == "baseline" or word.endswith(".toml") or (SCENARIO_DIR / f"{word}.toml").is_file():
        return ["run", *argv]
    return argv


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="welfare-pathways", description=__doc__.split("\n\n")[0],
                                     epilog="A scenario alone runs it: 'welfare-pathways housing_first' is "
                                            "'welfare-pathways run housing_first'. Details: docs/cli.md. "
                                            "Each subcommand has --help.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for cmd in COMMANDS:
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        cmd.configure(p)
        p.set_defaults(handler=cmd.handler)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(with_default_command(sys.argv[1:] if argv is None else list(argv)))  # bad flags: exit 2
    try:
        kernels.selected()  # a bad WELFARE_PATHWAYS_ENGINE fails here, before any output is written
        return args.handler(args)
    except (ParameterError, SpecError) as exc:
        print(f"welfare-pathways {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"welfare-pathways {args.command}: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
