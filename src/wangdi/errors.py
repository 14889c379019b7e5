"""One error shape for the whole library: a code, a Chinese message, an English message, details."""

from __future__ import annotations

from typing import Any


class WangdiError(Exception):
    """An error a user can act on. The CLI prints it without a traceback; the API returns it."""

    def __init__(self, code: str, zh: str, en: str = "", details: Any = None) -> None:
        super().__init__(f"{zh} ({en})" if en else zh)
        self.code = code
        self.zh = zh
        self.en = en
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.zh, "message_en": self.en, "details": self.details}
