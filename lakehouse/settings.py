"""beacon's one typed settings object.

Every value has a default for the `local` profile and can be overridden from the environment
with the prefix ``BEACON_`` (nested values with ``__``, e.g. ``BEACON_PORTS__KAFKA=19092``).
The `docker` profile switches the defaults that differ in the multi-container deployment
(service host names, S3 storage) and has no demo data: it needs its own secrets and sites.
Settings are validated when loaded: a bad value raises :class:`SettingsError` with one line
naming the setting and the fix.
"""

from __future__ import annotations

import json
import os
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lakehouse.admin_settings import REQUIRED_SECRETS, ApiSettings, GdprSettings
from lakehouse.dq_settings import DataQualitySettings
from lakehouse.sites import DEMO_DOCS_ANALYTICS, DEMO_SHOP_ANALYTICS, SiteAnalytics
from lakehouse.superset_settings import SUPERSET_REQUIRED_SECRETS, SupersetSettings

Profile = Literal["local", "docker"]

ENV_PREFIX = "BEACON_"


class SettingsError(Exception):
    """A setting has a value beacon cannot run with."""


DEFAULT_RETENTION_DAYS = 425
"""14 months, GA4's longest retention (14 x 30 + 5 days)."""

Port = Annotated[int, Field(ge=1, le=65535, description="a TCP port")]


class Ports(BaseModel):
    """Every TCP port beacon serves on (see the README's port table)."""

    collector: Port = 8000
    reporting: Port = 8001
    trino: Port = 8080
    airflow: Port = 8081
    superset: Port = 8088
    kafka: Port = 9092
    kafka_controller: Port = 9093

    @model_validator(mode="after")
    def _distinct(self) -> Ports:
        seen: dict[int, str] = {}
        for name, port in self.model_dump().items():
            if port in seen:
                raise ValueError(f"ports.{name} and ports.{seen[port]} are both {port}")
            seen[port] = name
        return self


class KafkaSettings(BaseModel):
    """Broker address and the topics of the event contract."""

    bootstrap_servers: str | None = Field(
        default=None, description="host:port list; derived from host and ports.kafka if unset"
    )
    events_topic: str = "events.v1"
    bad_topic: str = "events.bad"
    partitions: int = Field(default=3, ge=1, le=256)
    retention_hours: float = Field(
        default=72,
        ge=1,
        description="how long events.v1 and events.bad keep a record (enough to replay)",
    )
    segment_hours: float = Field(
        default=1,
        gt=0,
        description="a topic's log segment rolls after this: a record expires within it",
    )
    heap: str = "512m"


class TrinoSettings(BaseModel):
    """The Trino coordinator and its Delta catalog."""

    catalog: str = Field(default="delta", pattern=r"^[a-z_][a-z0-9_]*$", description="lower case")
    user: str = "beacon"
    heap: str = "2G"


class SparkSettings(BaseModel):
    """How Spark jobs run: local mode here, a cluster by master URL."""

    master: str = "local[2]"
    driver_memory: str = "2g"
    shuffle_partitions: int = Field(default=4, ge=1)
    ui_enabled: bool = False


class SiteSettings(BaseModel):
    """A site (property) the collector accepts events for."""

    site_id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")
    write_key: str | None = Field(
        default=None, description="Segment write key / GA4 api_secret; required for those"
    )
    domains: tuple[str, ...] = Field(default=(), description="hostnames; Plausible's domain")
    aliases: tuple[str, ...] = Field(default=(), description="GA4 measurement id, Snowplow aid")
    allowed_origins: tuple[str, ...] = Field(
        default=(), description="CORS origins for browser requests; empty = the domains"
    )
    cookieless: bool = Field(default=True, description="hash-based visitor id, no cookie")
    retention_days: int = Field(
        default=DEFAULT_RETENTION_DAYS,
        ge=1,
        description="days of raw and batch rows kept; older days are deleted by maintenance",
    )
    analytics: SiteAnalytics = Field(
        default_factory=SiteAnalytics,
        description="goals, funnels and event properties the batch layer counts",
    )


DEMO_SITES = (
    SiteSettings(
        site_id="demo-shop",
        write_key="demo-shop-write-key",
        domains=("shop.example", "localhost", "127.0.0.1"),
        aliases=("G-DEMOSHOP1",),
        analytics=DEMO_SHOP_ANALYTICS,
    ),
    SiteSettings(
        site_id="demo-docs",
        write_key="demo-docs-write-key",
        domains=("docs.example",),
        aliases=("G-DEMODOCS1", "docs-app"),
        analytics=DEMO_DOCS_ANALYTICS,
    ),
)


DEMO_WRITE_KEYS = frozenset(site.write_key for site in DEMO_SITES if site.write_key)
"""Published in this repository: a site that uses one takes events from anyone."""


