"""Stack settings: read once, validated, frozen. See `schema.KEYS` for every key."""

from .loader import ConfigError, build, load_settings
from .model import (
    COLOURS,
    AlertingSettings,
    CacheSettings,
    DatabaseSettings,
    EdgeSettings,
    EksSettings,
    FleetSettings,
    LogSearchSettings,
    NetworkSettings,
    PrometheusSettings,
    ReleaseSettings,
    StackSettings,
    pool_size,
)

__all__ = [
    "COLOURS",
    "AlertingSettings",
    "CacheSettings",
    "ConfigError",
    "DatabaseSettings",
    "EdgeSettings",
    "EksSettings",
    "PrometheusSettings",
    "FleetSettings",
    "LogSearchSettings",
    "NetworkSettings",
    "ReleaseSettings",
    "StackSettings",
    "build",
    "load_settings",
    "pool_size",
]
