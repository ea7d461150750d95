"""Each document is one dynamic partition of `documents`; its key is the document id (a UUID)."""

import warnings

import dagster as dg

from docassets.settings import DOCUMENTS_PER_RUN

DOCUMENTS = "documents"  # the partitions' name, as the instance's partition calls take it
documents = dg.DynamicPartitionsDefinition(name=DOCUMENTS)

# A backfill from the UI batches documents as the sensor does. (The parameter is beta in Dagster
# 1.13, which warns at every asset that uses it.)
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)
document_backfill = dg.BackfillPolicy.multi_run(max_partitions_per_run=DOCUMENTS_PER_RUN)
