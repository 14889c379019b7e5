"""The `wangdi` command. `app` knows every command: importing this package registers them all.

`core` holds the app, the console and the census commands; `policy` and `web` add theirs on import.
"""

from wangdi.cli import cycle, indicators, policy, web  # noqa: F401 - register their commands on `app`
from wangdi.cli.core import app, console, main

__all__ = ["app", "console", "main"]
