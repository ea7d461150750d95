"""Each document is one dynamic partition of `documents`; its key is the document id (a UUID)."""
import dagster as dg

documents = dg.DynamicPartitionsDefinition(name="documents")
