"""Many runs, one answer: seeds, workers, clusters and interrupted sweeps never change a number."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model import Parameters
from runs.cli import main
from runs.runner import RESULT_COLUMNS, Plan, Point, RunStore, SpecError, execute, replication_seeds, tidy_measures

ROOT = Path(__file__).resolve().parent.parent


def quick_overrides(size: int = 300) -> dict:
    """A small cohort; the budget holders' appraisal pilots (where the model has them) at
    their smallest, so a run takes a fraction of a second."""
    base = Parameters.baseline()
    out: dict = {"population.size": size}
    for path in ("governance.appraisal_size", "governance.appraisal_months"):
        if path in base:
            out[path] = base.leaf(path).min
    return out


def quick_flags(size: int = 300) -> list[str]:
    return [arg for path, value in quick_overrides(size).items() for arg in ("--set", f"{path}={value}")]


#: A small grid sweep: 3 points x 8 replications of 1,200 citizens over 36 months.
SWEEP = ["sweep", "--grid", "pathways.housing.shelter_to_own_home.rate=0.02,0.04,0.06",
         "--replications", "8", "--months", "36", "--seed", "11", "--no-plots", "--no-progress",
         *quick_flags(1200)]
SWEEP_RUNS = 3 * 8


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("uninterrupted")
    assert main([*SWEEP, "--workers", "1", "--out", str(out)]) == 0
    return pd.read_parquet(out / "results.parquet")


def test_results_are_tidy_one_row_per_run_month_and_measure(uninterrupted):
    assert list(uninterrupted.columns) == RESULT_COLUMNS
    keys = uninterrupted[["point", "replication", "month", "measure"]]
    assert not keys.duplicated().any()
    assert uninterrupted.groupby(["point", "replication"]).ngroups == SWEEP_RUNS
    assert sorted(uninterrupted["month"].unique()) == list(range(37))
    assert keys.equals(keys.sort_values(list(keys.columns)).reset_index(drop=True))


def test_one_and_two_workers_give_identical_results(uninterrupted, tmp_path):
    assert main([*SWEEP, "--workers", "2", "--out", str(tmp_path)]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "results.parquet"), uninterrupted)


def test_a_sweep_killed_midway_resumes_without_losing_or_duplicating_runs(uninterrupted, tmp_path):
    cmd = [sys.executable, "-m", "runs.cli", *SWEEP, "--workers", "1", "--out", str(tmp_path)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    store = RunStore(tmp_path)
    deadline = time.monotonic() + 120
    while len(store.done()) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished_before = store.done()
    assert 3 <= len(finished_before) < SWEEP_RUNS, proc.stderr.read().decode()
    assert not (tmp_path / "results.parquet").exists()

    assert main([*SWEEP, "--workers", "1", "--out", str(tmp_path)]) == 0
    resumed = pd.read_parquet(tmp_path / "results.parquet")
    pd.testing.assert_frame_equal(resumed, uninterrupted)
    assert len(store.done()) == SWEEP_RUNS
    assert not list(store.parts.glob(".*.tmp"))


def test_a_dask_cluster_gives_the_same_results_as_local_processes(uninterrupted, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        assert main([*SWEEP, "--scheduler", cluster.scheduler_address, "--out", str(tmp_path)]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "results.parquet"), uninterrupted)


def test_resuming_with_a_different_spec_is_refused_naming_what_changed(tmp_path, capsys):
    args = ["run", "--months", "3", "--replications", "2", "--no-plots", *quick_flags(), "--out", str(tmp_path)]
    assert main(args) == 0
    assert main([*args[:2], "4", *args[3:]]) == 2
    err = capsys.readouterr().err
    assert "different spec" in err and "months" in err and "--overwrite" in err
    assert main([*args[:2], "4", *args[3:], "--overwrite"]) == 0
    assert json.loads((tmp_path / "manifest.json").read_text())["spec"]["months"] == 4


def test_a_directory_that_is_not_ours_is_left_alone(tmp_path, capsys):
    (tmp_path / "thesis.docx").write_text("precious")
    assert main(["run", "--months", "2", "--replications", "1", *quick_flags(), "--out", str(tmp_path), "--overwrite"]) == 2
    assert "not a welfare-pathways output directory" in capsys.readouterr().err
    assert (tmp_path / "thesis.docx").read_text() == "precious"


def test_replication_r_shares_its_seed_across_points_common_random_numbers(tmp_path):
    """Two points with identical parameters are the same experiment: replication r gives
    the same run at both, and different replications differ."""
    same = quick_overrides()
    plan = Plan("run", [Point(0, overrides=same), Point(1, overrides=same)], months=6, replications=2, seed=5)
    results = execute(plan, tmp_path).results.set_index(["point", "replication", "month", "measure"])["value"]
    assert results.loc[0].equals(results.loc[1])
    assert not results.loc[(0, 0)].equals(results.loc[(0, 1)])
    seeds = replication_seeds(5, 2)
    assert seeds[1].spawn_key == np.random.SeedSequence(5).spawn(2)[1].spawn_key


def test_more_replications_extend_a_sweep_without_changing_the_first_ones(tmp_path):
    """Replication r's seed does not depend on how many replications are run."""
    kw = {"kind": "run", "points": [Point(0, overrides=quick_overrides())], "months": 4, "seed": 9}
    few = execute(Plan(**kw, replications=2), tmp_path / "few").results
    more = execute(Plan(**kw, replications=3), tmp_path / "more").results
    pd.testing.assert_frame_equal(more[more["replication"] < 2].reset_index(drop=True), few)


