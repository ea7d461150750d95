"""Where documents and large results live: an S3 bucket, or a local folder for the embedded default.

Both stores stream: uploads and downloads go file-to-object in chunks, so a 600 MB production
never sits in memory. Listing is paged with `start_after` so a sensor can resume across ticks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol
from urllib.parse import quote

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

log = logging.getLogger(__name__)

# Multipart above 64 MB keeps large productions resumable part by part and memory flat.
TRANSFER = TransferConfig(multipart_threshold=64 * 2**20, multipart_chunksize=64 * 2**20)
# The S3 client's attempts per request, in boto3's standard retry mode: it backs off on throttling
# and 5xx; permanent errors (403, 404) are not retried.
S3_MAX_ATTEMPTS = 8


class BlobStoreError(RuntimeError):
    """The blob store is unreachable or refuses an operation; the message names the fix."""


@dataclass(frozen=True)
class BlobInfo:
    key: str
    size: int
    etag: str


@dataclass(frozen=True)
class BlobHead:
    size: int
    etag: str
    metadata: dict[str, str] = field(default_factory=dict)


class BlobStore(Protocol):
    location: str  # for people: "s3://bucket/prefix" or a folder path

    def put_file(
        self,
        key: str,
        path: Path,
        metadata: Mapping[str, str] | None = None,
        on_bytes: Callable[[int], None] | None = None,
    ) -> None: ...
    def put_bytes(self, key: str, data: bytes, metadata: Mapping[str, str] | None = None) -> None: ...
    def get_bytes(self, key: str) -> bytes: ...
    def download(self, key: str, path: Path) -> None: ...
    def head(self, key: str) -> BlobHead | None: ...
    def list(self, prefix: str, *, start_after: str = "", limit: int = 1000) -> list[BlobInfo]: ...
    def delete(self, key: str) -> None: ...
    def check(self) -> None: ...
    def link(self, key: str) -> str: ...  # where a person opens the blob: a file path or an https URL


class LocalBlobStore:
    """Blobs as files under a folder; object metadata in a JSON sidecar beside each file."""

    def __init__(self, root: Path):
        self.root = root
        self.location = str(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise BlobStoreError(f"blob key {key!r} escapes the store folder {self.root}")
        return path

    def _sidecar(self, key: str) -> Path:
        path = self._path(key)
        return path.with_name(f".{path.name}.meta.json")

    def put_file(
        self,
        key: str,
        path: Path,
        metadata: Mapping[str, str] | None = None,
        on_bytes: Callable[[int], None] | None = None,
    ) -> None:
        target = self._path(key)
        partial = target.with_name(f".{target.name}.partial")
        with path.open("rb") as source, _private_file(partial) as copy:
            shutil.copyfileobj(source, copy, 2**20)
        self._write_sidecar(key, metadata)
        os.replace(partial, target)  # readers never see a half-written file
        if on_bytes:
            on_bytes(path.stat().st_size)

    def put_bytes(self, key: str, data: bytes, metadata: Mapping[str, str] | None = None) -> None:
        target = self._path(key)
        partial = target.with_name(f".{target.name}.partial")
        with _private_file(partial) as copy:
            copy.write(data)
        self._write_sidecar(key, metadata)
        os.replace(partial, target)

    def _write_sidecar(self, key: str, metadata: Mapping[str, str] | None) -> None:
        sidecar = self._sidecar(key)
        if metadata:
            with _private_file(sidecar) as file:
                file.write(json.dumps(dict(metadata), sort_keys=True).encode())
        else:
            sidecar.unlink(missing_ok=True)

    def get_bytes(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def download(self, key: str, path: Path) -> None:
        shutil.copyfile(self._path(key), path)

    def head(self, key: str) -> BlobHead | None:
        path = self._path(key)
        if not path.is_file():
            return None
        sidecar = self._sidecar(key)
        metadata = json.loads(sidecar.read_text()) if sidecar.is_file() else {}
        return BlobHead(size=path.stat().st_size, etag=_file_etag(path), metadata=metadata)

    def list(self, prefix: str, *, start_after: str = "", limit: int = 1000) -> list[BlobInfo]:
        base = self._path(prefix) if prefix else self.root
        if not base.is_dir():
            return []
        keys = sorted(
            path.relative_to(self.root).as_posix()
            for path in base.rglob("*")
            if path.is_file() and not path.name.startswith(".")
        )
        found = []
        for key in keys:
            if key > start_after:
                path = self.root / key
                found.append(BlobInfo(key=key, size=path.stat().st_size, etag=_file_etag(path)))
                if len(found) == limit:
                    break
        return found

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
        self._sidecar(key).unlink(missing_ok=True)

    def link(self, key: str) -> str:
        return str(self._path(key).resolve())

    def check(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        probe = self.root / ".docassets-write-probe"
        probe.write_bytes(b"ok")
        probe.unlink()


def _private_file(path: Path) -> BinaryIO:
    """A new file only its owner may read or write (0600), in folders only the owner may list:
    blobs are a matter's documents and results, read only by docassets' own processes."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # an existing file would keep its old mode
    return os.fdopen(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600), "wb")


