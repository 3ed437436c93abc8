"""What the web app is configured with: the store, sessions, cookies, rate limits, upload limits.

Every value has a safe default for a server on 127.0.0.1; ``from_env`` reads the ``REMISSION_*``
variables a deployment sets (``remission serve`` passes its options through the same model).
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["WebSettings"]


class WebSettings(BaseModel):
    """Settings of one web app instance (frozen)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    db_url: str | None = Field(
        None, description="Store URL or SQLite path; None: REMISSION_DB, else the default file."
    )
    session_cookie: str = "remission_session"
    login_cookie: str = Field(
        "remission_login", description="Cookie holding the pre-session CSRF token of /login."
    )
    cookie_secure: bool = Field(
        False,
        description="Send cookies over HTTPS only. Must be True behind HTTPS; False suits plain "
        "http on 127.0.0.1.",
    )
    session_idle_minutes: int = Field(
        120, ge=1, description="A session unused this long expires (sliding)."
    )
    session_max_hours: int = Field(
        12, ge=1, description="A session ends this long after sign-in, used or not."
    )
    session_check_seconds: float = Field(
        5.0,
        ge=0,
        le=60,
        description="How long a worker may trust a session it has checked in the store without "
        "asking again (0: ask on every request). A sign-out, password change or removal made "
        "through the same worker takes effect at once; through another worker or the CLI, "
        "within this time.",
    )
    server_gc: bool = Field(
        False,
        description="Tune Python's garbage collector for a long-running server process: freeze "
        "what is loaded at start-up and collect the youngest generation less often "
        "(remission.web.app._warm_up). from_env, which `remission serve` uses, turns it on "
        "(REMISSION_SERVER_GC=0 turns it off); apps made in tests leave their process alone.",
    )
    login_attempts: int = Field(
        5, ge=1, description="Failed sign-ins allowed per user name and client in the window."
    )
    login_window_minutes: int = Field(15, ge=1)
    max_file_bytes: int = Field(5_000_000, ge=1, description="Largest uploaded file.")
    max_request_bytes: int = Field(
        50_000_000, ge=1, description="Largest request body (all files of an import together)."
    )
    max_files: int = Field(500, ge=1, description="Most files in one import.")
    deid_key: str | None = Field(
        None,
        repr=False,
        description="Key of the de-identified exports (REMISSION_DEID_KEY); None: not offered.",
    )

    @classmethod
    def from_env(cls, **overrides: Any) -> WebSettings:
        """Settings from ``REMISSION_DB``, ``REMISSION_DEID_KEY``, ``REMISSION_COOKIE_SECURE`` and
        ``REMISSION_SERVER_GC`` (default on), then ``overrides``."""
        values: dict[str, Any] = {}
        if os.environ.get("REMISSION_DB", "").strip():
            values["db_url"] = os.environ["REMISSION_DB"].strip()
        if os.environ.get("REMISSION_DEID_KEY", "").strip():
            values["deid_key"] = os.environ["REMISSION_DEID_KEY"].strip()
        secure = os.environ.get("REMISSION_COOKIE_SECURE", "").strip().lower()
        if secure:
            values["cookie_secure"] = secure in ("1", "true", "yes", "on")
        server_gc = os.environ.get("REMISSION_SERVER_GC", "1").strip().lower()
        values["server_gc"] = server_gc in ("1", "true", "yes", "on")
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
