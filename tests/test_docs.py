"""What the README and docs/cli.md tell a newcomer to type works as written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def code_lines(path: Path, language: str = "bash") -> list[str]:
    """Command lines (comments and continuations joined away) of ``language`` code blocks."""
    blocks = re.findall(rf"```{language}\n(.*?)```", path.read_text(), flags=re.S)
    text = "\n".join(blocks).replace("\\\n", " ")
    return [line.split("#")[0].strip() for line in text.splitlines() if line.split("#")[0].strip()]


def test_readme_commands_run_from_a_fresh_checkout():
    """The bare `welfare-pathways` is not on PATH after ./dev: the README's commands use
    ./dev run (and the text says how to get welfare-pathways on PATH)."""
    lines = code_lines(ROOT / "README.md")
    assert lines
    bare = [line for line in lines if shlex.split(line)[0] == "welfare-pathways"]
    assert not bare, bare
    assert "source .venv/bin/activate" in (ROOT / "README.md").read_text()


def test_dask_examples_bind_to_loopback_or_a_private_interface_and_warn_about_the_protocol():
    """`dask scheduler` alone listens on all interfaces with an unauthenticated, pickle-based
    protocol: no example may start it that way, and the first binds to loopback."""
    cli = ROOT / "docs" / "cli.md"
    lines = [line for line in code_lines(cli) if line.startswith("dask ")]
    schedulers = [line for line in lines if line.startswith("dask scheduler")]
    assert schedulers and "--host 127.0.0.1" in schedulers[0]
    for line in schedulers:
        assert "--host" in line or "--interface" in line, line
        assert "--dashboard-address 127.0.0.1:" in line or "--no-dashboard" in line, line
    for line in lines:
        if line.startswith("dask worker"):
            assert "--host" in line or "--interface" in line or "127.0.0.1" in line, line
    text = cli.read_text()
    assert "pickle" in text and "--protocol tls" in text and "https://distributed.dask.org/en/stable/tls.html" in text
    readme = (ROOT / "README.md").read_text()
    assert "--host 127.0.0.1" in readme and "./dev app --host 0.0.0.0" in readme
