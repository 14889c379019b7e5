"""Charts for reports: matplotlib with an embedded CJK font, written as PNG."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from wangdi.errors import WangdiError

FONT_CANDIDATES = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
                   "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


def cjk_font() -> Path:
    """A TrueType CJK font on this machine (Debian fonts-wqy-microhei, installed by `make fonts`)."""
    for c in FONT_CANDIDATES:
        if Path(c).exists():
            return Path(c)
    raise WangdiError("font-missing", "没有找到中文字体：请运行 make fonts（安装 Debian 的 fonts-wqy-microhei）后重试",
                      "no CJK font found; run `make fonts` (Debian fonts-wqy-microhei)")


def _setup() -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager, rcParams

    path = cjk_font()
    font_manager.fontManager.addfont(str(path))
    rcParams["font.family"] = font_manager.FontProperties(fname=str(path)).get_name()
    rcParams["axes.unicode_minus"] = False


def targets_chart(targets: pl.DataFrame, out: Path, title: str) -> Path | None:
    """Measured value against the required value for each share target of the region (one bar pair each)."""
    rows = [r for r in targets.filter((pl.col("unit") == "share") & pl.col("observed").is_not_null()
                                      & pl.col("required_min").is_not_null()).iter_rows(named=True)]
    if not rows:
        return None
    _setup()
    import matplotlib.pyplot as plt

    labels = [f"{r['目标']}\n{r['地区']}" for r in rows][:12]
    measured = [100 * float(r["observed"]) for r in rows][:12]
    required = [100 * float(r["required_min"]) for r in rows][:12]
    fig, ax = plt.subplots(figsize=(8, 0.5 + 0.55 * len(labels)), dpi=150)
    y = range(len(labels))
    ax.barh([i + 0.2 for i in y], measured, height=0.4, color="#4472C4", label="现状")
    ax.barh([i - 0.2 for i in y], required, height=0.4, color="#C0C0C0", label="目标")
    ax.set_yticks(list(y), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("%")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def history_chart(history: pl.DataFrame, out: Path, title: str) -> Path | None:
    """Progress of each region-level target over the stored evaluation runs."""
    h = history.filter(pl.col("value").is_not_null()).sort("started_at")
    if h.is_empty():
        return None
    _setup()
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.6), dpi=150)
    for (rule, entity), part in list(h.group_by("rule_id", "entity_code", maintain_order=True))[:8]:
        ax.plot(range(1, part.height + 1), part["value"].to_list(), marker="o", label=f"{rule} {entity}")
    ax.set_xlabel("评估批次（按时间）")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=6, loc="best")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out
