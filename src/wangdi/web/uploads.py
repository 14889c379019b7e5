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
from typing import Any, BinaryIO

from wangdi import settings
from wangdi.errors import WangdiError
from wangdi.exchange import import_census
from wangdi.web.auth import User
from wangdi.web.worker import run_limited

SUFFIXES = (".xlsx", ".csv")


STALE_S = 24 * 3600  # an upload not confirmed within a day is removed


def _save(data: bytes | BinaryIO, path: Path) -> int:
    """Write the upload to disk in pieces, refusing it as soon as it passes the size limit."""
    limit = int(settings.max_upload_mb() * 1024 * 1024)
    size = 0
    with path.open("wb") as out:
        chunks = [data] if isinstance(data, bytes) else iter(lambda: data.read(1 << 20), b"")
        for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise WangdiError("upload-too-large", f"文件超过 {settings.max_upload_mb():g} MB，请按乡镇拆分或用命令行 "
                                  "wangdi import", "file too large")
            out.write(chunk)
    return size


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


def _run(path: Path, url: str, user: User, dry_run: bool) -> Any:
    """import_census in a worker process (time and memory limits), so an upload never stalls the server."""
    return run_limited(import_census, path, url, dry_run, None, user.username, None, None, user.scope_code)


def stage(data: bytes | BinaryIO, filename: str, user: User, url: str) -> dict[str, Any]:
    """Save and validate an upload (dry run, with the user's scope and approval locks), in a worker process."""
    user.require("edit")
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise WangdiError("unsupported-format", f"请上传 .xlsx 普查工作簿或 .csv 文件，收到 {filename[:60]}",
                          "upload an .xlsx workbook or a .csv file")
    _sweep()
    token = secrets.token_urlsafe(12)
    folder = _folder(user, token)
    folder.mkdir()
    path = folder / _safe_name(filename, suffix)
    try:
        size = _save(data, path)
        if not size:
            raise WangdiError("empty-upload", "上传的文件是空的", "the uploaded file is empty")
        res = _run(path, url, user, dry_run=True)
    except BaseException:
        _remove(folder)
        raise
    if not res.report.valid:
        _remove(folder)
    return _summary(res, token if res.report.valid else "", filename)


def confirm(token: str, user: User, url: str) -> dict[str, Any]:
    """Write a staged upload (validated again inside the writing transaction: all or nothing)."""
    user.require("edit")
    path = _staged(user, token)
    if path is None:
        raise WangdiError("upload-not-found", "上传记录不存在或已过期，请重新上传", "unknown upload")
    try:
        res = _run(path, url, user, dry_run=False)
    finally:
        _remove(path.parent)
    out = _summary(res, token, path.name)
    if not res.written:
        raise WangdiError("import-invalid", "数据未通过校验，未写入任何数据", "validation failed; nothing written", out)
    return out
