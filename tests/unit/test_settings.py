from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakehouse.settings import DEMO_SITES, Settings, SettingsError, SiteSettings, load_settings


def test_defaults_are_the_documented_ports() -> None:
    settings = load_settings()
    assert settings.profile == "local"
    assert settings.host == "127.0.0.1"
    assert settings.ports.model_dump() == {
        "collector": 8000,
        "reporting": 8001,
        "trino": 8080,
        "airflow": 8081,
        "superset": 8088,
        "kafka": 9092,
        "kafka_controller": 9093,
    }
    assert settings.kafka_bootstrap == "127.0.0.1:9092"
    assert settings.trino_url == "http://127.0.0.1:8080"


def test_environment_overrides_nested_values(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BEACON_PORTS__KAFKA", "19092")
    monkeypatch.setenv("BEACON_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("BEACON_KAFKA__PARTITIONS", "6")
    settings = load_settings()
    assert settings.kafka_bootstrap == "127.0.0.1:19092"
    assert settings.kafka.partitions == 6
    assert settings.state_path == tmp_path.resolve()
    assert settings.lakehouse_path == tmp_path.resolve() / "lakehouse"
    assert settings.table_location("raw/events") == f"{tmp_path.resolve()}/lakehouse/raw/events"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("BEACON_PORTS__TRINO", "70000", "invalid setting ports.trino='70000'"),
        ("BEACON_PORTS__TRINO", "abc", "BEACON_PORTS__TRINO"),
        ("BEACON_PROFILE", "cloud", "invalid setting profile='cloud'"),
        ("BEACON_KAFKA__PARTITIONS", "0", "kafka.partitions"),
        ("BEACON_HOST", "0.0.0.0", "loopback only"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert expected in message
    assert "\n" not in message


def test_two_services_on_one_port_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEACON_PORTS__KAFKA", "8080")
    with pytest.raises(SettingsError, match=r"ports\.kafka and ports\.trino are both 8080"):
        load_settings()


SHOP = {"site_id": "shop", "write_key": "a-secret-write-key", "domains": ["shop.example"]}


def test_docker_profile_addresses_services_by_name() -> None:
    settings = Settings(
        profile="docker",
        host="0.0.0.0",
        collector={"salt_secret": "s" * 16, "sites": [SHOP]},
        api={"admin_token": "t" * 16},
        gdpr={"hash_secret": "h" * 16},
        superset={"admin_password": "p" * 16, "secret_key": "k" * 32},
    )
    assert settings.kafka_bootstrap == "kafka:9092"
    assert settings.trino_url == "http://trino:8080"
    assert settings.table_location("raw/events") == "s3a://beacon-lakehouse/raw/events"


def test_the_demo_sites_exist_only_in_the_local_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().collector.sites == DEMO_SITES
    monkeypatch.setenv("BEACON_PROFILE", "docker")
    monkeypatch.setenv("BEACON_HOST", "0.0.0.0")
    monkeypatch.setenv("BEACON_COLLECTOR__SALT_SECRET", "s" * 16)
    monkeypatch.setenv("BEACON_API__ADMIN_TOKEN", "t" * 16)
    monkeypatch.setenv("BEACON_GDPR__HASH_SECRET", "h" * 16)
    monkeypatch.setenv("BEACON_SUPERSET__ADMIN_PASSWORD", "p" * 16)
    monkeypatch.setenv("BEACON_SUPERSET__SECRET_KEY", "k" * 32)
    for sites in (None, "[]"):
        if sites is not None:
            monkeypatch.setenv("BEACON_COLLECTOR__SITES", sites)
        with pytest.raises(SettingsError) as raised:
            load_settings()
        message = str(raised.value)
        assert "collector.sites" in message
        assert "BEACON_COLLECTOR__SITES" in message
        assert "\n" not in message
    monkeypatch.setenv("BEACON_COLLECTOR__SITES", json.dumps([SHOP]))
    assert [site.site_id for site in load_settings().collector.sites] == ["shop"]


@pytest.mark.parametrize("demo", DEMO_SITES, ids=lambda site: site.site_id)
def test_a_published_demo_write_key_is_refused_outside_local(
    monkeypatch: pytest.MonkeyPatch, demo: SiteSettings
) -> None:
    monkeypatch.setenv("BEACON_PROFILE", "docker")
    monkeypatch.setenv("BEACON_HOST", "0.0.0.0")
    monkeypatch.setenv("BEACON_COLLECTOR__SALT_SECRET", "s" * 16)
    monkeypatch.setenv("BEACON_API__ADMIN_TOKEN", "t" * 16)
    monkeypatch.setenv("BEACON_GDPR__HASH_SECRET", "h" * 16)
    monkeypatch.setenv("BEACON_SUPERSET__ADMIN_PASSWORD", "p" * 16)
    monkeypatch.setenv("BEACON_SUPERSET__SECRET_KEY", "k" * 32)
    copied = {**SHOP, "write_key": demo.write_key}
    monkeypatch.setenv("BEACON_COLLECTOR__SITES", json.dumps([copied]))
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert "published demo write key" in message
    assert "BEACON_COLLECTOR__SITES" in message
    assert "\n" not in message
    assert (demo.write_key or "") not in message
