"""Which errors a retry can cure.

A stage retries only errors of the outside world that may pass: the network, the database server,
the S3 endpoint, throttling. Everything else (a document MuPDF cannot read, a bug in our code, a
value our code does not expect) fails the same way every time, so retrying it only repeats the
work: hours of OCR, for a 300-page scanned production.
"""

from __future__ import annotations

import re
import sqlite3

import botocore.exceptions
import sqlalchemy.exc

# S3 error codes that mean "try again later", not "this request is wrong".
_TRANSIENT_S3_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "SlowDown",
        "RequestTimeout",
        "RequestTimeTooSkewed",
        "InternalError",
        "ServiceUnavailable",
        "503",
        "500",
        "502",
        "504",
    }
)
_SQLITE_BUSY = re.compile(r"locked|busy|disk I/O", re.IGNORECASE)
_TRANSIENT_BOTOCORE = (
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectionClosedError,
    botocore.exceptions.ReadTimeoutError,
    botocore.exceptions.ConnectTimeoutError,
    botocore.exceptions.ProxyConnectionError,
)


def is_transient(error: BaseException) -> bool:
    """True when the same call may succeed later: a network, database or S3 outage or throttling."""
    for cause in _causes(error):
        if isinstance(cause, (ConnectionError, TimeoutError) + _TRANSIENT_BOTOCORE):
            return True
        if isinstance(cause, botocore.exceptions.ClientError):
            code = str(cause.response.get("Error", {}).get("Code", ""))
            status = str(cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
            if code in _TRANSIENT_S3_CODES or status in _TRANSIENT_S3_CODES:
                return True
        if isinstance(cause, sqlalchemy.exc.DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(cause, sqlalchemy.exc.DisconnectionError):
            return True
        if isinstance(cause, sqlalchemy.exc.OperationalError):
            # SQLite reports a missing table or column as "operational" too; only a lock passes.
            return (
                not isinstance(cause.orig, sqlite3.Error) or _SQLITE_BUSY.search(str(cause.orig)) is not None
            )
    return False


def _causes(error: BaseException):
    """The error and the errors it was raised `from` (not those it was merely raised while handling:
    a bug in an `except ConnectionError` block is still a bug)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__
