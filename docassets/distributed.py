"""Steps on Celery workers: which queue each stage goes to, the worker command, and who consumes what.

The embedded default runs every stage of a run in the run's own process (`in_process_executor`).
With `DOCASSETS_CELERY_BROKER_URL` set, the per-document job uses dagster-celery's executor
instead: each stage of a run becomes a Celery task on the queue its stage is routed to (`ocr` for
Tesseract, `nlp` for spaCy and the rules, `dagster` for the rest), so OCR machines and NLP
machines can be sized apart, and a run's documents are read by whichever workers are free.

A queue nobody consumes holds its tasks forever, silently, and its runs with them. So `doctor`
lists the live consumers of every queue, and `status` names the queue a waiting run's step sits in.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import dagster as dg

from docassets.settings import Settings

QUEUE_TAG = "dagster-celery/queue"
STEP_PRIORITY_TAG = "dagster-celery/priority"
RUN_PRIORITY_TAG = "dagster-celery/run_priority"
# Each stage's queue and the priority of its tasks (0-9 with `dagster-celery/run_priority` added;
# on RabbitMQ higher goes first). Later stages go first, so documents in flight finish before new
# ones are started.
STAGE_ROUTES: Mapping[str, tuple[str, int]] = {
    "source_documents": ("dagster", 3),
    "ocr_text": ("ocr", 4),
    "chunks": ("nlp", 5),
    "entity_mentions": ("nlp", 5),
    "relationships": ("nlp", 6),
    "document_summary": ("dagster", 7),
    "search_index": ("dagster", 7),
}
QUEUES = ("ocr", "nlp", "dagster")
# Added to every step's priority by the run's `docassets submit --priority`.
RUN_PRIORITY = {"high": "2", "normal": "0", "low": "-2"}
# The Celery app the workers load (`celery -A ...`): dagster-celery's task, our broker and queues.
WORKER_APP = "docassets.celery_worker"


def stage_tags(stage: str) -> dict[str, str]:
    """The op tags that route `stage` to its queue, with its priority (ignored in-process)."""
    queue, priority = STAGE_ROUTES[stage]
    return {QUEUE_TAG: queue, STEP_PRIORITY_TAG: str(priority)}


def worker_command(
    queues: tuple[str, ...] = QUEUES, *, concurrency: int = 1, name: str = "docassets"
) -> list[str]:
    """The command that starts a worker consuming every one of `queues`.

    The queues go as ONE comma-separated `-Q`: Celery 5's command line keeps only the last of
    repeated `-Q` options, so `dagster-celery worker start -q ocr -q nlp -q dagster` (which passes
    them repeated) starts a worker that consumes `dagster` alone.
    """
    celery = Path(sys.executable).with_name("celery")
    return [
        str(celery if celery.exists() else shutil.which("celery") or "celery"),
        "-A",
        WORKER_APP,
        "worker",
        "--queues",
        ",".join(queues),
        "--concurrency",
        str(concurrency),
        "--prefetch-multiplier",
        "1",
        "--hostname",
        f"{name}@%h",
        "--loglevel",
        "INFO",
    ]


def executor_config(broker_url: str, backend_url: str | None) -> dict:
    """dagster-celery's executor configuration. The URLs are read from the environment by
    variable name, so the UI and the run's configuration never show a password."""
    broker = {"env": "DOCASSETS_CELERY_BROKER_URL"}
    backend = (
        {"env": "DOCASSETS_CELERY_BACKEND_URL"} if os.environ.get("DOCASSETS_CELERY_BACKEND_URL") else None
    )
    return {
        "broker": broker,
        "backend": backend or (broker if backend_url == broker_url else backend_url),
        "config_source": celery_options(broker_url),
    }


