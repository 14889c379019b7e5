"""A validation Report (as in frictionless-py): typed errors, each with where and what."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MAX_ERRORS = 1000  # errors kept in a report; the total is always counted


@dataclass(frozen=True)
class ReportError:
    slug: str  # e.g. unknown-division, below-minimum, type-error
    zh: str
    en: str
    table: str = ""
    sheet: str = ""
    row: int | None = None  # 1-based row in the sheet/file, header = 1
    column: str = ""  # spreadsheet column letter
    field: str = ""
    value: str | None = None

    def location(self) -> str:
        where = f"[{self.sheet or self.table}"
        if self.row is not None:
            where += f" 第{self.row}行"
        if self.column:
            where += f" {self.column}列"
        if self.field:
            where += f" 字段 {self.field}"
        return where + "]"

    def line(self) -> str:
        val = "" if self.value is None else f"（值：{self.value!r}）"
        return f"{self.location()} {self.slug}：{self.zh}{val} — {self.en}"


@dataclass
class Report:
    errors: list[ReportError] = field(default_factory=list)
    total: int = 0
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return self.total == 0

    def add(self, err: ReportError) -> None:
        self.total += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(err)

    def extend(self, errs: list[ReportError], total: int | None = None) -> None:
        room = max(MAX_ERRORS - len(self.errors), 0)
        self.errors.extend(errs[:room])
        self.total += len(errs) if total is None else total

    def as_dict(self) -> dict[str, Any]:
        return {"valid": self.valid, "error_count": self.total, "errors_shown": len(self.errors),
                "truncated": self.total > len(self.errors), "stats": self.stats,
                "errors": [asdict(e) for e in self.errors]}

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_dict(), ensure_ascii=False, indent=2), encoding="utf-8")

    def text(self, limit: int = 50) -> str:
        if self.valid:
            return "校验通过，无错误。"
        lines = [f"发现 {self.total} 处错误（found {self.total} errors），未写入任何数据："]
        lines += [e.line() for e in self.errors[:limit]]
        if self.total > limit:
            lines.append(f"……另有 {self.total - limit} 处错误未显示；用 --report FILE.json 查看完整报告"
                         f"（报告最多保留 {MAX_ERRORS} 条）。")
        return "\n".join(lines)
