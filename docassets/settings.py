"""docassets' configuration: read once from the environment at start-up and validated there.

A mistake (an empty host, an unknown scheme, a non-number where a number belongs) raises
`ConfigurationError` naming the variable, so it surfaces when the code location loads rather than
at the tenth document. Secrets (database passwords) never appear in any message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_HOME = ".docassets"
DOCUMENTS_PER_RUN = 25  # most documents in one run of the per-document stages (docassets/defs/batching.py)
# Larger files (a scanned production: ~2 MB a page) run alone, in the "large" lane (batching.py).
LARGE_DOCUMENT_MB = 50
# A letter page at 300 dpi is 8.4 megapixels and an E-size drawing (34 x 44 in) 135; MuPDF holds a
# rendered page in memory (one byte a pixel in grey), so 150 keeps any one page under ~150 MB.
MAX_PAGE_MEGAPIXELS = 150
# Tesseract reads a dense 300 dpi page in 1-3 s on one core (twice that with an orientation
# check); two minutes means the page is pathological, not slow.
OCR_TIMEOUT_SECONDS = 120
# "scheme://user:password@host...": the password is everything up to the *last* "@", so a raw "@"
# inside it is masked too.
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"]+")
_URL_PASSWORD = re.compile(r"^(?P<head>[^:/]+://[^:/@]*:)(?P<password>.*)(?P<tail>@[^@]*)$", re.DOTALL)


class ConfigurationError(ValueError):
    """A setting is missing or malformed; the message names the variable and the fix."""


@dataclass(frozen=True)
class Settings:
    home: Path  # local folder for the embedded default: blobs, SQLite file, Dagster instance
    s3_bucket: str | None  # None: blobs live in `home/blobs`
    s3_prefix: str
    s3_region: str | None
    s3_endpoint_url: str | None  # None: AWS's endpoint for the region
    aws_profile: str | None  # None: boto3's default credentials chain
    database_url: str  # SQLAlchemy URL; SQLite in `home` when DOCASSETS_DATABASE_URL is unset
    database_url_from_env: bool
    ocr_workers: int
    documents_per_run: int
    max_document_mb: int
    large_document_mb: int
    max_page_megapixels: int
    ocr_timeout_seconds: int
    chunk_max_tokens: int
    chunk_overlap: int
    # Steps on Celery workers when set (see docassets/distributed.py); None: in the run's process.
    celery_broker_url: str | None = None
    celery_backend_url: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = Path(env.get("DOCASSETS_HOME") or DEFAULT_HOME).expanduser().resolve()
        raw_url = env.get("DOCASSETS_DATABASE_URL", "").strip()
        database_url = validated_database_url(raw_url) if raw_url else f"sqlite:///{home / 'docassets.db'}"
        return cls(
            home=home,
            s3_bucket=_bucket(env.get("DOCASSETS_S3_BUCKET", "").strip()),
            s3_prefix=env.get("DOCASSETS_S3_PREFIX", "").strip().strip("/"),
            s3_region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
            s3_endpoint_url=env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or None,
            aws_profile=env.get("AWS_PROFILE") or None,
            database_url=database_url,
            database_url_from_env=bool(raw_url),
            ocr_workers=_positive_int(env, "DOCASSETS_OCR_WORKERS", os.cpu_count() or 1),
            documents_per_run=_positive_int(env, "DOCASSETS_DOCUMENTS_PER_RUN", DOCUMENTS_PER_RUN),
            max_document_mb=_positive_int(env, "DOCASSETS_MAX_DOCUMENT_MB", 2048),
            large_document_mb=_positive_int(env, "DOCASSETS_LARGE_DOCUMENT_MB", LARGE_DOCUMENT_MB),
            max_page_megapixels=_positive_int(env, "DOCASSETS_MAX_PAGE_MEGAPIXELS", MAX_PAGE_MEGAPIXELS),
            ocr_timeout_seconds=_positive_int(env, "DOCASSETS_OCR_TIMEOUT_SECONDS", OCR_TIMEOUT_SECONDS),
            chunk_max_tokens=_positive_int(env, "DOCASSETS_CHUNK_MAX_TOKENS", 400),
            chunk_overlap=_non_negative_int(env, "DOCASSETS_CHUNK_OVERLAP", 40),
            **_celery_urls(env),
        )

    @property
    def blob_root(self) -> Path:
        return self.home / "blobs"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def database_display(self) -> str:
        """The database URL with any password masked, for logs and metadata."""
        return masked_url(self.database_url)


def masked_url(raw: str) -> str:
    """A URL with its password replaced by "***", however many "@" the password holds."""
    return _URL_PASSWORD.sub(r"\g<head>***\g<tail>", raw)


def masked_urls(text: str) -> str:
    """A message with every URL in it masked (`masked_url`), for errors that quote a setting."""
    return _URL_IN_TEXT.sub(lambda match: masked_url(match.group()), text)


def validated_database_url(raw: str, variable: str = "DOCASSETS_DATABASE_URL") -> str:
    """Check a database URL's shape and pin PostgreSQL to the psycopg 3 driver."""
    try:
        url: URL = make_url(raw)
    except ArgumentError:
        raise ConfigurationError(
            f"{variable} is not a database URL; expected postgresql+psycopg://USER@HOST:5432/DB "
            "or sqlite:///PATH"
        ) from None
    shown = masked_url(raw)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return raw
    if backend != "postgresql":
        raise ConfigurationError(f"{variable}={shown}: only postgresql and sqlite are supported")
    if url.host and "@" in url.host:
        raise ConfigurationError(
            f"{variable}={shown}: the password holds a raw '@'; write it percent-encoded, as %40"
        )
    if not url.host:
        raise ConfigurationError(
            f"{variable}={shown} has no host name; set it to postgresql+psycopg://USER@HOST:5432/DB"
        )
    if not url.database:
        raise ConfigurationError(f"{variable}={shown} names no database; add /DBNAME at the end")
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


