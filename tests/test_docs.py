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
