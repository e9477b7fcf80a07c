"""Running the model many times: plans, seeds, executors and a resumable output directory.

A *plan* is a list of parameter *points* (a scenario plus dotted-path overrides) run
``replications`` times each for ``months``. A run is identified by ``(point, replication)``;
replication ``r`` gets child ``r`` of ``numpy.random.SeedSequence(seed).spawn(replications)``
at *every* point, so points are compared on common random numbers.

What is measured from one finished run is defined once, in :func:`tidy_measures`; the
rest of this module (and ``runs/plots.py``) is generic over measure names.

Runs are dispatched to any ``concurrent.futures.Executor`` (:func:`make_executor`): in
process for one worker, local processes (``ProcessPoolExecutor``, spawn context) for
several, or a Dask distributed cluster given its scheduler address. Results are written
by the calling process, never by a worker, so a cluster needs no shared file system.

The output directory (:class:`RunStore`)::

    manifest.json         the plan's spec and its hash; resuming with another spec is refused
    parts/p00003-r0007.parquet   one file per finished run, written atomically
    results.parquet       all runs, tidy: point, replication, month, measure, value
    points.csv            what each point is: scenario, label, overridden parameters
    summary.csv           per point and measure: final-month and time-average value over
                          replications (mean, 10th, 50th, 90th percentile)
    population.json       ``run`` only: the named population the simulated citizens stand
                          for, the horizon, price year and discounting (runs/cli.py)

Killing a run at any moment loses at most the runs in flight; running the same plan
into the same directory again skips the parts that exist (each is checked first; a
damaged one is discarded and run again). One process at a time writes a directory: it
holds an exclusive lock on ``.welfare-pathways.lock`` there. Rows are sorted by
(point, replication, month, measure) before writing, so neither the number of workers
nor the order in which runs finish changes a single number.
"""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import fcntl
import hashlib
import json
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.params import ParameterError, Parameters

#: Columns of the tidy results table, and the order rows are sorted in.
KEY_COLUMNS = ["point", "replication", "month", "measure"]
RESULT_COLUMNS = [*KEY_COLUMNS, "value"]
#: Environment that keeps numeric libraries to one thread per worker process.
SINGLE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
MANIFEST_VERSION = 1
_UMASK = os.umask(0)
os.umask(_UMASK)


class SpecError(ValueError):
    """A run specification (command-line flag or spec file) is invalid; the message names
    the flag or field and what is allowed."""


# -- what we measure from one finished run ---------------------------------------------------
def tidy_measures(model) -> pd.DataFrame:
    """Everything recorded from one finished run, tidy: one row per month and measure.

    Columns ``month`` (int), ``measure`` (str), ``value`` (float): the occupancy of every
    level of every domain (``"housing.street"``), ``"homeless"``, and the living, dead, left
    and newcomers so far (``"alive"``, ``"died"``, ``"exited"``, ``"entered"``); the net public cost
    of each budget holder per month, in total (``"money.kommune.total"``) and by ledger
    category (``"money.region.psychiatry"``, DKK; categories that stay zero are left out);
    and the mean quality-of-life index (``"wellbeing.mean"``). New measures are added here
    and flow through results, summary and plots without further changes.
    """
    occupancy = model.occupancy_frame()
    frames = [occupancy.reset_index().melt(id_vars="month", var_name="measure", value_name="value")]
    ledger = model.ledger.frame()
    if len(ledger):
        money = ledger.groupby(["budget", "category"]).filter(lambda g: g["amount"].any())
        frames.append(pd.DataFrame({"month": money["month"], "value": money["amount"],
                                    "measure": "money." + money["budget"] + "." + money["category"]}))
        totals = ledger.groupby(["month", "budget"], as_index=False)["amount"].sum()
        frames.append(pd.DataFrame({"month": totals["month"], "value": totals["amount"],
                                    "measure": "money." + totals["budget"] + ".total"}))
        wb = model.ledger.wellbeing_mean
        frames.append(pd.DataFrame({"month": range(1, len(wb) + 1), "measure": "wellbeing.mean", "value": wb}))
    return _tidy(pd.concat(frames, ignore_index=True))


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "month": frame["month"].astype("int64").to_numpy(),
        "measure": frame["measure"].astype(str).to_numpy(),
        "value": frame["value"].astype("float64").to_numpy(),
    })