CELERY_SCHEMES = ("redis", "rediss", "amqp", "amqps", "pyamqp")


def _celery_urls(env: Mapping[str, str]) -> dict[str, str | None]:
    """The broker and the results backend: Redis keeps results in the broker's server, RabbitMQ
    sends them back over its own connection (`rpc://`)."""
    broker = env.get("DOCASSETS_CELERY_BROKER_URL", "").strip() or None
    backend = env.get("DOCASSETS_CELERY_BACKEND_URL", "").strip() or None
    if broker is None:
        if backend:
            raise ConfigurationError(
                "DOCASSETS_CELERY_BACKEND_URL is set without DOCASSETS_CELERY_BROKER_URL"
            )
        return {}
    if broker.split("://")[0] not in CELERY_SCHEMES or "://" not in broker:
        raise ConfigurationError(
            f"DOCASSETS_CELERY_BROKER_URL={masked_url(broker)} is no broker URL; "
            "expected redis://HOST:6379/0 or amqp://USER@HOST:5672//"
        )
    default_backend = broker if broker.startswith(("redis://", "rediss://")) else "rpc://"
    return {"celery_broker_url": broker, "celery_backend_url": backend or default_backend}


def _bucket(name: str) -> str | None:
    if not name:
        return None
    if "/" in name or name != name.lower() or not 3 <= len(name) <= 63:
        raise ConfigurationError(
            f"DOCASSETS_S3_BUCKET={name!r} is not a bucket name (3-63 lower-case characters, no '/'); "
            "put key prefixes in DOCASSETS_S3_PREFIX"
        )
    return name


def _positive_int(env: Mapping[str, str], variable: str, default: int) -> int:
    value = _int(env, variable, default)
    if value < 1:
        raise ConfigurationError(f"{variable}={value} must be at least 1")
    return value


def _non_negative_int(env: Mapping[str, str], variable: str, default: int) -> int:
    value = _int(env, variable, default)
    if value < 0:
        raise ConfigurationError(f"{variable}={value} must not be negative")
    return value


def _int(env: Mapping[str, str], variable: str, default: int) -> int:
    raw = env.get(variable, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{variable}={raw!r} is not a whole number") from None
