"""Write constraints.txt: the exact version of every package, direct and transitive, that
`pip install -e ".[test,bench,lint]"` resolves today; `make` installs with `-c constraints.txt`, so
two fresh machines get the same versions. Refresh it with `make lock` after changing pyproject.toml."""

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXTRAS = "test,bench,lint"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--dry-run",
                "--ignore-installed",
                "--report",
                str(report),
                "-e",
                f".[{EXTRAS}]",
            ],
            cwd=ROOT,
            check=True,
        )
        resolved = json.loads(report.read_text())["install"]
    names = {
        re.sub(r"[-_.]+", "-", item["metadata"]["name"]).lower(): item["metadata"]["version"]
        for item in resolved
    }  # PEP 503 names
    pins = sorted(f"{name}=={version}" for name, version in names.items() if name != "docassets")
    header = (
        "# Every package docassets installs, at the version pip resolved (scripts/lock.py).\n"
        f"# Python {sys.version_info.major}.{sys.version_info.minor} on Linux. Refresh: make lock\n"
    )
    (ROOT / "constraints.txt").write_text(header + "\n".join(pins) + "\n")
    print(f"constraints.txt: {len(pins)} packages")


if __name__ == "__main__":
    main()