# -- checks shared by flags and spec files --------------------------------------------------
def check_int(name: str, value: Any, minimum: int, maximum: int | None = None) -> int:
    """``value`` as an int within ``[minimum, maximum]``, or a ``SpecError`` naming ``name``."""
    allowed = f"a whole number >= {minimum}" if maximum is None else f"a whole number in [{minimum}, {maximum}]"
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise SpecError(f"{name} = {value!r}: expected {allowed}") from None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise SpecError(f"{name} = {value!r}: expected {allowed}")
    if value < minimum or (maximum is not None and value > maximum):
        raise SpecError(f"{name} = {value!r}: out of range; expected {allowed}")
    return int(value)


LIMITS = {"months": (1, 1200), "replications": (1, 100_000), "seed": (0, 2**63 - 1), "workers": (1, 1024)}


# -- plans ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Point:
    """One parameter point: a scenario (shipped name or TOML path) plus overrides."""

    id: int
    scenario: str = "baseline"
    overrides: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""

    def parameters(self, origin: str = "overrides") -> Parameters:
        base = Parameters.load(self.scenario)
        return base.with_overrides(dict(self.overrides), origin=origin) if self.overrides else base

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "scenario": self.scenario, "label": self.label or self.scenario,
                "overrides": dict(self.overrides)}


@dataclass
class Plan:
    """Points x replications, each run for ``months`` months.

    ``kind`` and ``design`` (how the points were made: grid values, bounds, method...) are
    recorded in the manifest with the points; all of it together is the spec whose hash
    decides whether an output directory can be resumed.
    """

    kind: str
    points: list[Point]
    months: int = 120
    replications: int = 10
    seed: int = 0
    design: dict[str, Any] = field(default_factory=dict)
    origin: str = "overrides"

    def __post_init__(self) -> None:
        for name in ("months", "replications", "seed"):
            setattr(self, name, check_int(name, getattr(self, name), *LIMITS[name]))
        if not self.points:
            raise SpecError(f"{self.kind}: no parameter points to run")
        ids = [p.id for p in self.points]
        if len(set(ids)) != len(ids):
            raise SpecError(f"{self.kind}: point ids must be unique, got {ids}")

    def resolve(self) -> dict[int, Parameters]:
        """Validated parameters of every point (raises ``ParameterError`` naming the key)."""
        return {p.id: p.parameters(self.origin) for p in self.points}

    def seeds(self) -> list[np.random.SeedSequence]:
        return replication_seeds(self.seed, self.replications)

    def runs(self) -> list[tuple[int, int]]:
        return [(p.id, r) for p in sorted(self.points, key=lambda p: p.id) for r in range(self.replications)]

    def spec(self, params: Mapping[int, Parameters]) -> dict[str, Any]:
        """JSON-able description of everything that determines the results."""
        digest = hashlib.sha256()
        for pid in sorted(params):
            digest.update(repr(sorted((k, repr(v)) for k, v in params[pid].values().items())).encode())
        return {
            "kind": self.kind,
            "months": self.months,
            "replications": self.replications,
            "seed": self.seed,
            "design": self.design,
            "points": [p.describe() for p in sorted(self.points, key=lambda p: p.id)],
            "parameters_sha256": digest.hexdigest(),
        }

    def points_table(self) -> pd.DataFrame:
        """One row per point: id, scenario, label and one column per overridden path."""
        rows = [{"point": p.id, "scenario": p.scenario, "label": p.label or p.scenario, **dict(p.overrides)}
                for p in sorted(self.points, key=lambda p: p.id)]
        return pd.DataFrame(rows)


