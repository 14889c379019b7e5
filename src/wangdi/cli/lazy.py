"""Modules imported on first use, so that `wangdi --help` and other light commands start quickly.

`api = lazy("wangdi.api")` behaves like the module once an attribute is read; type checkers see the real
module through an `if TYPE_CHECKING:` import beside it.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class _LazyModule(ModuleType):
    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self.__name__)
        return getattr(module, attr)


def lazy(name: str) -> Any:
    """A stand-in for module `name` that imports it when first used."""
    return _LazyModule(name)