class RateLimitSettings(BaseModel):
    """Token buckets against floods, kept by each collector worker process (so a client may
    reach ``collector.workers`` times these). A rate of 0 turns that limit off."""

    address_rps: float = Field(
        default=300, ge=0, description="requests/s one client address may send"
    )
    address_burst: int = Field(default=600, ge=1, description="requests above the rate at once")
    site_rps: float = Field(default=5000, ge=0, description="requests/s one site may receive")
    site_burst: int = Field(default=10_000, ge=1)


class CollectorSettings(BaseModel):
    """The ingestion service: sites, limits, the spool and the tracker."""

    sites: tuple[SiteSettings, ...] = Field(
        default=DEMO_SITES,
        description="JSON list in BEACON_COLLECTOR__SITES; the demo sites only in `local`",
    )
    max_body_bytes: int = Field(default=512 * 1024, ge=1024)
    max_events_per_batch: int = Field(default=500, ge=1)
    max_event_age_hours: float = Field(default=72, gt=0)
    max_future_skew_s: float = Field(default=60, ge=0)
    spool_max_bytes: int = Field(
        default=256 * 2**20, ge=2**20, description="spool bound of each worker"
    )
    workers: int = Field(
        default=2, ge=1, le=64, description="collector processes serving the one port"
    )
    linger_ms: float = Field(
        default=1, ge=0, le=1000, description="how long the Kafka producer waits to fill a batch"
    )
    tracker_path: str = Field(default="/static/p.js", pattern=r"^/[A-Za-z0-9/_.-]+\.js$")
    salt_secret: str | None = Field(
        default=None,
        min_length=16,
        description="secret of the daily visitor-hash salt; generated into the state dir locally",
    )
    sink: Literal["kafka", "discard"] = Field(
        default="kafka", description="discard = accept and drop: only to benchmark the collector"
    )
    trusted_proxies: tuple[str, ...] = Field(
        default=("127.0.0.1", "::1"),
        description="peers whose X-Forwarded-For names the visitor's address (a reverse "
        "proxy, a server relaying Plausible events); other peers cannot claim another address",
    )
    accepted_flush_s: float = Field(
        default=60,
        gt=0,
        le=3600,
        description="how often each worker appends its accepted counts to ops.collector_accepted",
    )
    delivery_timeout_s: float = Field(
        default=3.0, gt=0, le=60, description="wait for Kafka's ack before spooling an event"
    )
    body_timeout_s: float = Field(
        default=10.0, gt=0, le=300, description="time a request's body may take (408 after)"
    )
    rate_limits: RateLimitSettings = RateLimitSettings()

    @model_validator(mode="after")
    def _unique_site_refs(self) -> CollectorSettings:
        seen: dict[str, str] = {}
        for site in self.sites:
            for ref in (site.site_id, *site.domains, *site.aliases):
                if seen.get(ref, site.site_id) != site.site_id:
                    raise ValueError(f"{ref!r} names both {seen[ref]} and {site.site_id}")
                seen[ref] = site.site_id
        return self


class StreamingSettings(BaseModel):
    """The speed layer (streaming/): Kafka -> raw.events and the live.* aggregates."""

    trigger_interval_s: float = Field(default=2.0, gt=0, description="micro-batch interval")
    watermark_s: int = Field(
        default=600,
        ge=0,
        description="lateness the live aggregates accept: received_at - client_ts",
    )
    dedupe_window_s: int = Field(
        default=600, ge=0, description="how long an event_id is remembered to drop repeats"
    )
    max_offsets_per_trigger: int = Field(default=200_000, ge=1)
    driver_memory: str = "1g"
    checkpoint_uri: str | None = Field(
        default=None, description="checkpoint root; <state_dir>/streaming/checkpoints if unset"
    )


class BatchSettings(BaseModel):
    """The batch layer (spark_jobs/): the nightly recompute and its sessions' rules."""

    lookback_days: int = Field(
        default=3, ge=0, le=30, description="days before the logical date each run recomputes"
    )
    session_gap_minutes: float = Field(
        default=30, gt=0, le=24 * 60, description="silence that ends a session"
    )
    engaged_after_s: float = Field(
        default=10, ge=0, description="a session longer than this is engaged (GA4: 10 s)"
    )


class JavaSettings(BaseModel):
    """Where to find JDKs; unset means discover them (JAVA_HOME, PATH, /usr/lib/jvm)."""

    home: Path | None = Field(default=None, description="JDK 17+ for Kafka and Spark")
    trino_home: Path | None = Field(default=None, description="JDK 25+ for Trino")


