"""The lock (constraints.txt, which `make` installs from) agrees with pyproject.toml's pins."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    """The requirement's project name, PEP 503 normalized as in constraints.txt."""
    return re.sub(r"[-_.]+", "-", re.split(r"[\[=<>~! ;]", requirement, maxsplit=1)[0]).lower()


def test_every_pinned_dependency_is_locked_at_its_pin():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = [
        *project["dependencies"],
        *(r for extra in project["optional-dependencies"].values() for r in extra),
    ]
    locked = dict(
        line.split("==")
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if line and not line.startswith("#")
    )
    stale = [pin for pin in pins if locked.get(_name(pin)) != pin.split("==")[1].split(";")[0].strip()]
    assert not stale, f"constraints.txt is stale for {stale}: run `make lock`"
