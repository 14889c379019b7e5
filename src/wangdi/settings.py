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


def _number(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return value if value > 0 else default


def upload_timeout_s() -> float:
    """`WANGDI_UPLOAD_TIMEOUT_S`: longest a web upload may take to validate (in its own process); default 300."""
    return _number("WANGDI_UPLOAD_TIMEOUT_S", 300)


def upload_memory_mb() -> int:
    """`WANGDI_UPLOAD_MEMORY_MB`: memory (address space) an upload's worker process may use; default 3072."""
    return int(_number("WANGDI_UPLOAD_MEMORY_MB", 3072))


def max_upload_mb() -> float:
    """`WANGDI_MAX_UPLOAD_MB`: largest upload body accepted; default 200. Other requests: at most 1 MB."""
    return _number("WANGDI_MAX_UPLOAD_MB", 200)


def max_sheet_rows() -> int:
    """`WANGDI_MAX_SHEET_ROWS`: a workbook sheet (or CSV file) with more rows is refused before it is read; default
    500,000 (larger tables go as CSV/Parquet folders through `wangdi import`)."""
    return int(_number("WANGDI_MAX_SHEET_ROWS", 500_000))


def max_sheet_columns() -> int:
    """`WANGDI_MAX_SHEET_COLUMNS`: a sheet whose cells reach beyond this column is refused unread; default 200."""
    return int(_number("WANGDI_MAX_SHEET_COLUMNS", 200))


def trusted_proxies() -> set[str]:
    """`WANGDI_TRUSTED_PROXIES`: comma-separated addresses of reverse proxies whose X-Forwarded-For is believed
    (for login limits and the audit log). Empty (default): the header is ignored."""
    return {p.strip() for p in os.environ.get("WANGDI_TRUSTED_PROXIES", "").split(",") if p.strip()}
