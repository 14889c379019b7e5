"""`wangdi users | serve`: web users and the web server, over wangdi.web."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.table import Table

from wangdi.cli.core import _json, app, console

users = typer.Typer(help="网页用户 (web users, roles and scopes)", no_args_is_help=True)
app.add_typer(users, name="users")


@users.command("add")
def users_add(name: str,
              role: Annotated[str, typer.Option("--role", help="administrator / analyst / data_entry / approver / viewer")],
              scope: Annotated[str, typer.Option("--scope", help="区划代码：用户只能看到该区划以下的数据；空为全部")] = "",
              password: Annotated[str | None, typer.Option("--password", help="不给则读 WANGDI_PASSWORD 或提示输入")] = None,
              display_name: Annotated[str, typer.Option("--display-name")] = "") -> None:
    """新增或更新网页用户 (add or replace a web user)."""
    from wangdi.web import auth

    pw = password or os.environ.get("WANGDI_PASSWORD") or typer.prompt("密码", hide_input=True,
                                                                          confirmation_prompt=True)
    u = auth.add_user(name, pw, role, scope, display_name, actor=os.environ.get("USER", "cli"))
    console.print(f"用户 {u.username} 已保存：角色 {auth.ROLES[u.role]}，范围 {u.public()['scope_name']}")


@users.command("disable")
def users_disable(name: str) -> None:
    """停用网页用户并结束其会话 (disable a web user and end their sessions)."""
    from wangdi.web import auth

    auth.disable_user(name, actor=os.environ.get("USER", "cli"))
    console.print(f"用户 {name} 已停用，其登录会话已全部结束。")


@users.command("list")
def users_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """列出网页用户 (list web users)."""
    from wangdi.web import auth

    rows = auth.list_users()
    if as_json:
        _json(rows)
        return
    t = Table("用户名", "角色", "范围", "姓名", "启用")
    for r in rows:
        t.add_row(r["username"], auth.ROLES.get(r["role"], r["role"]), r["scope_code"] or "全部", r["display_name"] or "",
                  "是" if r["active"] else "否")
    console.print(t)


@app.command("serve")
def serve(host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
          port: Annotated[int, typer.Option("--port")] = 8000,
          workers: Annotated[int, typer.Option("--workers", help="进程数（SQLite 建议 1–2）")] = 1) -> None:
    """启动网页服务 (start the web app with uvicorn on the configured database)."""
    import uvicorn

    from wangdi import settings
    from wangdi.registry import store

    url = settings.database_url()
    store.init_db(url)
    console.print(f"网底 wangdi 网页服务：http://{host}:{port}/  （数据库 {url}；Ctrl+C 停止）")
    proxies = settings.trusted_proxies()  # X-Forwarded-For only from these (WANGDI_TRUSTED_PROXIES)
    uvicorn.run("wangdi.web.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="warning", access_log=False, proxy_headers=bool(proxies),
                forwarded_allow_ips=",".join(sorted(proxies)) or None)
