"""Run start-up: what a run's fresh process spends loading the code location, before and after
storage is checked once per code-location load instead of in every run's process.

Dagster starts each run in a fresh interpreter that first imports the code location
(`docassets.definitions`). Each figure is the best of `--rounds` such imports, for the embedded
default (SQLite and a folder) and the production setup (PostgreSQL, S3 over HTTP from moto's server):

- before: the code at `--before` (default: `git merge-base main HEAD`), which checked storage in
  every process: `create_all` and an S3 write-and-delete probe;
- run now: a child of a process that loaded the code location, as a run is a child of the code
  location's server: it inherits the check;
- code-location load now: the server's own load, which checks storage (the schema revision, the
  blob store's probe).

A second table times the storage work alone, repeated in one process: what each run's process did
before (`verify_storage`: `create_all` and the blob store's probe) and what it does now (the schema
revision check on the tables' first use). Whole imports on a busy host vary by more than the
storage work; the second table shows what the change saves without that noise.

    .venv/bin/python benchmarks/run_startup.py          # 5 rounds
    .venv/bin/python benchmarks/run_startup.py --quick  # 2 rounds
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tarfile
import tempfile
import uuid
from io import BytesIO
from pathlib import Path

import boto3
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Times `rounds` fresh imports of the code location; with `parent` it first loads it itself, so the
# children inherit what the load leaves in the environment, as Dagster's run workers do.
TIMER = """
import json, resource, subprocess, sys, time
rounds, parent = int(sys.argv[1]), sys.argv[2] == "parent"
if parent:
    import docassets.definitions
def cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
times = []
for _ in range(rounds):
    started, cpu_started = time.perf_counter(), cpu()
    subprocess.run([sys.executable, "-c", "import docassets.definitions"], check=True)
    times.append((time.perf_counter() - started, cpu() - cpu_started))
print(json.dumps(times))
"""

# The storage work itself, repeated in one process after a first call (imports, a fresh database's
# schema): before, each run's process did `verify_storage`; now it does only the schema revision
# check on the tables' first use (`DatabaseResource`).
CHECK = """
import json, sys, time
from docassets.settings import Settings
settings = Settings.from_env()
if sys.argv[1] == "before":
    from docassets.preflight import verify_storage
    check = lambda: verify_storage(settings)
else:
    from docassets.storage.tables import TableStore
    def check():
        store = TableStore(settings.database_url)
        store.ensure_schema()
        store.engine.dispose()
check()
times = []
for _ in range(int(sys.argv[2])):
    wall, cpu = time.perf_counter(), time.process_time()
    check()
    times.append((time.perf_counter() - wall, time.process_time() - cpu))
print(json.dumps(times))
"""


def best_check(env: dict[str, str], which: str, rounds: int, tree: Path | None = None) -> tuple[float, float]:
    """Best wall and CPU seconds of the storage work a run's process does, `rounds` times."""
    env = {**env, **({"PYTHONPATH": str(tree)} if tree else {})}
    result = subprocess.run(
        [str(PYTHON), "-c", CHECK, which, str(rounds)],
        env=env,
        cwd=tree or ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    measured = json.loads(result.stdout.splitlines()[-1])
    return min(wall for wall, _ in measured), min(cpu for _, cpu in measured)


def old_tree(ref: str, folder: Path) -> Path:
    """The `docassets` package as it was at `ref`, importable from `folder`."""
    archive = subprocess.run(
        ["git", "archive", ref, "docassets"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def best_import(
    env: dict[str, str], rounds: int, *, parent: bool, tree: Path | None = None
) -> tuple[float, float]:
    """Best wall and best CPU seconds (the child's user + system) of `rounds` fresh imports."""
    env = {**env, **({"PYTHONPATH": str(tree)} if tree else {})}
    env.pop("DOCASSETS_STORAGE_VERIFIED", None)
    result = subprocess.run(
        [str(PYTHON), "-c", TIMER, str(rounds), "parent" if parent else "fresh"],
        env=env,
        cwd=tree or ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    rounds_measured = json.loads(result.stdout.splitlines()[-1])
    return min(wall for wall, _ in rounds_measured), min(cpu for _, cpu in rounds_measured)


def environment(kind: str, home: Path, admin: sa.Engine, s3_url: str) -> dict[str, str]:
    """The variables of a configuration with a fresh home (and for production a fresh database and bucket)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCASSETS_", "AWS_"))}
    env["DOCASSETS_HOME"] = str(home)
    if kind == "embedded":
        return env
    database = f"docassets_startup_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{database}"'))
    credentials = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}
    bucket = f"startup-{uuid.uuid4().hex[:8]}"
    boto3.client(
        "s3", endpoint_url=s3_url, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    ).create_bucket(Bucket=bucket)
    return {
        **env,
        **credentials,
        "AWS_ENDPOINT_URL": s3_url,
        "DOCASSETS_S3_BUCKET": bucket,
        "DOCASSETS_DATABASE_URL": admin.url.set(database=database).render_as_string(hide_password=False),
    }


CONFIGURATIONS = {"embedded": "embedded (SQLite, folder)", "production": "production (PostgreSQL, S3)"}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--before", default="", help="the commit to compare with (default: where HEAD left main)"
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2 rounds")
    arguments = parser.parse_args()
    rounds = 2 if arguments.quick else arguments.rounds

    from moto.server import ThreadedMotoServer

    admin = sa.create_engine(
        os.environ.get("DOCASSETS_TEST_DATABASE_URL", DEFAULT_ADMIN_URL), isolation_level="AUTOCOMMIT"
    )
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    s3_url = f"http://{host}:{port}"
    before = (
        arguments.before
        or subprocess.run(
            ["git", "merge-base", "main", "HEAD"], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout.strip()[:10]
    )
    try:
        with tempfile.TemporaryDirectory(prefix="docassets-startup-") as folder:
            tmp = Path(folder)
            before_tree = old_tree(before, tmp / "before")
            print(
                f"best of {rounds} fresh imports of the code location, wall / CPU seconds; before = {before}"
            )
            print(f"{'configuration':<28} {'before':>13} {'run now':>13} {'saved':>13} {'load now':>13}")
            checks = {}
            for kind, name in CONFIGURATIONS.items():
                # The old code gets storage of its own: it leaves a schema without a recorded revision.
                before_env = environment(kind, tmp / f"{kind}-before", admin, s3_url)
                now_env = environment(kind, tmp / f"{kind}-now", admin, s3_url)
                old = best_import(before_env, rounds, parent=False, tree=before_tree)
                load = best_import(now_env, rounds, parent=False)
                run = best_import(now_env, rounds, parent=True)
                saved = (old[0] - run[0], old[1] - run[1])
                print(
                    f"{name:<28}"
                    + "".join(f" {wall:>6.2f} / {cpu:<4.2f}" for wall, cpu in (old, run, saved, load))
                )
                checks[name] = (
                    best_check(before_env, "before", 10 * rounds, before_tree),
                    best_check(now_env, "now", 10 * rounds),
                )
            print(f"\nthe storage work in a run's process, best of {10 * rounds}, wall / CPU milliseconds")
            print(f"{'configuration':<28} {'before':>13} {'now':>13}")
            for name, (old, now) in checks.items():
                print(
                    f"{name:<28}"
                    + "".join(f" {1000 * wall:>6.1f} / {1000 * cpu:<5.1f}" for wall, cpu in (old, now))
                )
    finally:
        server.stop()
        with admin.connect() as connection:
            for (database,) in connection.execute(
                sa.text("SELECT datname FROM pg_database WHERE datname LIKE 'docassets_startup_%'")
            ):
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
