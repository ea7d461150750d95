"""Each extraction stage declares a code version that follows its rules, so Dagster marks stale documents."""

import importlib
import linecache

from docassets.defs.definitions import ASSETS
from docassets.defs.versions import MENTIONS_VERSION, code_version


def test_every_extraction_stage_declares_the_version_of_its_rules():
    versions = {
        key.to_user_string(): version
        for asset in ASSETS
        for key, version in asset.code_versions_by_key.items()
    }
    stages = [
        "ocr_text",
        "chunks",
        "entity_mentions",
        "relationships",
        "search_index",
        "resolved_entities",
        "entity_graph",
        "document_duplicates",
    ]
    assert all(versions[stage] for stage in stages), versions
    assert len({versions[stage] for stage in stages}) == len(stages), "each stage has its own rules"
    assert versions["entity_mentions"] == MENTIONS_VERSION


def test_a_rule_change_changes_the_version(tmp_path, monkeypatch):
    rules = tmp_path / "provision_rules.py"
    rules.write_text('PROVISION = r"Rule \\d+"\n', encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("provision_rules")
    before = code_version(module)
    assert code_version(module) == before, "stable while the rules stay as they are"
    rules.write_text('PROVISION = r"Rule \\d+[a-z]?(?:-\\d+)?"\n', encoding="utf-8")
    linecache.checkcache(str(rules))
    assert code_version(importlib.reload(module)) != before
