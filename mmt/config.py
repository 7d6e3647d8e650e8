"""Configuration from environment variables.

The names are fixed so that scripts can rely on them; see the configuration
table in README.md. Tests pass overrides to :func:`mmt.create_app` instead of
touching the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise RuntimeError(f"Environment variable {name} must be an integer, got {raw!r}.") from None


@dataclass(frozen=True)
class Settings:
    """Settings of one MMT application instance."""

    instance_dir: Path
    database_url: str
    data_dir: Path
    max_upload_mb: int = 2048
    max_rows: int = 100_000_000
    cors_origins: tuple[str, ...] = ("*",)
    log_level: str = "INFO"
    host: str = "127.0.0.1"
    port: int = 5000
    redis_url: str | None = None
    engine: str = "duckdb"
    spark_master: str = "local[*]"
    api_profile: str = "default"
    auth_enabled: bool = False
    async_row_threshold: int = 2_000_000
    async_cell_threshold: int = 20_000_000
    sorted_cache_mb: int = 512
    query_cache_mb: int = 64
    sorted_store: bool = True
    rate_limit: str = "600 per minute"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """Read the settings from the environment, then apply ``overrides``.

    Parameters
    ----------
    overrides : dict, optional
        Field names of :class:`Settings` and their values (used by tests).
    """
    overrides = dict(overrides or {})
    instance_dir = Path(
        overrides.pop("instance_dir", None) or os.environ.get("MMT_INSTANCE_DIR") or Path.cwd() / "instance"
    ).resolve()
    data_dir = Path(overrides.pop("data_dir", None) or os.environ.get("MMT_DATA_DIR") or instance_dir).resolve()
    database_url = (
        overrides.pop("database_url", None)
        or os.environ.get("DATABASE_URL")
        or f"sqlite:///{instance_dir / 'mmt.sqlite3'}"
    )
    if database_url.startswith("postgresql://") or database_url.startswith("postgres://"):
        # psycopg 3 is the driver we ship; the bare scheme would ask for psycopg2.
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
    origins = os.environ.get("CORS_ORIGINS", "*")
    settings = Settings(
        instance_dir=instance_dir,
        database_url=database_url,
        data_dir=data_dir,
        max_upload_mb=_int_env("MMT_MAX_UPLOAD_MB", 2048),
        max_rows=_int_env("MMT_MAX_ROWS", 100_000_000),
        cors_origins=tuple(origin.strip() for origin in origins.split(",") if origin.strip()),
        log_level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        host=os.environ.get("HOST", "127.0.0.1"),
        port=_int_env("PORT", 5000),
        redis_url=os.environ.get("REDIS_URL") or None,
        engine=os.environ.get("MMT_ENGINE", "duckdb").lower(),
        spark_master=os.environ.get("SPARK_MASTER", "local[*]"),
        api_profile=os.environ.get("MMT_API_PROFILE", "default"),
        auth_enabled=os.environ.get("MMT_AUTH", "off").lower() in ("1", "on", "true", "yes"),
        async_row_threshold=_int_env("MMT_ASYNC_ROW_THRESHOLD", 2_000_000),
        async_cell_threshold=_int_env("MMT_ASYNC_CELL_THRESHOLD", 20_000_000),
        sorted_cache_mb=_int_env("MMT_SORTED_CACHE_MB", 512),
        query_cache_mb=_int_env("MMT_QUERY_CACHE_MB", 64),
        sorted_store=os.environ.get("MMT_SORTED_STORE", "on").strip().lower() not in ("off", "0", "false", "no"),
        rate_limit=os.environ.get("MMT_RATE_LIMIT", "600 per minute"),
    )
    return replace(settings, **overrides)
