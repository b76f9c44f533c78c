"""The one place configuration is read from the environment."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Server settings; every field maps to an upper-case environment variable."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    mongodb_url: str | None = None
    mongodb_db: str = "circles"
    redis_url: str | None = None
    secret_key: str | None = None
    data_dir: Path = Path("./var")
    public_url: str | None = None
    payment_webhook_secret: str | None = None

    # Browser origins allowed to open Socket.IO connections; empty disables the check.
    cors_origins: Annotated[list[str] | None, NoDecode] = None
    seed_demo: bool = True
    web_dist: Path | None = None
    ferretdb_bin: str | None = None
    # The directory holding PostgreSQL's initdb and postgres (default: the newest installed).
    postgres_bin: str | None = None
    # The PostgreSQL database behind MONGODB_URL's FerretDB (FerretDB's own variable): with it,
    # the server indexes FerretDB's tables for its queries (core/pgindex.py). Set by the
    # embedded database itself.
    ferretdb_postgresql_url: str | None = None

    session_ttl_days: int = 30
    rate_limit_messages_per_minute: int = 120
    rate_limit_auth_per_minute: int = 30
    max_connections_per_user: int = 20
    max_frame_bytes: int = 64 * 1024
    db_timeout_ms: int = 3000
    # Connections per process: few, so a SQLite-backed FerretDB is not flooded with writers.
    db_pool_size: int = Field(default=20, ge=1, le=500)
    redis_max_connections: int = 32
    shutdown_grace_seconds: float = 10.0
    ws_impl: str = "websockets-sansio"
    log_level: str = "info"
    password_time_cost: int = Field(default=2, ge=1, le=10)
    password_memory_kib: int = Field(default=19 * 1024, ge=8 * 1024, le=1024 * 1024)
    hold_minutes: int = 15
    sweep_interval_seconds: float = 1.0
    presence_grace_seconds: float = Field(default=5.0, ge=0, le=30)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @cached_property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @cached_property
    def allowed_origins(self) -> list[str]:
        if self.cors_origins is not None:
            return self.cors_origins
        parts = urlsplit(self.base_url)
        origins = {f"{parts.scheme}://{parts.netloc}", f"http://{self.host}:{self.port}"}
        if self.host in ("127.0.0.1", "localhost", "0.0.0.0"):
            origins |= {f"http://localhost:{self.port}", f"http://127.0.0.1:{self.port}"}
        return sorted(origins)

    @property
    def embedded_db(self) -> bool:
        return not self.mongodb_url
