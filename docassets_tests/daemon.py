"""A real dagster-daemon for tests and benchmarks, started the one way they all need."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"


def start_daemon(env: dict[str, str], root: Path = ROOT) -> subprocess.Popen:
    """A dagster-daemon over `root`'s workspace, in a session of its own (so a caller can stop it
    and every process it started). Its output goes to `daemon_log(env)`."""
    with daemon_log(env).open("ab") as log:
        return subprocess.Popen(
            [str(BIN / "dagster-daemon"), "run", "-w", str(root / "workspace.yaml")],
            env=env,
            cwd=root,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def daemon_log(env: dict[str, str]) -> Path:
    """Beside DAGSTER_HOME, which some tests remove when they end."""
    return Path(env["DAGSTER_HOME"]).parent / "dagster-daemon.log"
