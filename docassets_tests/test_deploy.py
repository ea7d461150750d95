"""deploy/helm/values.yaml against Dagster's Helm chart schema, by the validator a platform engineer runs."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

HELM = Path(__file__).resolve().parent.parent / "deploy" / "helm"
CHART = HELM / "chart"

# The chart's files are Dagster's, kept out of the repository: deploy/helm/chart/README.md says where
# they come from.
pytestmark = pytest.mark.skipif(
    not (CHART / "values.schema.json").is_file() or not (CHART / "values.yaml").is_file(),
    reason="Dagster's chart values.yaml and values.schema.json are not in deploy/helm/chart (see its README)",
)


def validate(values: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(HELM / "validate_values.py"), str(CHART), str(values)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_helm_values_are_valid_for_dagsters_chart():
    checked = validate(HELM / "values.yaml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    values = yaml.safe_load((HELM / "values.yaml").read_text())
    # what the values are for: runs as Jobs from the user-code image, external PostgreSQL, env from a secret
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
        (without_port, "dagster-user-deployments.deployments.0: 'port' is a required property"),
    ],
    ids=["unknown run launcher", "misspelt key", "deployment without port"],
)
def test_a_wrong_value_is_rejected_with_its_place(tmp_path, spoil, reason):
    values = yaml.safe_load((HELM / "values.yaml").read_text())
    spoil(values)
    spoilt = tmp_path / "values.yaml"
    spoilt.write_text(yaml.safe_dump(values))
    checked = validate(spoilt)
    assert checked.returncode == 1
    assert checked.stdout.splitlines() == [reason]
