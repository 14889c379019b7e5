"""Run an upload's validation (or write) in a separate process with a time and a memory limit, so one
workbook can neither hold the server's event loop nor eat its memory."""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
from collections.abc import Callable
from typing import Any

from wangdi import settings
from wangdi.errors import WangdiError

_CTX: Any = None


def _context() -> Any:
    global _CTX
    if _CTX is None:
        _CTX = mp.get_context("forkserver")
        _CTX.set_forkserver_preload(["wangdi.exchange"])
    return _CTX


def _child(conn: Any, env: dict[str, str], memory_mb: int, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    os.environ.update(env)
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        conn.send(("ok", fn(*args)))
    except WangdiError as e:
        conn.send(("error", (e.code, e.zh, e.en, e.details)))
    except MemoryError:
        conn.send(("memory", None))
    except Exception as e:  # reported by the parent as an internal error, with the type named
        conn.send(("crash", f"{type(e).__name__}: {str(e)[:300]}"))
    finally:
        conn.close()


def run_limited(fn: Callable[..., Any], *args: Any, timeout_s: float | None = None,
                memory_mb: int | None = None) -> Any:
    """`fn(*args)` in a worker process; WangdiErrors come back as they are; over time or memory: a clear error."""
    timeout_s = timeout_s or settings.upload_timeout_s()
    memory_mb = memory_mb or settings.upload_memory_mb()
    ctx = _context()
    parent, child = ctx.Pipe(duplex=False)
    env = {k: v for k, v in os.environ.items() if k.startswith("WANGDI_")}
    proc = ctx.Process(target=_child, args=(child, env, memory_mb, fn, args), daemon=True)
    proc.start()
    child.close()
    try:
        if not parent.poll(timeout_s):
            raise WangdiError("upload-timeout", f"文件校验超过 {timeout_s:g} 秒，已停止。请按乡镇拆分文件，"
                              "或请管理员用命令行 wangdi import 导入", "validation took too long; stopped")
        try:
            kind, value = parent.recv()
        except EOFError:
            kind, value = "memory", None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        parent.close()
    if kind == "ok":
        return value
    if kind == "error":
        raise WangdiError(*value)
    if kind == "memory":
        raise WangdiError("upload-too-large", f"文件校验所需内存超过 {memory_mb} MB，已停止。请按乡镇拆分文件",
                          "validation needed too much memory; stopped")
    raise RuntimeError(value)
