"""wangdi web app: server-rendered Chinese pages and a JSON API over the same library calls."""

from wangdi.web.app import create_app

__all__ = ["create_app"]
