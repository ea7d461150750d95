"""The Celery app a docassets worker runs (`docassets worker`, or `celery -A docassets.celery_worker
worker --queues ocr,nlp,dagster`): dagster-celery's step task on the broker the settings name, with
the same Celery options the executor sends with (`distributed.celery_options`).

A worker executes a step by loading the code location itself (the job's Python origin travels with
the task), so it needs the same code, the same DOCASSETS_* settings and access to the same Dagster
instance (DAGSTER_HOME: PostgreSQL when workers run on other machines) as the daemon.
"""

from dagster_celery.make_app import make_app
from dagster_celery.tasks import create_task

from docassets.distributed import celery_options
from docassets.settings import ConfigurationError, Settings

settings = Settings.from_env()
if settings.celery_broker_url is None:
    raise ConfigurationError(
        "DOCASSETS_CELERY_BROKER_URL is not set: a worker needs the broker to consume from"
    )
app = make_app(
    {
        "broker": settings.celery_broker_url,
        "backend": settings.celery_backend_url,
        "config_source": {"task_default_queue": "dagster", **celery_options(settings.celery_broker_url)},
    }
)
execute_plan = create_task(app)
