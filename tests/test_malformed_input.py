"""Malformed input of every class ends with exit status 2 and one message naming the file,
flag or field and what is wrong: never a traceback, never a hang, never silently accepted.

Each case builds its input in a temporary directory and runs the command line in-process
(``runs.cli.main``); a case that used to crash raised out of ``main`` (UnicodeDecodeError,
RecursionError, IsADirectoryError, AttributeError...), and the FIFO case hung.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from runs.cli import main
from tests.test_runner import quick_flags

DEEP = 5000


def _write(path: Path, body: str | bytes) -> Path:
    path.write_bytes(body if isinstance(body, bytes) else body.encode())
    return path


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _loop(path: Path) -> Path:
    path.symlink_to(path.name)  # points at itself
    return path


def _scenario_with_base(tmp: Path, base: str) -> Path:
    return _write(tmp / "child.toml", f"[scenario]\nname = 'child'\nbase = {base!r}\n")


def _run(scenario: Path | str, tmp: Path) -> list[str]:
    return ["run", str(scenario), "--months", "1", "--replications", "1", *quick_flags(), "--out", str(tmp / "out")]


def _sweep(spec: Path, tmp: Path) -> list[str]:
    return ["sweep", str(spec), "--out", str(tmp / "out")]


def _sensitivity(spec: Path, tmp: Path) -> list[str]:
    return ["sensitivity", str(spec), "--out", str(tmp / "out")]


def _out(command: str, out: Path) -> list[str]:
    """A command with ``--out`` at ``out`` (which the case has made bad)."""
    return {"run": ["run", "--months", "1", "--replications", "1", *quick_flags()],
            "sweep": ["sweep", "--grid", "network.rewire=0.1,0.2", "--months", "1", "--replications", "1", *quick_flags()],
            "compare": ["compare", "baseline", "housing_first", "--months", "1", "--replications", "1", *quick_flags()],
            "contract": ["contract", "contract_reoffending", "--replications", "1"]}[command] + ["--out", str(out)]


def _afile(tmp: Path) -> Path:
    return _write(tmp / "results.txt", "mine")


def _manifest(tmp: Path, body: str | bytes) -> list[str]:
    (tmp / "out").mkdir()
    _write(tmp / "out" / "manifest.json", body)
    return _run("baseline", tmp)


NOT_UTF8 = b"[scenario]\nname = 'caf\xe9'\n"
DEEP_ARRAY = "[network]\nrewire = " + "[" * DEEP + "]" * DEEP + "\n"
DEEP_TABLES = "[" + ".".join(["a"] * DEEP) + "]\nx = 1\n"

#: (case, argv made from the temporary directory, text the message must contain)
CASES: list[tuple[str, Callable[[Path], list[str]], str]] = [
    # scenario files
    ("scenario not UTF-8", lambda t: _run(_write(t / "s.toml", NOT_UTF8), t),
     "s.toml: not UTF-8 text (byte 0xe9 at offset 22)"),
    ("scenario nested arrays", lambda t: _run(_write(t / "s.toml", DEEP_ARRAY), t), "s.toml: nested too deeply"),
    ("scenario nested tables", lambda t: _run(_write(t / "s.toml", DEEP_TABLES), t), "s.toml: nested too deeply"),
    ("scenario is a directory", lambda t: _run((t / "d.toml").mkdir() or t / "d.toml", t),
     "d.toml: is a directory; expected a TOML scenario file"),
    ("scenario is a FIFO", lambda t: _run(_fifo(t / "f.toml"), t), "f.toml: is a FIFO; expected a TOML scenario file"),
    ("scenario is a symlink loop", lambda t: _run(_loop(t / "l.toml"), t), "l.toml: cannot read the scenario file"),
    ("scenario name is a table", lambda t: _run(_write(t / "s.toml", "[scenario]\nname = {a = 1}\n"), t),
     "s.toml: scenario.name = {'a': 1}: wrong type, expected a string"),
    ("scenario description is a number", lambda t: _run(_write(t / "s.toml", "[scenario]\ndescription = 3\n"), t),
     "s.toml: scenario.description = 3: wrong type, expected a string"),
    ("base is a number", lambda t: _run(_write(t / "s.toml", "[scenario]\nbase = 5\n"), t),
     "s.toml: scenario.base = 5: wrong type, expected a scenario name or a TOML path"),
    ("base is a directory", lambda t: _run((t / "d.toml").mkdir() or _scenario_with_base(t, "d.toml"), t),
     "child.toml: scenario.base = 'd.toml': "),
    ("base is a FIFO", lambda t: _run(_fifo(t / "f.toml") and _scenario_with_base(t, "f.toml"), t),
     "child.toml: scenario.base = 'f.toml': "),
    ("base is a symlink loop", lambda t: _run(_loop(t / "l.toml") and _scenario_with_base(t, "l.toml"), t),
     "child.toml: scenario.base = 'l.toml': "),
    ("base is not UTF-8", lambda t: _run(_write(t / "b.toml", NOT_UTF8) and _scenario_with_base(t, "b.toml"), t),
     "child.toml: scenario.base = 'b.toml': "),
    # sweep and sensitivity spec files
    ("sweep spec not UTF-8", lambda t: _sweep(_write(t / "spec.toml", b"months = 1 # \xff\n"), t),
     "spec.toml: not UTF-8 text"),
    ("sweep spec nested", lambda t: _sweep(_write(t / "spec.toml", "[set]\n" + DEEP_TABLES.replace("[", "[set.", 1)), t),
     "spec.toml: nested too deeply"),
    ("sweep spec nested arrays", lambda t: _sweep(_write(t / "spec.toml", "[grid]\n'network.rewire' = "
                                                   + "[" * DEEP + "]" * DEEP), t), "spec.toml: nested too deeply"),
    ("sweep spec is a directory", lambda t: _sweep((t / "spec.toml").mkdir() or t / "spec.toml", t),
     "spec.toml: is a directory; expected a TOML spec file"),
    ("sweep spec is a FIFO", lambda t: _sweep(_fifo(t / "spec.toml"), t), "spec.toml: is a FIFO"),
    ("sweep spec is a symlink loop", lambda t: _sweep(_loop(t / "spec.toml"), t), "spec.toml: cannot read the spec file"),
    ("sensitivity spec not UTF-8", lambda t: _sensitivity(_write(t / "spec.toml", b"method = '\xc3'\n"), t),
     "spec.toml: not UTF-8 text"),
    ("sensitivity spec is a FIFO", lambda t: _sensitivity(_fifo(t / "spec.toml"), t), "spec.toml: is a FIFO"),
    # --set
    ("--set nested too deeply", lambda t: [*_run("baseline", t), "--set", "network.rewire=" + "[" * DEEP],
     "argument --set: [[[[[[[[[[[[[[[[[[[[...: nested too deeply"),
    # --out
    *[(f"{cmd} --out is a file", lambda t, cmd=cmd: _out(cmd, _afile(t)), "results.txt: exists and is not a directory")
      for cmd in ("run", "sweep", "contract")],
    ("compare --out is a file", lambda t: _out("compare", _afile(t)), "results.txt: exists and is not a directory"),
    *[(f"{cmd} --out under a file", lambda t, cmd=cmd: _out(cmd, _afile(t) / "sub"),
       "results.txt/sub: cannot write there (Not a directory)") for cmd in ("run", "sweep", "contract")],
    *[(f"{cmd} --out too long", lambda t, cmd=cmd: _out(cmd, t / ("x" * 300)), "path too long (at most 255 bytes per name")
      for cmd in ("run", "compare", "contract")],
    ("run --out path too long in all", lambda t: _out("run", t.joinpath(*["y" * 200] * 25)), "4096 in all"),
    ("run --out is a symlink loop", lambda t: _out("run", _loop(t / "o")), "a dangling symbolic link or a symlink loop"),
    ("run --out not writable", lambda t: _out("run", Path("/sys/welfare-pathways-test")),  # even for root
     "--out /sys/welfare-pathways-test: cannot write there"),
    # --scheduler
    ("--scheduler tls:// without certificates", lambda t: [*_out("sweep", t / "out"), "--scheduler", "tls://127.0.0.1:9"],
     "--scheduler tls://127.0.0.1:9: TLS needs this client's certificate"),
    # the output directory's manifest
    ("manifest is a list", lambda t: _manifest(t, "[1, 2]"), "manifest.json: not a welfare-pathways manifest"),
    ("manifest is a string", lambda t: _manifest(t, '"spec"'), "manifest.json: not a welfare-pathways manifest"),
    ("manifest spec is a number", lambda t: _manifest(t, json.dumps({"spec": 3, "spec_sha256": "x"})),
     "manifest.json: not a welfare-pathways manifest"),
    ("manifest not UTF-8", lambda t: _manifest(t, b"\xff{"), "manifest.json: unreadable manifest"),
]


@pytest.fixture
def no_hang():
    """Fail (instead of hanging the suite) if a command blocks, e.g. on a FIFO."""
    def timeout(signum, frame):
        raise TimeoutError("the command hung")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="FIFOs, symlink loops and sysfs as on Linux")
@pytest.mark.parametrize("case, argv, message", CASES, ids=[c[0] for c in CASES])
def test_malformed_input_exits_2_naming_what_is_wrong(case, argv, message, tmp_path, capsys, no_hang):
    args = argv(tmp_path)
    try:
        code = main(args)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert message in err.strip().splitlines()[-1]  # one line (after argparse's usage, for a flag)