def replication_seeds(seed: int, replications: int) -> list[np.random.SeedSequence]:
    """Seed of replication ``r``: child ``r`` of ``SeedSequence(seed)`` (same at every point)."""
    return np.random.SeedSequence(seed).spawn(replications)


def design_rng(seed: int, purpose: str) -> np.random.Generator:
    """A generator for designing a sweep (sampling points), independent of the run seeds."""
    tag = int.from_bytes(hashlib.sha256(purpose.encode()).digest()[:4], "little")
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2**32 - 1, tag)))


def spec_hash(spec: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


# -- one run (executed in a worker) --------------------------------------------------------
def simulate(params: Parameters, months: int, seed: np.random.SeedSequence, point: int, replication: int) -> pd.DataFrame:
    """Build the model, run it ``months`` months and return its tidy measures tagged with
    ``point`` and ``replication``. Runs in a worker process; must stay picklable."""
    from model.welfare_model import WelfareModel

    model = WelfareModel(params, rng=seed)
    model.run_for(months)
    frame = tidy_measures(model)
    frame.insert(0, "replication", np.int64(replication))
    frame.insert(0, "point", np.int64(point))
    return frame


# -- executors --------------------------------------------------------------------------------
class InlineExecutor(cf.Executor):
    """Runs each task in the calling process when it is submitted (one worker, no pickling)."""

    def submit(self, fn: Callable, /, *args, **kwargs) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - delivered through the future, like a pool
            if isinstance(exc, KeyboardInterrupt):
                raise
            future.set_exception(exc)
        return future


@contextmanager
def single_threaded_children() -> Iterator[None]:
    """Child processes started inside this block use one BLAS/OpenMP thread each."""
    saved = {k: os.environ.get(k) for k in SINGLE_THREAD_ENV}
    os.environ.update(SINGLE_THREAD_ENV)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


#: prctl(2) option: the signal this process gets when its parent dies (Linux).
PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Run first in every local pool worker: end the worker when the process that started
    it dies, however it dies. A SIGKILL or SIGTERM of the main process otherwise left its
    workers computing for minutes, ~200 MB each. On Linux the kernel sends SIGKILL
    (``prctl(PR_SET_PDEATHSIG)``); everywhere a daemon thread checks the parent's pid
    every second (and covers a parent that died before the prctl)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no libc prctl: the thread below still works
            pass
    threading.Thread(target=_exit_when_orphaned, args=(parent,), name="die-with-parent", daemon=True).start()


def _exit_when_orphaned(parent: int, interval: float = 1.0) -> None:
    while os.getppid() == parent:
        time.sleep(interval)
    os._exit(1)


@contextmanager
def make_executor(workers: int = 1, scheduler: str | None = None) -> Iterator[tuple[cf.Executor, int]]:
    """An executor and how many runs to keep in flight on it.

    ``scheduler`` (``"tcp://host:8786"``) connects to a Dask distributed cluster (extra
    ``dist``); its workers must have this project installed and pin their own threads
    (Dask's nanny sets ``OMP_NUM_THREADS=1`` by default). Otherwise ``workers`` local
    processes, or the calling process itself when ``workers == 1``; local workers die
    with the calling process (:func:`die_with_parent`).
    """
    if scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise SpecError("--scheduler needs Dask distributed: pip install 'welfare-pathways[dist]'") from None
        try:
            client = Client(scheduler, timeout="10s")
        except TypeError as exc:  # tls:// without certificates: "TLS expects a `ssl_context` argument"
            raise SpecError(f"--scheduler {scheduler}: TLS needs this client's certificate; set "
                            "DASK_DISTRIBUTED__COMM__TLS__CA_FILE, ..._CLIENT__CERT and ..._CLIENT__KEY "
                            f"(docs/cli.md, 'On a cluster') ({exc})") from None
        except (OSError, TimeoutError, ValueError) as exc:
            raise SpecError(f"--scheduler {scheduler}: cannot connect to a Dask scheduler ({exc})") from None
        try:
            slots = max(1, sum(client.nthreads().values()))
            yield client.get_executor(pure=False), 2 * slots
        finally:
            client.close()
        return
    workers = check_int("workers", workers, *LIMITS["workers"])
    if workers == 1:
        yield InlineExecutor(), 1
        return
    with single_threaded_children():
        pool = cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                      initializer=die_with_parent, initargs=(os.getpid(),))
        try:
            yield pool, 2 * workers
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        else:
            pool.shutdown(wait=True)


