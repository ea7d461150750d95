"""Real services for the tests: PostgreSQL, an S3 endpoint over HTTP (moto's server), a Dagster instance.

PostgreSQL comes from DOCASSETS_TEST_DATABASE_URL (set by scripts/with-test-postgres.sh, which
`make test` runs); each test session works in a database of its own, dropped at the end.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, sync_playwright

from docassets.settings import Settings

if TYPE_CHECKING:
    from moto.server import ThreadedMotoServer

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
DEFAULT_TEST_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def sample(name: str) -> Path:
    return SAMPLES / name


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[sa.Engine]:
    admin_url = sa.make_url(os.environ.get("DOCASSETS_TEST_DATABASE_URL", DEFAULT_TEST_DATABASE))
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    yield admin
    admin.dispose()


def _fresh_database(admin: sa.Engine) -> Iterator[str]:
    """A new database on the real PostgreSQL server, dropped afterwards."""
    name = f"docassets_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield admin.url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_url(postgres_admin: sa.Engine) -> Iterator[str]:
    yield from _fresh_database(postgres_admin)


@pytest.fixture
def own_postgres_url(postgres_admin: sa.Engine) -> Iterator[str]:
    """A database of the test's own, so no other test's documents are owed runs in it."""
    yield from _fresh_database(postgres_admin)


class S3Server:
    """moto's S3 server on a fixed loopback port, which a test may stop and start again (moto keeps
    its buckets in this process, so they survive the outage)."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: ThreadedMotoServer | None = None

    def start(self) -> None:
        from moto.server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """Real HTTP requests, signed like AWS's."""
    server = S3Server()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_endpoint(s3_server: S3Server) -> str:
    return s3_server.url


@pytest.fixture(scope="session")
def aws_environment(s3_endpoint: str) -> Iterator[None]:
    """boto3 reads these itself: the same variables a MinIO or AWS deployment sets."""
    values = {
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def new_bucket(endpoint: str) -> str:
    name = f"docassets-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=name)
    return name


CHROMIUM = "/usr/bin/chromium"  # Debian's package (scripts/ensure-system-packages.sh installs it)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (no browser download)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """$DOCASSETS_SCREENSHOTS (docs/screenshots for the README's pictures), else a temporary folder."""
    folder = Path(os.environ.get("DOCASSETS_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def embedded_settings(tmp_path: Path) -> Settings:
    """The embedded default: no variables set, everything under a local folder."""
    return Settings.from_env({"DOCASSETS_HOME": str(tmp_path / "home"), "DOCASSETS_OCR_WORKERS": "2"})


@pytest.fixture
def production_settings(
    tmp_path: Path,
    own_postgres_url: str,
    aws_environment: None,
    s3_endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Settings:
    """S3 over HTTP plus the real PostgreSQL, configured through environment variables."""
    monkeypatch.setenv("DOCASSETS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DOCASSETS_S3_BUCKET", new_bucket(s3_endpoint))
    monkeypatch.setenv("DOCASSETS_S3_PREFIX", "matters")
    monkeypatch.setenv("DOCASSETS_DATABASE_URL", own_postgres_url)
    monkeypatch.setenv("DOCASSETS_OCR_WORKERS", "2")
    return Settings.from_env()


@pytest.fixture(params=["embedded", "production"])
def settings(request: pytest.FixtureRequest) -> Settings:
    """Each pipeline test runs against both configurations."""
    return request.getfixturevalue(f"{request.param}_settings")


@pytest.fixture(scope="session")
def sqlite_matter(tmp_path_factory: pytest.TempPathFactory):
    """A small matter of real filings processed once, in the embedded default (SQLite FTS5)."""
    from .search_matter import matter_files, process_matter

    folder = tmp_path_factory.mktemp("sqlite-matter")
    return process_matter("sqlite", folder / "home", matter_files(folder))


@pytest.fixture(scope="session")
def postgres_matter(tmp_path_factory: pytest.TempPathFactory, postgres_admin: sa.Engine):
    """The same matter processed with its tables in PostgreSQL (tsvector + GIN)."""
    from .search_matter import matter_files, process_matter

    folder = tmp_path_factory.mktemp("postgres-matter")
    for url in _fresh_database(postgres_admin):
        yield process_matter("postgresql", folder / "home", matter_files(folder), url)


@pytest.fixture(params=["sqlite", "postgresql"])
def matter(request: pytest.FixtureRequest):
    """Each search test runs against both engines."""
    return request.getfixturevalue(f"{'postgres' if request.param == 'postgresql' else 'sqlite'}_matter")