def test_tidy_measures_counts_every_citizen_in_one_housing_level_each_month():
    from model import WelfareModel

    model = WelfareModel(rng=1, **quick_overrides(400))
    model.run_for(3)
    tidy = tidy_measures(model)
    assert list(tidy.columns) == ["month", "measure", "value"]
    housing = tidy[tidy["measure"].str.startswith("housing.")].groupby("month")["value"].sum()
    alive = tidy[tidy["measure"] == "alive"].set_index("month")["value"]
    assert (housing == alive).all() and list(housing.index) == [0, 1, 2, 3]


def test_summary_has_one_row_per_point_and_measure_with_percentile_bands(tmp_path):
    plan = Plan("run", [Point(0, overrides=quick_overrides())], months=6, replications=5, seed=2)
    out = execute(plan, tmp_path)
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert len(summary) == out.results["measure"].nunique()
    assert (summary["replications"] == 5).all()
    assert (summary["final_p10"] <= summary["final_p50"]).all() and (summary["final_p50"] <= summary["final_p90"]).all()


def test_an_invalid_plan_is_rejected_before_anything_is_written(tmp_path):
    with pytest.raises(SpecError, match="replications = 0: out of range"):
        Plan("run", [Point(0)], replications=0)
    with pytest.raises(ValueError, match="network.rewire = 2"):
        execute(Plan("run", [Point(0, overrides={"network.rewire": 2})]), tmp_path / "never")
    assert not (tmp_path / "never").exists()


# -- resuming after kills, damaged files and concurrent instances ---------------------------------
def _small_run(out: Path, *extra: str) -> list[str]:
    return ["run", "--months", "3", "--replications", "2", "--no-plots", "--no-progress", *quick_flags(),
            "--out", str(out), *extra]


@pytest.mark.parametrize("again", [[], ["--overwrite"]])
def test_a_run_killed_before_its_manifest_is_taken_by_the_same_command(again, tmp_path):
    """Killed between creating the directory and writing manifest.json: what is left (an
    empty parts/, a half-written manifest) is ours, and the same command takes it."""
    (tmp_path / "parts").mkdir()
    (tmp_path / ".manifest.json.k2jd8.tmp").write_text('{"tool": "welfare-pa')
    assert main(_small_run(tmp_path, *again)) == 0
    assert json.loads((tmp_path / "manifest.json").read_text())["spec"]["months"] == 3
    assert len(RunStore(tmp_path).done()) == 2 and not list(tmp_path.rglob("*.tmp"))


