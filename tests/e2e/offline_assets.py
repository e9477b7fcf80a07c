"""Build a Solara CDN cache folder that works with no internet.

Solara's browser code asks the server for ``/_solara/cdn/<npm package>@<version>/...``
and the server looks the file up in ``SOLARA_ASSETS_PROXY_CACHE_DIR`` (default
``<venv>/share/solara/cdn``, filled by ``pip install solara-assets``); on a miss it
tries to download it from a public CDN, which fails here.

``solara-assets`` ships exact versions only, but some widgets ask for semver ranges
(altair/vega charts ask for ``vega@5``, ``vega-lite@5``, ``vega-embed@6``) or for
packages it does not ship (``solara.Markdown`` asks for ``katex@0.16.9``). This module
makes a folder of symlinks to the installed assets plus aliases for those ranges, and,
when ``npm`` is available, unpacks katex into it (best effort, from the npm registry).

Usage::

    python tests/e2e/offline_assets.py /some/dir   # prints the dir; then
    export SOLARA_ASSETS_PROXY_CACHE_DIR=/some/dir  # before starting `solara run`
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

# range asked for by solara's widgets -> exact version shipped by solara-assets 1.58.2
RANGE_ALIASES = {
    "vega@5": "vega@",
    "vega-lite@5": "vega-lite@",
    "vega-embed@6": "vega-embed@",
}
# packages not shipped by solara-assets, fetched with `npm pack` when npm exists
NPM_EXTRAS = ["katex@0.16.9"]


def installed_assets_dir() -> Path:
    """Where solara-assets put its files (or the user's own cache dir, if set)."""
    env = os.environ.get("SOLARA_ASSETS_PROXY_CACHE_DIR")
    if env:
        return Path(env)
    return Path(sys.prefix) / "share" / "solara" / "cdn"


def required_vuetify_app() -> str | None:
    """The exact '@widgetti/solara-vuetify-app@X.Y.Z' the installed solara's page loads."""
    spec = importlib.util.find_spec("solara")
    if spec is None or not spec.submodule_search_locations:
        return None
    template = Path(next(iter(spec.submodule_search_locations))) / "server" / "templates" / "solara.html.j2"
    try:
        text = template.read_text()
    except OSError:
        return None
    m = re.search(r"@widgetti/solara-vuetify-app@([0-9][^/\"]*)/", text)
    return f"@widgetti/solara-vuetify-app@{m.group(1)}" if m else None


def check_assets(source: Path) -> str | None:
    """Return an error message if the assets cannot serve this solara's page offline."""
    if not source.is_dir():
        return (
            f"no Solara offline assets at {source}: `pip install solara-assets` "
            "(the page stays blank without them when there is no internet)"
        )
    needed = required_vuetify_app()
    if needed and not (source / needed).is_dir():
        return (
            f"installed solara asks for {needed}, which is not in {source}; "
            "solara-assets (last release 1.58.2) does not ship it: pin solara to a "
            "version whose template loads a shipped version, and ipyvue<3 / ipyvuetify<3"
        )
    return None


def _npm_pack(spec: str, dest: Path, timeout: float = 120) -> bool:
    npm = shutil.which("npm")
    if npm is None:
        return False
    with tempfile.TemporaryDirectory() as tmp:
        try:
            out = subprocess.run(
                [npm, "pack", spec, "--silent"],
                check=False,
                cwd=tmp,
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
        tgz = [p for p in Path(tmp).glob("*.tgz")]
        if out.returncode != 0 or not tgz:
            return False
        with tarfile.open(tgz[0]) as tar:
            try:
                tar.extractall(tmp, filter="data")
            except TypeError:  # Python without extraction filters
                tar.extractall(tmp)
        try:
            shutil.move(str(Path(tmp) / "package"), str(dest))
        except OSError:  # a concurrent run got there first
            return dest.exists()
    return True


def prepare_cdn_cache(target: Path, source: Path | None = None, npm_extras: bool = True) -> Path:
    """Fill ``target`` with symlinks to ``source`` plus range aliases (and npm extras)."""
    source = Path(source) if source else installed_assets_dir()
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    if source.resolve() != target.resolve():
        for entry in source.iterdir():
            link = target / entry.name
            if not link.exists() and not link.is_symlink():
                try:
                    link.symlink_to(entry.resolve(), target_is_directory=entry.is_dir())
                except FileExistsError:  # a concurrent run made it
                    pass
    for alias, prefix in RANGE_ALIASES.items():
        link = target / alias
        if link.exists():
            continue
        candidates = sorted(p.name for p in target.iterdir() if p.name.startswith(prefix) and p.name != alias)
        major = alias.split("@")[1]
        candidates = [c for c in candidates if c[len(prefix):].split(".")[0] == major]
        if candidates:
            try:
                if link.is_symlink():  # dangling: its target went away
                    link.unlink()
                link.symlink_to(candidates[-1], target_is_directory=True)
            except FileExistsError:  # a concurrent run made it
                pass
    if npm_extras:
        for spec in NPM_EXTRAS:
            dest = target / spec
            if not dest.exists():
                _npm_pack(spec, dest)
    return target


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/e2e/offline_assets.py TARGET_DIR")
    problem = check_assets(installed_assets_dir())
    if problem:
        sys.exit(problem)
    print(prepare_cdn_cache(Path(sys.argv[1])))
