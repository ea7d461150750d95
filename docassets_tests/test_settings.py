"""Configuration mistakes stop the start-up with the setting's name, never at the tenth document."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from docassets.settings import ConfigurationError, Settings

ROOT = Path(__file__).resolve().parent.parent


def test_no_variables_gives_the_embedded_default(tmp_path):
    settings = Settings.from_env({"DOCASSETS_HOME": str(tmp_path)})
    assert settings.s3_bucket is None
    assert settings.database_url == f"sqlite:///{tmp_path / 'docassets.db'}"
    assert settings.blob_root == tmp_path / "blobs"


@pytest.mark.parametrize(
    "url, named",
    [
        ("postgresql://:5432/db", "has no host name"),
        ("postgresql://postgres@localhost:5432", "names no database"),
        ("mysql://root@localhost/db", "only postgresql and sqlite"),
        ("-U postgres", "is not a database URL"),
    ],
)
def test_a_malformed_database_url_names_the_setting(url, named):
    with pytest.raises(ConfigurationError) as raised:
        Settings.from_env({"DOCASSETS_DATABASE_URL": url})
    assert "DOCASSETS_DATABASE_URL" in str(raised.value)
    assert named in str(raised.value)


def test_a_database_password_never_appears_in_the_message():
    with pytest.raises(ConfigurationError) as raised:
        Settings.from_env({"DOCASSETS_DATABASE_URL": "postgresql://lawyer:s3cret-pw@:5432/matters"})
    assert "s3cret-pw" not in str(raised.value)


def test_plain_postgresql_urls_use_the_psycopg_driver():
    settings = Settings.from_env({"DOCASSETS_DATABASE_URL": "postgresql://postgres@db.internal:5432/docs"})
    assert settings.database_url.startswith("postgresql+psycopg://")


@pytest.mark.parametrize(
    "variable, value",
    [
        ("DOCASSETS_S3_BUCKET", "Matters/2024"),
        ("DOCASSETS_OCR_WORKERS", "two"),
        ("DOCASSETS_OCR_WORKERS", "0"),
    ],
)
def test_other_malformed_settings_are_named(variable, value):
    with pytest.raises(ConfigurationError, match=variable):
        Settings.from_env({variable: value})


def _load_code_location(environment: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import docassets.definitions"],
        cwd=ROOT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_celery_broker_chooses_its_results_backend_and_a_bad_one_is_named():
    assert Settings.from_env({}).celery_broker_url is None  # the embedded default: steps in-process
    redis = Settings.from_env({"DOCASSETS_CELERY_BROKER_URL": "redis://queue:6379/2"})
    assert (redis.celery_broker_url, redis.celery_backend_url) == (
        "redis://queue:6379/2",
        "redis://queue:6379/2",
    )
    rabbit = Settings.from_env({"DOCASSETS_CELERY_BROKER_URL": "amqp://docs:pw@queue:5672//"})
    assert rabbit.celery_backend_url == "rpc://"
    with pytest.raises(ConfigurationError) as raised:
        Settings.from_env({"DOCASSETS_CELERY_BROKER_URL": "http://docs:secret@queue:6379"})
    assert "DOCASSETS_CELERY_BROKER_URL=http://docs:***@queue:6379 is no broker URL" in str(raised.value)
    with pytest.raises(ConfigurationError, match="without DOCASSETS_CELERY_BROKER_URL"):
        Settings.from_env({"DOCASSETS_CELERY_BACKEND_URL": "redis://queue:6379/3"})


def test_the_code_location_refuses_to_load_with_an_empty_database_host(tmp_path):
    loaded = _load_code_location(
        {"DOCASSETS_HOME": str(tmp_path), "DOCASSETS_DATABASE_URL": "postgresql://:5432/db"}
    )
    assert loaded.returncode != 0
    assert "DOCASSETS_DATABASE_URL=postgresql://:5432/db has no host name" in loaded.stderr


def test_the_code_location_refuses_to_load_when_the_database_is_unreachable(tmp_path):
    unreachable = "postgresql://postgres@127.0.0.1:1/docs"  # nothing listens on port 1
    loaded = _load_code_location({"DOCASSETS_HOME": str(tmp_path), "DOCASSETS_DATABASE_URL": unreachable})
    assert loaded.returncode != 0
    assert (
        "DOCASSETS_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:1/docs: cannot use the database"
        in loaded.stderr
    )
