"""Validate deploy/helm/values.yaml against Dagster's Helm chart schema, as `helm` would.

Helm validates the chart's default values merged with the user's, so both come from the chart:

    .venv/bin/python deploy/helm/validate_values.py CHART_DIR

where CHART_DIR is `helm/dagster` of a dagster-io/dagster checkout at the pinned release (1.13.27)
or the unpacked chart (`helm pull dagster/dagster --version 1.13.27 --untar`). The schema's
references to Kubernetes' own schemas (kubernetesjsonschema.dev) are not fetched: those parts
(resources, probes, affinity...) are accepted as any object, which `helm lint` would check.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema
import yaml

VALUES = Path(__file__).resolve().parent / "values.yaml"


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
    """The schema with every remote $ref replaced by an object of any shape."""
    if isinstance(schema, dict):
        if str(schema.get("$ref", "")).startswith("http"):
            return {key: offline(value) for key, value in schema.items() if key not in ("$ref", "properties")}
        return {key: offline(value) for key, value in schema.items()}
    if isinstance(schema, list):
        return [offline(item) for item in schema]
    return schema


def errors(chart: Path, values: Path = VALUES) -> list[str]:
    schema = offline(json.loads((chart / "values.schema.json").read_text()))
    document = merged(yaml.safe_load((chart / "values.yaml").read_text()), yaml.safe_load(values.read_text()))
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{'.'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in validator.iter_errors(document)
    ]


if __name__ == "__main__":
    found = errors(Path(sys.argv[1]))
    print("\n".join(found) or f"{VALUES} is valid against {sys.argv[1]}/values.schema.json")
    sys.exit(1 if found else 0)
