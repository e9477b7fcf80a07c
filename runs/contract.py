"""Run a contract scenario: print the cash-flow table and the distributions, write files.

    from runs.contract import run_contract
    result = run_contract("contract_reoffending", replications=20, seed=0, out_dir="out/contract")

or ``welfare-pathways contract contract_reoffending -r 20``. The mechanics live in
``model/contracts.py``; this module only runs, prints and writes. Files in ``out_dir``
(each written to a temporary file first and moved into place, so a reader never sees
half a file):

| file | content |
|---|---|
| ``cashflows.csv`` | per month and party: p10 / median / p90 over replications (+ = money in) |
| ``cashflows_yearly.csv`` | the printed table: median per contract year and party, and the total |
| ``cashflows.parquet`` | every replication's monthly flows (replication, month, party, amount) |
| ``replications.csv`` | one row per replication: IRR, multiple, loss, payments, deadweight, creaming, nets |
| ``distributions.csv`` | per metric: p10 / median / p90 / mean over replications |
| ``outcomes.csv`` | per replication and outcome: achieved, counterfactual, paid, left-out rate |
| ``payments.parquet`` | every outcome payment: replication, month, citizen, outcome, amount |
| ``terms.json`` | the scenario, seed, replications, the contract terms, and the population, horizon, price year and discounting |

The contract's money is for its cohort as simulated (``contract.cohort.size`` simulated
citizens, one participant each) and is not scaled to a population: a named population
(``--population``) says whose status quo the simulation reproduces, and the report and
``terms.json`` state it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from model.contracts import ContractResult, run_replications
from runs.runner import atomic_write, check_out_dir

FILES = ("cashflows.csv", "cashflows_yearly.csv", "cashflows.parquet", "replications.csv", "distributions.csv",
         "outcomes.csv", "payments.parquet", "terms.json")


def write_result(result: ContractResult, out_dir: str | Path, about: dict[str, Any] | None = None) -> list[Path]:
    """Write every table of ``result`` into ``out_dir`` (created if needed); ``about``
    (population, horizon, prices, discounting) goes into ``terms.json``."""
    out = check_out_dir(Path(out_dir))
    terms = {"scenario": result.scenario, "description": result.description, "seed": result.seed,
             "replications": result.replications, "terms": asdict(result.terms),
             "loss_probability": result.loss_probability, **(about or {})}
    writers: dict[str, Callable[[Path], None]] = {
        "cashflows.csv": lambda p: result.monthly().to_csv(p, index=False),
        "cashflows_yearly.csv": lambda p: result.yearly().to_csv(p),
        "cashflows.parquet": lambda p: result.flows.to_parquet(p, index=False),
        "replications.csv": lambda p: result.metrics.to_csv(p, index=False),
        "distributions.csv": lambda p: result.distributions().to_csv(p),
        "outcomes.csv": lambda p: result.outcomes.to_csv(p, index=False),
        "payments.parquet": lambda p: result.payments.to_parquet(p, index=False),
        "terms.json": lambda p: p.write_text(json.dumps(terms, indent=2, default=str) + "\n"),
    }
    paths = []
    for name in FILES:
        atomic_write(out / name, writers[name])
        paths.append(out / name)
    return paths


def about_contract(scenario: str | Path, overrides: dict[str, Any] | None, population: Any = None) -> dict[str, Any]:
    """What a contract's outputs state: the population (``model.populations``), the
    horizon, the price year and the discounting."""
    from model.compare import DISCOUNTING, price_year_text
    from model.params import Parameters
    from model.populations import named_population

    params = Parameters.load(scenario)
    params = params.with_overrides(overrides, origin="contract") if overrides else params
    pop = named_population(population, params)
    size = int(params["population.size"])
    return {"population": pop.as_dict(size), "horizon_months": int(params["contract.horizon_months"]),
            "prices": price_year_text(params), "discounting": DISCOUNTING,
            "money": f"DKK for the contract's cohort of {int(params['contract.cohort.size']):,} simulated citizens "
                     "(one participant each), not scaled to the population"}


def run_contract(scenario: str | Path, replications: int = 10, seed: int = 0, out_dir: str | Path | None = None,
                 executor: Executor | None = None, overrides: dict[str, Any] | None = None,
                 echo: Callable[[str], None] | None = print, population: Any = None) -> ContractResult:
    """Run the contract scenario, print its report (unless ``echo`` is None) and write
    the files into ``out_dir`` (default ``out/contract-<scenario>``). ``population``
    (a name, a homeless count or None = national) is stated, not scaled to."""
    about = about_contract(scenario, overrides, population)
    result = run_replications(scenario, replications, seed, executor=executor, overrides=overrides)
    out = Path(out_dir) if out_dir is not None else Path("out") / f"contract-{Path(str(scenario)).stem}"
    written = write_result(result, out, about)
    if echo is not None:
        pop = about["population"]
        echo(f"Population: {pop['name']}, {pop['persons']:,.0f} persons in the target group "
             f"({pop['simulated_citizens']:,} simulated citizens); horizon {about['horizon_months']} months; "
             f"{about['prices']}; {about['money']}.\n")
        echo(result.report())
        echo(f"\nwrote {out}/: {', '.join(p.name for p in written)}")
    return result


__all__ = ["FILES", "run_contract", "write_result"]