def test_temporary_files_of_a_killed_run_are_removed_by_the_next_one(tmp_path):
    assert main(_small_run(tmp_path)) == 0
    stale = [tmp_path / ".results.parquet.a8x1.tmp", tmp_path / ".summary.csv.zz.tmp", tmp_path / ".occupancy.png.q.tmp",
             tmp_path / "parts" / ".p00000-r0001.parquet.b7.tmp"]
    for path in stale:
        path.write_bytes(b"PAR1 half")
    assert main(_small_run(tmp_path)) == 0
    assert not [p for p in stale if p.exists()]


def test_a_damaged_part_is_discarded_and_run_again(tmp_path, capsys):
    """A part cut short (no fsync, a crash, a full disk) crashed the resume with ArrowInvalid."""
    assert main(_small_run(tmp_path)) == 0
    complete = pd.read_parquet(tmp_path / "results.parquet")
    part = RunStore(tmp_path).part_path(0, 1)
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    (RunStore(tmp_path).part_path(0, 0)).write_bytes(b"")
    capsys.readouterr()
    assert main(_small_run(tmp_path)) == 0
    err = capsys.readouterr().err
    assert "p00000-r0001.parquet: unreadable" in err and "discarded, it is run again" in err
    assert "p00000-r0000.parquet" in err
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "results.parquet"), complete)


def test_every_file_and_its_directory_reach_the_disk_before_the_file_counts_as_written(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(os.readlink(f"/proc/self/fd/{fd}")), real_fsync(fd)))
    assert main(_small_run(tmp_path)) == 0
    names = [Path(p).name for p in synced]
    part = RunStore(tmp_path).part_path(0, 1)
    assert any(n.startswith(f".{part.name}.") for n in names) and str(part.parent) in synced
    assert any(n.startswith(".results.parquet.") for n in names) and str(tmp_path) in synced


def test_a_second_process_on_the_same_directory_is_refused_with_exit_2(tmp_path, capsys):
    """Two instances on one directory: one's clean-up deleted the other's part in flight.
    The directory is locked; the lock dies with its holder (here by SIGKILL)."""
    long_run = ["run", "--months", "1200", "--replications", "50", "--no-plots", "--no-progress", *quick_flags(2000),
                "--out", str(tmp_path)]
    proc = subprocess.Popen([sys.executable, "-m", "runs.cli", *long_run], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "parts").exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read().decode()
        assert main(long_run) == 2
        err = capsys.readouterr().err
        assert f"another welfare-pathways process (pid {proc.pid}) is writing into it" in err
        assert "Traceback" not in err
    finally:
        proc.kill()
        proc.wait()
    assert main(_small_run(tmp_path, "--overwrite")) == 0  # the killed holder's lock is gone


def _children(pid: int) -> list[int]:
    """Living (not zombie) child processes of ``pid``, from /proc."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_pool_workers_die_with_the_main_process(sig, tmp_path):
    """Killing the main process used to leave its workers computing for minutes."""
    cmd = [sys.executable, "-m", "runs.cli", "run", "--months", "1200", "--replications", "4", "--workers", "2",
           "--no-plots", "--no-progress", *quick_flags(20000), "--out", str(tmp_path)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            workers = [pid for pid in _children(proc.pid)
                       if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
            if len(workers) == 2:
                break
            time.sleep(0.1)
        assert len(workers) == 2 and proc.poll() is None, proc.stderr.read().decode()
        time.sleep(1.0)  # the workers are computing now
        proc.send_signal(sig)
        proc.wait()
        deadline = time.monotonic() + 5
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in workers)
    finally:
        proc.kill()
        for pid in filter(_alive, workers):
            os.kill(pid, signal.SIGKILL)


ORPHAN = """
import os, subprocess, sys
child = subprocess.Popen([sys.executable, "-c",
    "import os, time; from runs.runner import _exit_when_orphaned; print(os.getpid(), flush=True); "
    f"_exit_when_orphaned({os.getpid()}, 0.1); time.sleep(600)"], stdout=subprocess.PIPE)
print(child.stdout.readline().decode().strip(), flush=True)
os.kill(os.getpid(), 9)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_parent_watch_ends_a_worker_whose_parent_died_without_prctl():
    """The portable half of die_with_parent: polling the parent's pid."""
    out = subprocess.run([sys.executable, "-c", ORPHAN], cwd=ROOT, capture_output=True,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    child = int(out.stdout.decode().split()[0])
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child)
