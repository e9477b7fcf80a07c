"""./dev: what it runs, checked with a stand-in for the tools it calls (no server started)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def dev(tmp_path):
    """A copy of ./dev whose environment is ready and whose solara prints its arguments."""
    shutil.copy(ROOT / "dev", tmp_path / "dev")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(sys.executable)
    digest = hashlib.sha1((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:12]
    (tmp_path / ".venv" / f".installed-{digest}-app,test").touch()
    solara = bin_dir / "solara"
    solara.write_text('#!/bin/sh\necho "solara $*"\n')
    solara.chmod(0o755)

    def run(*args: str, **env: str) -> str:
        done = subprocess.run(["bash", str(tmp_path / "dev"), *args], capture_output=True, text=True, timeout=60,
                              env={**os.environ, **env})
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    return run


def test_dev_app_listens_on_loopback_only_even_when_host_is_set(dev):
    """Solara honours $HOST; the dashboard must not be exposed by accident."""
    assert dev("app", HOST="0.0.0.0") == "solara run app.py --no-check-version --host 127.0.0.1"
    assert dev("app", "--port", "9000") == "solara run app.py --no-check-version --host 127.0.0.1 --port 9000"


@pytest.mark.parametrize("args", [["--host", "0.0.0.0"], ["--host=10.1.2.3"]])
def test_dev_app_exposes_the_dashboard_only_when_asked(dev, args):
    assert dev("app", *args) == f"solara run app.py --no-check-version {' '.join(args)}"