def celery_options(broker_url: str) -> dict:
    """Celery settings shared by the executor (which sends) and the workers (which consume)."""
    options: dict = {
        # A worker takes one task at a time: an OCR step can take an hour, and a prefetched task
        # would wait behind it while another worker is idle.
        "worker_prefetch_multiplier": 1,
        # The task is acknowledged when it ends, so a worker that dies mid-step (the OOM killer,
        # a lost machine) leaves it to another worker (RabbitMQ redelivers at once when the
        # connection drops), and Celery reports a killed pool process as WorkerLostError.
        "task_acks_late": True,
        "task_reject_on_worker_lost": False,
        "task_track_started": True,
        "result_extended": True,
    }
    if broker_url.startswith(("redis://", "rediss://")):
        # Redis emulates priorities with one list per level; 10 levels as RabbitMQ's x-max-priority.
        options["broker_transport_options"] = {
            "priority_steps": list(range(10)),
            "queue_order_strategy": "priority",
            # An unacknowledged task goes back to the queue after this long; longer than any step.
            "visibility_timeout": 6 * 3600,
        }
    return options


@cache
def celery_app(broker_url: str, backend_url: str | None):
    """A Celery app on the broker, for inspecting workers and queues (not for running steps)."""
    from celery import Celery

    app = Celery("docassets", broker=broker_url, backend=backend_url)
    # The same transport options as the senders: on Redis they say which lists hold each priority.
    app.conf.update(celery_options(broker_url), broker_connection_timeout=3)
    return app


@dataclass(frozen=True)
class QueueState:
    name: str
    consumers: tuple[str, ...]  # worker host names consuming it
    waiting: int | None  # tasks in the broker's queue not yet taken; None if the broker cannot say


def queue_states(
    settings: Settings, queues: tuple[str, ...] = QUEUES, timeout: float = 2.0
) -> list[QueueState]:
    """Each queue's live consumers (Celery's `inspect active_queues`, answered by running workers
    only) and how many tasks wait in it."""
    if settings.celery_broker_url is None:
        raise ValueError("no Celery broker configured (DOCASSETS_CELERY_BROKER_URL)")
    app = celery_app(settings.celery_broker_url, settings.celery_backend_url)
    replies = app.control.inspect(timeout=timeout).active_queues() or {}
    consumers: dict[str, list[str]] = {queue: [] for queue in queues}
    for worker, consumed in replies.items():
        for queue in consumed:
            consumers.setdefault(queue["name"], []).append(worker)
    return [QueueState(queue, tuple(sorted(consumers[queue])), _waiting(app, queue)) for queue in queues]


def _waiting(app, queue: str) -> int | None:
    """Messages ready in `queue`: a passive declare, which RabbitMQ answers and kombu's Redis
    transport emulates (summing its priority lists)."""
    try:
        with app.connection_for_read() as connection:
            return connection.default_channel.queue_declare(queue=queue, passive=True).message_count
    except Exception:  # the queue was never declared (nothing sent yet) or the broker refuses
        return None


def unconsumed_queues(states: list[QueueState]) -> list[QueueState]:
    return [state for state in states if not state.consumers]


@dataclass(frozen=True)
class WaitingStep:
    run_id: str
    step: str
    queue: str


# dagster-celery marks a step's wait in the broker with an engine event that starts this marker
# when the step is sent and one that ends it when a worker takes the step.
_QUEUE_WAIT_MARKER = "celery_queue_wait"


def steps_in_queues(instance: dg.DagsterInstance) -> list[WaitingStep]:
    """The steps of started runs that were sent to a queue and that no worker has taken yet."""
    waiting = []
    for run in instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
        sent: dict[str, None] = {}
        for record in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
            if record.dagster_event is None:
                continue
            data = record.dagster_event.engine_event_data
            if data.marker_start == _QUEUE_WAIT_MARKER and record.step_key:
                sent[record.step_key] = None
            elif data.marker_end == _QUEUE_WAIT_MARKER and record.step_key:
                sent.pop(record.step_key, None)
        waiting += [WaitingStep(run.run_id, step, STAGE_ROUTES.get(step, ("dagster", 0))[0]) for step in sent]
    return waiting
