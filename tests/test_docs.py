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


#: The ODD protocol's elements and design concepts, in the protocol's order (Grimm et al.
#: 2020, JASSS 23(2) 7, https://www.jasss.org/23/2/7.html).
ODD_SECTIONS = (
    "Purpose and patterns", "Entities, state variables, and scales", "Process overview and scheduling",
    "Design concepts", "Basic principles", "Emergence", "Adaptation", "Objectives", "Learning", "Prediction",
    "Sensing", "Interaction", "Stochasticity", "Collectives", "Observation",
    "Initialization", "Input data", "Submodels",
)


def _norm(text: str) -> str:
    return re.sub(r"[^a-z ]", "", text.lower()).strip()


def test_odd_has_every_element_in_order():
    """docs/odd.md has a heading for every ODD element and design concept, in ODD's order."""
    text = (ROOT / "docs" / "odd.md").read_text()
    headings = [_norm(h) for h in re.findall(r"^#{2,4}\s+(.+)$", text, flags=re.M)]
    position = {}
    for section in ODD_SECTIONS:
        hits = [i for i, h in enumerate(headings) if _norm(section) in h]
        assert hits, f"docs/odd.md has no heading for the ODD element {section!r}"
        position[section] = hits[0]
    order = [position[s] for s in ODD_SECTIONS]
    assert order == sorted(order), f"ODD elements out of order: {sorted(ODD_SECTIONS, key=position.get)}"


def test_odd_names_only_files_that_exist_and_is_linked():
    """Every repository path (`model/xxx.py`, `agents/...`, `runs/...`, `tests/...`, `docs/...`)
    and every relative link in docs/odd.md exists; README and docs/architecture.md link it."""
    text = (ROOT / "docs" / "odd.md").read_text()
    paths = set(re.findall(r"(?<![\w./-])((?:agents|model|runs|tests|docs)/[\w./-]*\w\.(?:py|toml|md|json))",
                           text))
    assert any(p.startswith("model/") for p in paths)
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert not missing, f"docs/odd.md names files that do not exist: {missing}"
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    local = [link.split("#")[0] for link in links if not re.match(r"[a-z]+:", link) and link.split("#")[0]]
    broken = sorted(link for link in local if not (ROOT / "docs" / link).exists())
    assert not broken, f"docs/odd.md links to missing files: {broken}"
    assert "../shared" not in text
    assert "(docs/odd.md)" in (ROOT / "README.md").read_text()
    assert "(odd.md)" in (ROOT / "docs" / "architecture.md").read_text()
