"""Settings of the web facade, read from the environment (prefix RSME_KG_) by the faces only."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.worker import default_workers
from kg import paths


class Settings(BaseSettings):
    """Every limit is a setting with a sane default."""

    model_config = SettingsConfigDict(env_prefix="RSME_KG_", env_nested_delimiter="__")

    store: Path = Field(
        paths.DIST_DIR / paths.STORE_SUBDIR,
        description="Store folder written by `rsme-kg build` (embedded backend).",
    )
    endpoint: str | None = Field(None, description="A remote SPARQL 1.1 endpoint to serve instead.")
    releases: Path = Field(
        Path("releases"),
        description="Folder of the release bundles written by `rsme-kg release` (one folder "
        "per version), served at /releases and /ontology/{version}; none: no release.",
    )
    query_workers: int = Field(
        default_factory=default_workers,
        ge=1,
        le=64,
        description="Query worker processes (embedded backend).",
    )
    standby_workers: int = Field(
        1,
        ge=0,
        le=64,
        description="Query worker processes kept ready (embedded backend) to take the place of "
        "one whose query runs past `long_query`; 0: none, and long queries keep their worker.",
    )
    long_query: float = Field(
        0.5,
        gt=0,
        description="Seconds after which a running query is set aside (embedded backend): its "
        "worker leaves the pool at a lower priority and a standby worker takes its place, so "
        "slow queries do not hold up the others.",
    )
    query_timeout: float = Field(30.0, gt=0, description="Seconds a query may run.")
    max_rows: int = Field(10_000, ge=1, description="Rows (or triples) per answer; more are cut.")
    max_query_length: int = Field(100_000, ge=100, description="Characters in a query.")
    max_answer_bytes: int = Field(
        64_000_000,
        ge=10_000,
        description="Bytes of an answer read from a remote store (--endpoint), which must also "
        "come whole within the query timeout; a larger one is refused (400 answer-too-large).",
    )
    max_body_bytes: int = Field(1_000_000, ge=1_000, description="Bytes in a request body.")
    body_timeout: float = Field(
        10.0,
        gt=0,
        description="Seconds a client may take to send a whole request body (after its "
        "headers); a slower one gets 408 and the connection is closed.",
    )
    header_timeout: float = Field(
        10.0,
        gt=0,
        description="Seconds a client may take, from opening a connection (or from the end of "
        "the previous answer on it), to send a request's whole head; a slower one is dropped "
        "(`rsme-kg serve` only: api.httpguard).",
    )
    max_header_bytes: int = Field(
        65_536,
        ge=8_192,
        description="Bytes in a request's head (request line and headers); more gets 431 "
        "(`rsme-kg serve` only: api.httpguard).",
    )
    keep_alive_timeout: int = Field(
        5, ge=1, description="Seconds an idle keep-alive connection stays open (uvicorn)."
    )
    max_connections: int = Field(
        1_000,
        ge=1,
        description="Open connections (and running requests) per web server process; more are "
        "answered 503 at once (uvicorn's limit_concurrency).",
    )
    shutdown_timeout: int = Field(
        30, ge=1, description="Seconds running requests get to finish when the server stops."
    )
    service_allowlist: list[str] = Field(
        default_factory=list, description="SERVICE endpoints a query may call (none by default)."
    )
    cors_origins: list[str] = Field(
        default_factory=lambda: ["*"], description="Origins allowed to call the API from a browser."
    )
    cache_bytes: int = Field(
        64_000_000, ge=0, description="Answers cached in memory (the graph is read-only)."
    )
    public_base: str = Field("http://127.0.0.1:8000", description="Public base URL of the server.")
    warmup: bool = Field(
        True,
        description="Compute the answers every build shares right after start (api.warmup), "
        "so that no visitor waits for them.",
    )
