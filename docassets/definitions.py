"""The code location Dagster loads (`workspace.yaml`, `dagster dev`).

Configuration and storage are checked here, at load, so a wrong setting stops the code location
with a message naming it instead of failing the tenth document. Storage is checked once per load of
the code location, not again in every run's process (see `verify_storage_once`).
"""

from docassets.defs.definitions import build_definitions
from docassets.preflight import verify_storage_once
from docassets.settings import Settings

settings = Settings.from_env()
verify_storage_once(settings)
defs = build_definitions(settings)


def document_job():
    """The per-document job, built from the current environment: what `dagster.reconstructable`
    points a Celery worker at for a run started from Python rather than by the daemon."""
    return build_definitions(Settings.from_env()).resolve_job_def("process_document")
