"""One sensor evaluation, read into a typed result the tests can assert on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg


@dataclass(frozen=True)
class Tick:
    """What one tick of a sensor returned (Dagster fills the lists it was not given with [])."""

    run_requests: Sequence[dg.RunRequest]
    dynamic_partitions_requests: Sequence[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest]
    cursor: str | None


def tick(
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    cursor: str | None,
    resources: Mapping[str, Any] | None,
) -> Tick:
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources) as context:
        result = sensor(context)
    assert isinstance(result, dg.SensorResult), result
    return Tick(result.run_requests or [], result.dynamic_partitions_requests or [], result.cursor)
