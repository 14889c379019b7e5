"""Printing user text safely: Rich markup in a name or path (`[/x]`) never crashes a command, and control
characters (terminal escape sequences in an audit entry) are shown as visible codes, never obeyed."""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console
from rich.errors import MarkupError
from rich.markup import escape, render

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_STYLE_TAG = re.compile(r"\\\[(/?(?:bold|red|yellow|green|dim|cyan|italic)?)\]")


def visible(text: object) -> str:
    """`text` with control characters written out (ESC -> \\x1b), newlines and tabs kept."""
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def markup_safe(text: str) -> str:
    """Escape every '[' except the few style tags the CLI itself writes; if what is left is not valid markup
    (e.g. a stray closing tag from user text), escape everything."""
    candidate = _STYLE_TAG.sub(r"[\1]", escape(visible(text)))
    try:
        render(candidate)
    except MarkupError:
        return escape(visible(text))
    return candidate


class SafeConsole(Console):
    """A Rich console whose strings (print arguments and table cells alike) are made safe first."""

    def render_str(self, text: str, *args: Any, **kwargs: Any) -> Any:
        return super().render_str(markup_safe(text), *args, **kwargs)
