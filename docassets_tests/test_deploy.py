"""deploy/helm: what the values are for, and the validator a platform engineer runs against
Dagster's chart (`deploy/helm/validate_values.py`). The chart's own files are Dagster's and are not
in the repository (deploy/helm/chart/README.md), so the validator is exercised here on a small
chart written in its image: defaults merged as Helm merges them, errors named by their place."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

HELM = Path(__file__).resolve().parent.parent / "deploy" / "helm"

# The shape of the parts of Dagster's values.schema.json that our values set.
SCHEMA = {
    "type": "object",
    "properties": {
        "runLauncher": {
            "type": "object",
            "properties": {
                "type": {"enum": ["CeleryK8sRunLauncher", "K8sRunLauncher", "CustomRunLauncher"]},
                "config": {
                    "type": "object",
                    "properties": {
                        "k8sRunLauncher": {
                            "type": "object",
                            "properties": {name: {"type": "object"} for name in ("runK8sConfig", "resources")}
                            | {"envSecrets": {"type": "array"}, "failPodOnRunFailure": {"type": "boolean"}},
                            "additionalProperties": False,
                        }
                    },
                },
            },
        },
        "dagster-user-deployments": {
            "type": "object",
            "properties": {
                "deployments": {
                    "type": "array",
                    "items": {"type": "object", "required": ["name", "image", "port"]},
                }
            },
        },
        "postgresql": {"type": "object", "required": ["enabled", "postgresqlHost"]},
    },
}
DEFAULTS = {
    "runLauncher": {"type": "K8sRunLauncher", "config": {"k8sRunLauncher": {"envSecrets": []}}},
    "dagster-user-deployments": {"deployments": [{"name": "example", "image": {}, "port": 3030}]},
    "postgresql": {"enabled": True, "postgresqlHost": ""},
}


def validate(chart: Path, values: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(HELM / "validate_values.py"), str(chart), str(values)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    folder = tmp_path / "chart"
    folder.mkdir()
    (folder / "values.schema.json").write_text(json.dumps(SCHEMA))
    (folder / "values.yaml").write_text(yaml.safe_dump(DEFAULTS))
    return folder


def test_the_helm_values_say_what_the_deployment_needs():
    values = yaml.safe_load((HELM / "values.yaml").read_text())
    # runs as Kubernetes Jobs from the user-code image, an external PostgreSQL, env from a secret
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["postgresql"]["enabled"] is False and values["generatePostgresqlPasswordSecret"] is False
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    assert deployment["includeConfigInLaunchedRuns"] == {"enabled": True}
    for env_secrets in (
        deployment["envSecrets"],
        values["dagsterWebserver"]["envSecrets"],
        values["runLauncher"]["config"]["k8sRunLauncher"]["envSecrets"],
    ):
        assert env_secrets == [{"name": "docassets-env"}]


def test_our_values_merged_over_the_charts_defaults_pass(chart):
    checked = validate(chart, HELM / "values.yaml")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def without_port(values: dict) -> None:
    del values["dagster-user-deployments"]["deployments"][0]["port"]


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (
            lambda values: values["runLauncher"].update(type="Nope"),
            "runLauncher.type: 'Nope' is not one of "
            "['CeleryK8sRunLauncher', 'K8sRunLauncher', 'CustomRunLauncher']",
        ),
        (
            lambda values: values["runLauncher"]["config"]["k8sRunLauncher"].update(
                envSecret=[{"name": "x"}]
            ),
            "runLauncher.config.k8sRunLauncher: "
            "Additional properties are not allowed ('envSecret' was unexpected)",
        ),
        # lists replace the chart's (Helm does not merge them): the default's port does not help
        (without_port, "dagster-user-deployments.deployments.0: 'port' is a required property"),
    ],
    ids=["unknown run launcher", "misspelt key", "deployment without port"],
)
def test_a_wrong_value_is_rejected_with_its_place(chart, tmp_path, spoil, reason):
    values = yaml.safe_load((HELM / "values.yaml").read_text())
    spoil(values)
    spoilt = tmp_path / "values.yaml"
    spoilt.write_text(yaml.safe_dump(values))
    checked = validate(chart, spoilt)
    assert checked.returncode == 1
    assert checked.stdout.splitlines() == [reason]
