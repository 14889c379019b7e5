"""Census upload in two steps: validate (nothing written) and show the report; confirm to write.

The uploaded file waits under the upload folder with a random token bound to its user."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from wangdi.errors import WangdiError
from wangdi.exchange import import_census
from wangdi.web.auth import User

SUFFIXES = (".xlsx", ".csv")
MAX_BYTES = 200 * 1024 * 1024


STALE_S = 24 * 3600  # an upload not confirmed within a day is removed


def upload_dir() -> Path:
    d = Path(os.environ.get("WANGDI_UPLOAD_DIR", "var/uploads"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def _sweep() -> None:
    now = time.time()
    for p in upload_dir().iterdir():
        if now - p.stat().st_mtime > STALE_S:
            _remove(p)


def _remove(p: Path) -> None:
    if p.is_dir():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


def _owner(user: User) -> str:
    return hashlib.sha256(user.username.encode()).hexdigest()[:10]


def _folder(user: User, token: str) -> Path:
    if not token.replace("-", "").replace("_", "").isalnum() or len(token) > 64:
        raise WangdiError("upload-not-found", "上传记录不存在或已过期，请重新上传", "unknown upload")
    return upload_dir() / f"{_owner(user)}-{token}"


def _safe_name(filename: str, suffix: str) -> str:
    """The file name as uploaded, without any folder part or odd characters: a CSV's name says its table."""
    stem = re.sub(r"[^\w\u4e00-\u9fff-]", "_", Path(filename.replace("\\", "/")).stem)[:60] or "upload"
    return stem + suffix


def _staged(user: User, token: str) -> Path | None:
    folder = _folder(user, token)
    files = sorted(folder.glob("*")) if folder.is_dir() else []
    return files[0] if files else None


def _summary(res: Any, token: str, filename: str) -> dict[str, Any]:
    return {"token": token, "filename": filename, "valid": res.report.valid, "written": res.written,
            "effective": str(res.effective) if res.effective else None, "counts": res.counts, "batch": res.batch,
            "report": res.report.as_dict(), "report_text": res.report.text(20)}


def stage(data: bytes, filename: str, user: User, url: str) -> dict[str, Any]:
    """Save and validate an upload (dry run, with the user's scope and approval locks)."""
    user.require("edit")
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise WangdiError("unsupported-format", f"请上传 .xlsx 普查工作簿或 .csv 文件，收到 {filename[:60]}",
                          "upload an .xlsx workbook or a .csv file")
    if not data:
        raise WangdiError("empty-upload", "上传的文件是空的", "the uploaded file is empty")
    if len(data) > MAX_BYTES:
        raise WangdiError("upload-too-large", "文件超过 200 MB，请按乡镇拆分或用命令行 wangdi import", "file too large")
    _sweep()
    token = secrets.token_urlsafe(12)
    folder = _folder(user, token)
    folder.mkdir()
    path = folder / _safe_name(filename, suffix)
    path.write_bytes(data)
    res = import_census(path, url=url, dry_run=True, actor=user.username, scope=user.scope_code)
    if not res.report.valid:
        _remove(folder)
    return _summary(res, token if res.report.valid else "", filename)


def confirm(token: str, user: User, url: str) -> dict[str, Any]:
    """Write a staged upload (validated again inside the writing transaction: all or nothing)."""
    user.require("edit")
    path = _staged(user, token)
    if path is None:
        raise WangdiError("upload-not-found", "上传记录不存在或已过期，请重新上传", "unknown upload")
    res = import_census(path, url=url, actor=user.username, scope=user.scope_code)
    _remove(path.parent)
    out = _summary(res, token, path.name)
    if not res.written:
        raise WangdiError("import-invalid", "数据未通过校验，未写入任何数据", "validation failed; nothing written", out)
    return out
