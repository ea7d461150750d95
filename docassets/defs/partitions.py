"""Each document is one dynamic partition of `documents`; its key is the document id (a UUID).
Each project is one dynamic partition of `projects`; its key is the project's name."""

import warnings

import dagster as dg

from docassets.settings import DOCUMENTS_PER_RUN

DOCUMENTS, PROJECTS = "documents", "projects"
documents = dg.DynamicPartitionsDefinition(name=DOCUMENTS)
projects = dg.DynamicPartitionsDefinition(name=PROJECTS)

# The table column that holds a partition's key, by partitions definition.
PARTITION_COLUMN = {DOCUMENTS: "document_id", PROJECTS: "project"}

# A backfill from the UI batches documents as the sensor does. (The parameter is beta in Dagster
# 1.13, which warns at every asset that uses it.)
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)
document_backfill = dg.BackfillPolicy.multi_run(max_partitions_per_run=DOCUMENTS_PER_RUN)


def project_partition_requests(
    instance: dg.DagsterInstance, names: set[str]
) -> list[dg.AddDynamicPartitionsRequest]:
    """The request that registers those of these projects the instance does not know yet (none
    when it knows them all)."""
    new = sorted(name for name in names if not instance.has_dynamic_partition(PROJECTS, name))
    return [projects.build_add_request(new)] if new else []
