"""Validate deploy/helm/values.yaml against Dagster's Helm chart schema, as `helm` would.

Helm validates the chart's default values merged with the user's, so both come from the chart:

    .venv/bin/python deploy/helm/validate_values.py [CHART_DIR [VALUES]]

CHART_DIR holds the chart's `values.yaml` and `values.schema.json` (default `deploy/helm/chart`,
see its README for where they come from); VALUES defaults to `deploy/helm/values.yaml`. The
schema's references to Kubernetes' own schemas (raw.githubusercontent.com/yannh/...) are not
fetched: those parts (resources, probes, affinity...) are checked only as far as the chart's schema
describes them itself (an object, a list), which is what `helm lint` would refine.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema
import yaml

HERE = Path(__file__).resolve().parent
CHART = HERE / "chart"
VALUES = HERE / "values.yaml"


def merged(defaults: dict, overrides: dict) -> dict:
    """Helm's merge: maps merge key by key, anything else (lists included) is replaced."""
    result = dict(defaults)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


def offline(schema):
    """The schema without its remote $refs; the keywords beside them still apply."""
    if isinstance(schema, dict):
        return {
            key: offline(value)
            for key, value in schema.items()
            if not (key == "$ref" and str(value).startswith("http"))
        }
    if isinstance(schema, list):
        return [offline(item) for item in schema]
    return schema


def errors(chart: Path = CHART, values: Path = VALUES) -> list[str]:
    schema = offline(json.loads((chart / "values.schema.json").read_text()))
    document = merged(yaml.safe_load((chart / "values.yaml").read_text()), yaml.safe_load(values.read_text()))
    validator = jsonschema.Draft7Validator(schema)
    # best_match: for a value that fits none of an anyOf (a map or null), the branch's own reason
    reasons = (jsonschema.exceptions.best_match([error]) for error in validator.iter_errors(document))
    return [f"{'.'.join(map(str, reason.absolute_path)) or '(top)'}: {reason.message}" for reason in reasons]


if __name__ == "__main__":
    chart = Path(sys.argv[1]) if len(sys.argv) > 1 else CHART
    values = Path(sys.argv[2]) if len(sys.argv) > 2 else VALUES
    found = errors(chart, values)
    print("\n".join(found) or f"{values} is valid against {chart}/values.schema.json")
    sys.exit(1 if found else 0)
