"""The dashboards' bundle: the YAML in superset/ is what the definitions generate, every piece
has its own stable UUID and refers to pieces of the bundle, and the zip the import reads
names the settings' Trino."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import yaml

from stack.state import isolated_settings
from stack.superset_bundle.dashboards import DASHBOARDS
from stack.superset_bundle.files import (
    BUNDLE_DIR,
    DATABASE_FILE,
    bundle_files,
    committed_files,
    zip_bundle,
)
from stack.superset_env import trino_uri


def test_the_committed_bundle_is_the_generated_one() -> None:
    assert committed_files() == bundle_files(), (
        f"{BUNDLE_DIR} differs from the definitions: run `python -m stack.superset_bundle`"
    )


def test_every_piece_has_its_own_uuid_and_refers_to_pieces_of_the_bundle() -> None:
    documents = {path: yaml.safe_load(text) for path, text in bundle_files().items()}
    uuids = [doc["uuid"] for path, doc in documents.items() if path != "metadata.yaml"]
    assert len(uuids) == len(set(uuids))
    by_kind = {
        kind: {doc["uuid"] for path, doc in documents.items() if path.startswith(f"{kind}/")}
        for kind in ("databases", "datasets", "charts", "dashboards")
    }
    for path, doc in documents.items():
        if path.startswith("datasets/"):
            assert doc["database_uuid"] in by_kind["databases"], path
        if path.startswith("charts/"):
            assert doc["dataset_uuid"] in by_kind["datasets"], path
            context = json.loads(doc["query_context"])
            assert context["form_data"] == doc["params"], path
        if path.startswith("dashboards/"):
            placed = {
                item["meta"]["uuid"]
                for item in doc["position"].values()
                if isinstance(item, dict) and item.get("type") == "CHART"
            }
            assert placed <= by_kind["charts"], path
            filters = doc["metadata"]["native_filter_configuration"]
            assert [f["filterType"] for f in filters] == ["filter_select", "filter_time"], path
            assert filters[0]["targets"][0]["datasetUuid"] in by_kind["datasets"], path
    assert {d.uuid for d in DASHBOARDS} == by_kind["dashboards"]


def test_the_zip_names_the_settings_trino(tmp_path: Path) -> None:
    settings = isolated_settings(tmp_path / "state")
    target = zip_bundle(settings, tmp_path / "bundle.zip")
    with zipfile.ZipFile(target) as bundle:
        names = bundle.namelist()
        database = yaml.safe_load(bundle.read(f"beacon_dashboards/{DATABASE_FILE}"))
    assert database["sqlalchemy_uri"] == trino_uri(settings)
    assert f":{settings.ports.trino}/" in database["sqlalchemy_uri"]
    assert len(names) == len(committed_files())
    assert all(name.startswith("beacon_dashboards/") for name in names)