# -- the output directory -------------------------------------------------------------------
#: Longest file name and path Linux takes, in bytes (NAME_MAX, PATH_MAX).
NAME_MAX, PATH_MAX = 255, 4096


def check_out_dir(path: Path, flag: str = "--out") -> Path:
    """Create ``path`` (with its parents) as an output directory and check that files can
    be made in it; else a ``SpecError`` naming ``flag``: too long, an existing file, a
    file or a symlink loop on the way, not creatable or not writable. Called before any
    work, so a bad ``--out`` fails at once rather than after the whole computation."""
    where = f"{flag} {path}"
    if len(os.fsencode(path.absolute())) >= PATH_MAX or any(len(os.fsencode(p)) > NAME_MAX for p in path.parts):
        raise SpecError(f"{where}: path too long (at most {NAME_MAX} bytes per name, {PATH_MAX} in all)")
    try:
        if path.exists() and not path.is_dir():
            raise SpecError(f"{where}: exists and is not a directory")
        if path.is_symlink() and not path.exists():
            raise SpecError(f"{where}: a dangling symbolic link or a symlink loop")
        path.mkdir(parents=True, exist_ok=True)
        os.rmdir(tempfile.mkdtemp(dir=path, prefix=".probe-"))
    except OSError as exc:
        raise SpecError(f"{where}: cannot write there ({exc.strerror or exc})") from None
    return path


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_directory(out: Path, fill: Callable[[Path], list[Path]]) -> list[Path]:
    """Write a whole directory at once: ``fill`` writes every file into a fresh temporary
    sibling of ``out``, which then replaces ``out`` (the previous one is renamed aside
    first and removed after). A kill at any moment leaves the old set of files or the new
    one, never a mix of two runs; its leftovers (``.NAME.*.tmp``) are removed by the next
    call. Returns the files' paths inside ``out``."""
    parent = check_out_dir(out.parent)
    if out.exists() and not out.is_dir():
        raise SpecError(f"--out {out}: exists and is not a directory")
    remove_stale(parent, f".{out.name}.*.tmp")
    tmp = Path(tempfile.mkdtemp(dir=parent, prefix=f".{out.name}.", suffix=".tmp"))
    try:
        os.chmod(tmp, 0o777 & ~_UMASK)
        written = fill(tmp)  # each file with atomic_write, so on disk already
        if out.exists():
            old = Path(tempfile.mkdtemp(dir=parent, prefix=f".{out.name}.", suffix=".old.tmp"))
            os.replace(out, old)  # an empty directory is replaced by rename
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
        _fsync(parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [out / f.name for f in written]


def remove_stale(directory: Path, pattern: str) -> None:
    """Remove what an interrupted run left behind: files or directories matching ``pattern``."""
    for stale in directory.glob(pattern):
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write ``path`` via a temporary file in the same directory and ``os.replace``, so
    readers (and a resumed sweep) see either the whole file or none. The file and then
    the directory are fsynced, so this holds after a power cut too."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes it private; give it the usual permissions
        _fsync(Path(tmp))  # on disk before it gets its name: a crash never leaves a named, truncated file
        os.replace(tmp, path)
        _fsync(path.parent)  # and the rename itself
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class RunStore:
    """A resumable output directory (layout in the module docstring)."""

    OUTPUTS = ("results.parquet", "points.csv", "summary.csv", "indices.csv", "population.json")
    LOCK = ".welfare-pathways.lock"

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.parts = self.root / "parts"
        self.manifest = self.root / "manifest.json"
        self._lock_fd: int | None = None

    def part_path(self, point: int, replication: int) -> Path:
        return self.parts / f"p{point:05d}-r{replication:04d}.parquet"

    def open(self, spec: dict[str, Any], overwrite: bool = False) -> None:
        """Lock the directory, then start it anew or check that it holds this spec. Hold
        the lock until :meth:`close`."""
        check_out_dir(self.root)
        created = self._lock()
        try:
            self._open_locked(spec, overwrite)
        except BaseException:
            if created and not self.manifest.exists():  # leave no trace in a directory that is not ours
                (self.root / self.LOCK).unlink(missing_ok=True)
            self.close()
            raise

    def _open_locked(self, spec: dict[str, Any], overwrite: bool) -> None:
        if overwrite:
            self.clear()
        digest = spec_hash(spec)
        if self.manifest.exists():
            old = self._read_manifest()
            if old["spec_sha256"] != digest:
                changed = sorted(k for k in set(spec) | set(old["spec"]) if spec.get(k) != old["spec"].get(k))
                raise SpecError(
                    f"--out {self.root}: holds results of a different spec (differs in: {', '.join(changed) or 'hash'}); "
                    "resuming would mix them. Use another --out, or --overwrite to discard them")
        elif self._foreign():
            raise SpecError(f"--out {self.root}: not empty and not a welfare-pathways output directory (no manifest.json)")
        else:
            # A run killed before its manifest was written leaves at most parts/ with files
            # of an unknown spec (and our temporary files): start afresh. The manifest is
            # written before parts/ exists, so this is the only state without one.
            shutil.rmtree(self.parts, ignore_errors=True)
            body = {"tool": "welfare-pathways", "version": MANIFEST_VERSION, "spec_sha256": digest, "spec": spec}
            atomic_write(self.manifest, lambda p: p.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n"))
        remove_stale(self.root, ".*.tmp")  # left by a run killed while writing results, plots or the manifest
        self.parts.mkdir(exist_ok=True)
        remove_stale(self.parts, ".*.tmp")

    def _lock(self) -> bool:
        """Take an exclusive ``flock`` on the lock file (created if missing; returns whether
        it was). Two processes on one directory would delete each other's parts in flight.
        The OS releases the lock when its holder dies, even by SIGKILL: never stale."""
        path = self.root / self.LOCK
        created = not path.exists()
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            raise SpecError(f"--out {self.root}: cannot create {self.LOCK} ({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise SpecError(f"--out {self.root}: another welfare-pathways process (pid {holder}) is writing into it; "
                            "wait for it to finish, or use another --out") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd
        return created

    def close(self) -> None:
        """Release the lock (the lock file stays: removing it would race with a waiting process)."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _read_manifest(self) -> dict[str, Any]:
        try:
            old = json.loads(self.manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SpecError(f"{self.manifest}: unreadable manifest ({exc}); use another --out or --overwrite") from None
        if not (isinstance(old, dict) and isinstance(old.get("spec"), dict) and isinstance(old.get("spec_sha256"), str)):
            raise SpecError(f"{self.manifest}: not a welfare-pathways manifest (expected a JSON object with spec and "
                            "spec_sha256); use another --out or --overwrite")
        return old

    def _foreign(self) -> bool:
        """Whether the directory holds anything but what a run killed before writing its
        manifest leaves: the lock, our temporary files, ``parts/`` with part files."""
        ours = (self.LOCK, "parts", *(f".{name}.*.tmp" for name in ("manifest.json", *self.OUTPUTS)), ".probe-*")
        for entry in self.root.iterdir():
            if not any(entry.match(pattern) for pattern in ours):
                return True
            if entry.name == "parts" and (not entry.is_dir() or entry.is_symlink() or any(
                    not (f.match("p*-r*.parquet") or f.match(".*.tmp")) for f in entry.iterdir())):
                return True
        return False

    def clear(self) -> None:
        """Remove what this tool wrote here (and nothing else)."""
        if not self.manifest.exists():
            return
        shutil.rmtree(self.parts, ignore_errors=True)
        for name in (*self.OUTPUTS, "manifest.json"):
            (self.root / name).unlink(missing_ok=True)
        for png in self.root.glob("*.png"):
            png.unlink()

    def done(self) -> set[tuple[int, int]]:
        out = set()
        for path in self.parts.glob("p*-r*.parquet"):
            p, r = path.stem[1:].split("-r")
            out.add((int(p), int(r)))
        return out

    def discard_damaged(self, months: int) -> list[str]:
        """Check every part before resuming and delete the damaged ones, so they are run
        again: a part must be readable Parquet with the result columns, rows of its own
        point and replication only, and every month 0..``months``. (A file cut short by a
        crash or a full disk would otherwise stop the final combine.) Returns messages."""
        messages = []
        for path in sorted(self.parts.glob("p*-r*.parquet")):
            p, r = path.stem[1:].split("-r")
            problem = _part_problem(path, int(p), int(r), months)
            if problem:
                path.unlink(missing_ok=True)
                messages.append(f"{path}: {problem}; discarded, it is run again")
        return messages

    def write_part(self, frame: pd.DataFrame) -> None:
        point, replication = int(frame["point"].iat[0]), int(frame["replication"].iat[0])
        atomic_write(self.part_path(point, replication), lambda p: sort_results(frame).to_parquet(p, index=False))

    def combine(self, runs: list[tuple[int, int]]) -> pd.DataFrame:
        missing = [run for run in runs if not self.part_path(*run).exists()]
        if missing:
            raise RuntimeError(f"{self.root}: {len(missing)} run(s) missing, e.g. point {missing[0][0]} replication {missing[0][1]}")
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.concat_tables([pq.read_table(self.part_path(*run)) for run in runs])
        return sort_results(table.to_pandas())

    def write_outputs(self, results: pd.DataFrame, points: pd.DataFrame, summary: pd.DataFrame) -> None:
        atomic_write(self.root / "results.parquet", lambda p: results.to_parquet(p, index=False))
        atomic_write(self.root / "points.csv", lambda p: points.to_csv(p, index=False))
        atomic_write(self.root / "summary.csv", lambda p: summary.to_csv(p, index=False))


def _part_problem(path: Path, point: int, replication: int, months: int) -> str | None:
    """Why the part at ``path`` cannot be used, or None."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        part = pq.ParquetFile(path)
        if part.schema_arrow.names != RESULT_COLUMNS:
            return f"unexpected columns {part.schema_arrow.names}"
        keys = part.read(columns=["point", "replication", "month"])
    except (pa.ArrowException, OSError, ValueError) as exc:
        return f"unreadable ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
    if not keys.num_rows:
        return "no rows"
    if set(keys.column("point").to_numpy()) != {point} or set(keys.column("replication").to_numpy()) != {replication}:
        return "rows of another run"
    if set(keys.column("month").to_numpy()) != set(range(months + 1)):
        return f"months other than 0..{months}"
    return None


def sort_results(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[RESULT_COLUMNS].sort_values(KEY_COLUMNS, kind="stable").reset_index(drop=True)


# -- summaries -------------------------------------------------------------------------------
def summarise(results: pd.DataFrame, points: pd.DataFrame) -> pd.DataFrame:
    """Per point and measure, over replications: the final month's value and the average
    over months 1..N (month 0, the starting state, excluded), each as mean, p10, p50, p90."""
    last = results["month"].max()
    per_run = results[results["month"] > 0].groupby(["point", "measure", "replication"], sort=True)["value"]
    runs = pd.DataFrame({"final": results[results["month"] == last].set_index(["point", "measure", "replication"])["value"],
                         "average": per_run.mean()})
    # a money category that stays zero is left out of a run's results (``tidy_measures``):
    # it counts as 0 in that replication, not as missing
    full = [(pt, m, r) for pt, g in results.groupby("point", sort=True)
            for m in sorted(g["measure"].unique()) for r in sorted(g["replication"].unique())]
    runs = runs.reindex(pd.MultiIndex.from_tuples(full, names=runs.index.names)).fillna(0.0).reset_index()
    stats = {"mean": "mean", "p10": lambda s: s.quantile(0.1), "p50": "median", "p90": lambda s: s.quantile(0.9)}
    grouped = runs.groupby(["point", "measure"], sort=True)
    columns = {f"{what}_{name}": grouped[what].agg(fn) for what in ("final", "average") for name, fn in stats.items()}
    summary = pd.DataFrame(columns).reset_index()
    summary.insert(2, "replications", grouped.size().to_numpy())
    return points.merge(summary, on="point", how="right")


# -- executing a plan -------------------------------------------------------------------------
@dataclass
class Outcome:
    """What :func:`execute` leaves behind."""

    out: Path
    results: pd.DataFrame
    points: pd.DataFrame
    summary: pd.DataFrame
    ran: int  #: runs executed now (the others were already in the directory)


def execute(plan: Plan, out: str | Path, *, workers: int = 1, scheduler: str | None = None,
            progress: bool | None = None, overwrite: bool = False) -> Outcome:
    """Run every (point, replication) of ``plan`` not yet in ``out``, then write the combined
    results. ``progress=None`` shows a progress bar only when stderr is a terminal.

    Raises ``ParameterError`` / ``SpecError`` before any run starts if the plan is invalid.
    """
    params = plan.resolve()
    store = RunStore(out)
    store.open(plan.spec(params), overwrite=overwrite)
    try:
        return _execute(plan, params, store, workers, scheduler, progress)
    finally:
        store.close()


def _execute(plan: Plan, params: dict[int, Parameters], store: RunStore, workers: int, scheduler: str | None,
             progress: bool | None) -> Outcome:
    for message in store.discard_damaged(plan.months):
        print(f"welfare-pathways: {message}", file=sys.stderr)
    runs = plan.runs()
    finished = store.done()
    todo = [run for run in runs if run not in finished]
    seeds = plan.seeds()
    if todo:
        from tqdm import tqdm

        show = sys.stderr.isatty() if progress is None else progress
        with make_executor(workers, scheduler) as (executor, window), \
                tqdm(total=len(runs), initial=len(runs) - len(todo), unit="run", desc=plan.kind,
                     file=sys.stderr, disable=not show, dynamic_ncols=True) as bar:
            pending: set[cf.Future] = set()
            queue = iter(todo)
            for point, rep in queue:
                pending.add(executor.submit(simulate, params[point], plan.months, seeds[rep], point, rep))
                if len(pending) >= window:
                    pending = _collect(pending, store, bar, cf.FIRST_COMPLETED)
            _collect(pending, store, bar, cf.ALL_COMPLETED)
    results = store.combine(runs)
    points = plan.points_table()
    summary = summarise(results, points)
    store.write_outputs(results, points, summary)
    return Outcome(store.root, results, points, summary, ran=len(todo))


def _collect(pending: set[cf.Future], store: RunStore, bar, when: str) -> set[cf.Future]:
    done, rest = cf.wait(pending, return_when=when)
    try:
        for future in done:
            store.write_part(future.result())
            bar.update(1)
    except BaseException:
        for future in rest:
            future.cancel()
        raise
    return rest


__all__ = ["KEY_COLUMNS", "RESULT_COLUMNS", "Outcome", "ParameterError", "Plan", "Point", "RunStore", "SpecError",
           "check_int", "design_rng", "execute", "make_executor", "replication_seeds", "simulate", "summarise",
           "tidy_measures"]