def _file_etag(path: Path) -> str:
    # Size and modification time identify a version of a local file without reading 600 MB.
    stat = path.stat()
    return hashlib.md5(f"{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()


class S3BlobStore:
    """Blobs in an S3 bucket under an optional prefix; any S3-compatible endpoint works.

    The client comes from `s3_client` (endpoint, region, profile and retries; in the Dagster UI as
    the `blob_store` resource's configuration). boto3 finds the credentials itself.
    """

    def __init__(self, bucket: str, prefix: str = "", *, client: Any):
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.location = f"s3://{bucket}/{self.prefix}"
        self.client = client

    def _key(self, key: str) -> str:
        return self.prefix + key

    def put_file(
        self,
        key: str,
        path: Path,
        metadata: Mapping[str, str] | None = None,
        on_bytes: Callable[[int], None] | None = None,
    ) -> None:
        extra = {"Metadata": dict(metadata)} if metadata else None
        self.client.upload_file(
            str(path), self.bucket, self._key(key), ExtraArgs=extra, Config=TRANSFER, Callback=on_bytes
        )

    def put_bytes(self, key: str, data: bytes, metadata: Mapping[str, str] | None = None) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=self._key(key), Body=data, Metadata=dict(metadata or {})
        )

    def get_bytes(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()

    def download(self, key: str, path: Path) -> None:
        self.client.download_file(self.bucket, self._key(key), str(path), Config=TRANSFER)

    def head(self, key: str) -> BlobHead | None:
        try:
            response = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return BlobHead(
            size=response["ContentLength"],
            etag=response["ETag"].strip('"'),
            metadata=response.get("Metadata", {}),
        )

    def list(self, prefix: str, *, start_after: str = "", limit: int = 1000) -> list[BlobInfo]:
        response = self.client.list_objects_v2(
            Bucket=self.bucket,
            Prefix=self._key(prefix),
            StartAfter=self._key(start_after) if start_after else "",
            MaxKeys=limit,
        )
        return [
            BlobInfo(key=item["Key"][len(self.prefix) :], size=item["Size"], etag=item["ETag"].strip('"'))
            for item in response.get("Contents", [])
        ]

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def link(self, key: str) -> str:
        """The object's path-style URL at the endpoint (it opens for whoever may read the bucket)."""
        return f"{self.client.meta.endpoint_url.rstrip('/')}/{self.bucket}/{quote(self._key(key))}"

    def check(self) -> None:
        """Fail with the fix when the bucket is missing, unreachable or not writable."""
        probe = self._key(".docassets-write-probe")
        try:
            self.client.head_bucket(Bucket=self.bucket)
            self.client.put_object(Bucket=self.bucket, Key=probe, Body=b"ok")
            self.client.delete_object(Bucket=self.bucket, Key=probe)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "?")
            raise BlobStoreError(
                f"DOCASSETS_S3_BUCKET={self.bucket}: the bucket answered {code}; check that it exists, "
                "the region (AWS_REGION) and the credentials' permissions"
            ) from None
        except BotoCoreError as error:
            raise BlobStoreError(
                f"DOCASSETS_S3_BUCKET={self.bucket}: cannot reach the S3 endpoint ({type(error).__name__}); "
                "check AWS_ENDPOINT_URL and the network"
            ) from None


@contextmanager
def local_copy(store: BlobStore, key: str, suffix: str = ".pdf") -> Iterator[Path]:
    """Stream a blob to a temporary file (never into memory) and remove it afterwards."""
    with tempfile.TemporaryDirectory(prefix="docassets-") as folder:
        path = Path(folder) / f"blob{suffix}"
        store.download(key, path)
        yield path


def s3_client(
    *, endpoint_url: str | None, region: str | None, profile: str | None, max_attempts: int = S3_MAX_ATTEMPTS
) -> Any:
    """An S3 client for any S3-compatible endpoint (None: AWS's for the region)."""
    session = boto3.session.Session(profile_name=profile)
    retries = Config(retries={"max_attempts": max_attempts, "mode": "standard"})
    return session.client("s3", endpoint_url=endpoint_url, region_name=region, config=retries)


def open_blob_store(
    bucket: str | None, prefix: str, local_root: Path, make_s3_client: Callable[[], Any]
) -> BlobStore:
    """S3 when a bucket is configured (with the client `make_s3_client` makes), else the local folder."""
    if bucket:
        return S3BlobStore(bucket, prefix, client=make_s3_client())
    return LocalBlobStore(local_root)
