"""Asset check results for a run that covers several documents: one verdict, naming the failures."""

from collections.abc import Collection, Mapping

import dagster as dg

EXAMPLES = 10  # failing documents named in a check's metadata


def documents_check(
    check_name: str,
    failing: Mapping[str, str],
    *,
    checked: Collection[str],
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
) -> dg.AssetCheckResult:
    """Passed when no document of the run fails the check; `failing` maps document id to why it fails.
    The documents checked are named (a run's check has no partition in the UI: it is the run's)."""
    named = ", ".join(list(checked)[:EXAMPLES]) + (
        f" and {len(checked) - EXAMPLES} more" if len(checked) > EXAMPLES else ""
    )
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=not failing,
        severity=severity,
        metadata={
            "documents_checked": len(checked),
            "documents": named,
            "documents_failing": len(failing),
            "failures": "; ".join(f"{document}: {why}" for document, why in list(failing.items())[:EXAMPLES])
            or "none",
        },
    )
