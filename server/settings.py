"""The one place configuration is read from the environment."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
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
    # Payment providers attendees may choose (comma list). "sandbox" is a test provider that
    # confirms seats with no money moving: only demos and tests enable it.
    payment_providers: Annotated[list[str], NoDecode] = ["manual"]

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
    # Multiplies every other per-user budget (docs/protocol.md, "Rate limits").
    rate_limit_scale: float = Field(default=1.0, gt=0)
    # Failed logins per (client address, handle) before each further attempt must wait 1, 2,
    # 4 … seconds after the previous one, up to the maximum.
    login_failures_before_backoff: int = Field(default=5, ge=1)
    login_backoff_max_seconds: int = Field(default=900, ge=1)
    # Proxies whose X-Forwarded-For names the client (comma list of IPs); empty: ignored.
    trusted_proxies: Annotated[list[str], NoDecode] = []
    max_connections_per_user: int = 20
    max_frame_bytes: int = 64 * 1024
    # Time a client has to send a request's headers, then its body, and an Engine.IO session to
    # complete its Socket.IO CONNECT; past it the connection is closed.
    handshake_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # Open TCP connections per client address, per process (0: no cap). Loopback and trusted
    # proxies are exempt: a reverse proxy carries every client over its own address.
    max_connections_per_address: int = Field(default=200, ge=0)
    connection_cap_exempt: Annotated[list[str], NoDecode] = ["127.0.0.1", "::1"]
    # Idle time after which uvicorn closes a keep-alive connection between requests.
    keep_alive_timeout_seconds: int = Field(default=5, ge=1, le=300)
    db_timeout_ms: int = 3000
    # Connections per process: few, so a SQLite-backed FerretDB is not flooded with writers.
    db_pool_size: int = Field(default=20, ge=1, le=500)
    redis_max_connections: int = 32
    shutdown_grace_seconds: float = 10.0
    ws_impl: str = "websockets-sansio"
    log_level: str = "info"
    # json: one JSON object per line (for log collectors); text: for people at a terminal.
    log_format: Literal["json", "text"] = "json"
    # On SIGTERM, seconds spent draining before the graceful shutdown: still listening, /readyz
    # 503 and new sockets refused, so a load balancer moves new work elsewhere (0: no drain).
    drain_seconds: float = Field(default=0.0, ge=0, le=600)
    # GET /metrics (Prometheus): with METRICS_TOKEN, to `Authorization: Bearer <token>` only.
    # METRICS_ENABLED unset: served only when a token is set; true without a token: served to
    # loopback clients only; false: never.
    metrics_token: str | None = None
    metrics_enabled: bool | None = None
    password_time_cost: int = Field(default=2, ge=1, le=10)
    password_memory_kib: int = Field(default=19 * 1024, ge=8 * 1024, le=1024 * 1024)
    hold_minutes: int = 15
    # Window of the organiser's digest notifications (sign-ups, cancellations, ...): happenings
    # of one kind for one activity within it make one notification, updated in place.
    notify_digest_seconds: float = Field(default=60.0, gt=0, le=86400)
    sweep_interval_seconds: float = 1.0
    # How often each process brings the circle report's daily rollups up to date (reports/)
    report_rollup_seconds: float = Field(default=30.0, gt=0, le=3600)
    # ... but for news of a circle's chat alone at most this often per circle and process: each
    # time rewrites the circle's day from all of the day's facts (and its people table), which
    # in a busy chat cost the send path more than the 10% the reports may take (docs/
    # performance.md, "Keeping the rollups current"). Joins, leaves, sign-ups, payments and
    # check-ins wait for no more than a sweep. 0: every sweep.
    report_chat_rollup_seconds: float = Field(default=300.0, ge=0, le=86400)
    # Search indexing runs in rounds at most this often, each conversation's new messages in
    # one batch (a search catches its conversations up first, so it never waits for a round).
    search_index_delay_seconds: float = Field(default=2.0, ge=0, le=60)
    # how often each process checks that the search index covers the whole log (search/guard.py)
    search_index_check_seconds: float = Field(default=60.0, gt=0, le=3600)
    presence_grace_seconds: float = Field(default=5.0, ge=0, le=30)
    # Uploads (POST /api/uploads): the largest file accepted (bytes); how long an upload no
    # message carries is kept; how often each process looks for such uploads to delete.
    upload_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1, le=512 * 1024 * 1024)
    upload_pending_hours: float = Field(default=24.0, gt=0)
    upload_sweep_seconds: float = Field(default=60.0, gt=0)
    # Joins and leaves of a circle within this many seconds (per process) make one system
    # message in its conversation; 0: no such messages.
    member_notice_seconds: float = Field(default=2.0, ge=0, le=60)

    # Publishing a paid activity (or pricing a free one) needs a verified organiser and the
    # circle's payout account (server/trust/); off: anyone who may post activities may.
    paid_activities_require_verification: bool = True
    # Fernet keys (urlsafe base64, 32 bytes; comma list during a rotation: the first
    # encrypts, all decrypt) for identity-document and account numbers at rest. Unset: a key
    # derived from SECRET_KEY (or the generated one under DATA_DIR).
    document_encryption_keys: Annotated[list[str], NoDecode] = []

    @field_validator(
        "cors_origins",
        "trusted_proxies",
        "connection_cap_exempt",
        "document_encryption_keys",
        mode="before",
    )
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("payment_providers", mode="before")
    @classmethod
    def _split_providers(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip().lower() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            unknown = sorted(set(value) - {"manual", "sandbox"})
            if unknown:
                raise ValueError(f"unknown payment provider(s): {', '.join(unknown)}")
            if not value:
                raise ValueError("enable at least one payment provider")
            return list(dict.fromkeys(value))
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
    def metrics_served(self) -> bool:
        """Whether ``/metrics`` answers anyone: METRICS_ENABLED if set, else whether a token is."""
        return (
            self.metrics_enabled if self.metrics_enabled is not None else bool(self.metrics_token)
        )

    @property
    def embedded_db(self) -> bool:
        return not self.mongodb_url
