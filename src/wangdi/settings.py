"""Settings from the environment (WANGDI_*), with embedded defaults."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB = Path("var/wangdi.sqlite")


def database_url() -> str:
    """`WANGDI_DATABASE_URL` (SQLite path or URL, or a PostgreSQL URL); default var/wangdi.sqlite."""
    raw = os.environ.get("WANGDI_DATABASE_URL", "").strip()
    if not raw:
        return f"sqlite:///{DEFAULT_DB}"
    if "://" not in raw:
        return f"sqlite:///{raw}"
    if raw.startswith("postgresql://"):
        return "postgresql+psycopg://" + raw[len("postgresql://"):]
    return raw


def actor() -> str:
    """Who is writing, for the audit log: WANGDI_USER, else the OS user."""
    return os.environ.get("WANGDI_USER") or os.environ.get("USER") or "cli"


def busy_timeout_s() -> float:
    """`WANGDI_BUSY_TIMEOUT_S`: how long a write waits for another writer (an import) before "busy"; default 60."""
    try:
        return max(0.0, float(os.environ.get("WANGDI_BUSY_TIMEOUT_S", "60")))
    except ValueError:
        return 60.0