class Settings(BaseSettings):
    """All of beacon's configuration, loaded once per process."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    profile: Profile = "local"
    host: str = Field(default="127.0.0.1", description="address every local service binds to")
    state_dir: Path = Field(default=Path("var"), description="all runtime state, git-ignored")
    cache_dir: Path = Field(
        default_factory=lambda: (
            Path(os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache"))) / "beacon"
        ),
        description="downloads and environments shared by every clone",
    )
    lakehouse_uri: str | None = Field(
        default=None, description="root of the Delta tables; <state_dir>/lakehouse if unset"
    )
    ports: Ports = Ports()
    kafka: KafkaSettings = KafkaSettings()
    trino: TrinoSettings = TrinoSettings()
    spark: SparkSettings = SparkSettings()
    java: JavaSettings = JavaSettings()
    collector: CollectorSettings = CollectorSettings()
    streaming: StreamingSettings = StreamingSettings()
    batch: BatchSettings = BatchSettings()
    api: ApiSettings = ApiSettings()
    gdpr: GdprSettings = GdprSettings()
    superset: SupersetSettings = SupersetSettings()
    dq: DataQualitySettings = DataQualitySettings()
    health_timeout_s: float = Field(default=180.0, gt=0)

    @model_validator(mode="after")
    def _secrets_outside_local(self) -> Settings:
        if self.profile != "local" and self.collector.salt_secret is None:
            raise ValueError(
                "collector.salt_secret must be set outside the local profile "
                "(BEACON_COLLECTOR__SALT_SECRET)"
            )
        for section, name, env_name in (*REQUIRED_SECRETS, *SUPERSET_REQUIRED_SECRETS):
            if self.profile != "local" and getattr(getattr(self, section), name) is None:
                raise ValueError(
                    f"{section}.{name} must be set outside the local profile ({env_name})"
                )
        return self

    @model_validator(mode="after")
    def _sites_outside_local(self) -> Settings:
        if self.profile == "local":
            return self
        if "sites" not in self.collector.model_fields_set or not self.collector.sites:
            raise ValueError(
                f"collector.sites must be configured in the {self.profile} profile (the demo "
                "sites exist only in `local`): set BEACON_COLLECTOR__SITES to a JSON list"
            )
        for site in self.collector.sites:
            if site.write_key in DEMO_WRITE_KEYS:
                raise ValueError(
                    f"collector.sites: site {site.site_id} has a published demo write key; "
                    "give it a secret one in BEACON_COLLECTOR__SITES"
                )
        return self

    @field_validator("host")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value:
            raise ValueError("must not be empty")
        return value

    @model_validator(mode="after")
    def _profile_rules(self) -> Settings:
        if self.profile == "local" and self.host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(
                f"host={self.host!r}: the local profile binds to loopback only (127.0.0.1)"
            )
        return self

    # Derived values: computed from the settings above, never set separately.

    @cached_property
    def state_path(self) -> Path:
        return self.state_dir.expanduser().resolve()

    @cached_property
    def lakehouse_path(self) -> Path:
        """Local folder of the Delta tables (local profile)."""
        if self.lakehouse_uri and not self.lakehouse_uri.startswith(("file:", "/")):
            raise SettingsError(
                f"lakehouse_uri={self.lakehouse_uri!r} is not a local path; "
                "the local profile keeps tables on disk"
            )
        if self.lakehouse_uri:
            return Path(self.lakehouse_uri.removeprefix("file:")).resolve()
        return self.state_path / "lakehouse"

    @property
    def lakehouse_root(self) -> str:
        """Root URI of the Delta tables, as Spark addresses it."""
        if self.profile == "docker":
            return (self.lakehouse_uri or "s3a://beacon-lakehouse").rstrip("/")
        return str(self.lakehouse_path)

    def table_location(self, relative_path: str) -> str:
        return f"{self.lakehouse_root}/{relative_path.strip('/')}"

    @property
    def kafka_bootstrap(self) -> str:
        if self.kafka.bootstrap_servers:
            return self.kafka.bootstrap_servers
        host = "kafka" if self.profile == "docker" else self.host
        return f"{host}:{self.ports.kafka}"

    @property
    def trino_url(self) -> str:
        host = "trino" if self.profile == "docker" else self.host
        return f"http://{host}:{self.ports.trino}"

    @property
    def logs_path(self) -> Path:
        return self.state_path / "logs"

    @property
    def run_path(self) -> Path:
        return self.state_path / "run"


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as BEACON_* variables, so a child process loads exactly these settings."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump(mode="json", exclude_none=True).items():
        key = ENV_PREFIX + name.upper()
        env[key] = value if isinstance(value, str) else json.dumps(value)
    return env


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    if not first["loc"]:  # a rule across settings: its message names them and the fix
        return "invalid settings: " + first["msg"].removeprefix("Value error, ")
    where = ".".join(str(part) for part in first["loc"]) or "settings"
    env_name = ENV_PREFIX + "__".join(str(part) for part in first["loc"]).upper()
    value = first.get("input")
    shown = "" if isinstance(value, dict) else f"={value!r}"
    return f"invalid setting {where}{shown}: {first['msg']} (set {env_name} to a valid value)"


def load_settings(**overrides: object) -> Settings:
    """Load and validate settings from the environment; one-line SettingsError on a bad value."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(_describe(error)) from None
