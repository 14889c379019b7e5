"""Chinese fonts for documents: Debian fonts-noto-cjk (Noto Serif CJK SC ≈ 宋体 for text, Noto Sans CJK SC ≈ 黑体
for headings), installed by `make fonts`. The PDF embeds a subset of each, converted to TrueType outlines
(reportlab embeds TrueType only; the Noto collections carry CFF outlines)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from wangdi.errors import WangdiError

NOTO_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/noto-cjk", "/usr/share/fonts/opentype/noto-cjk")
FACES = {"serif": "NotoSerifCJK-Regular.ttc", "sans": "NotoSansCJK-Bold.ttc"}
SC_INDEX = 2  # in the Debian collections: JP, KR, SC, TC, HK
ASCII = "".join(chr(c) for c in range(32, 127)) + "，。、；：？！“”‘’（）《》【】—…·％／－＋×≥≤±　"
DOCX_NAMES = {"serif": "Noto Serif CJK SC", "sans": "Noto Sans CJK SC"}


def noto(face: str) -> Path:
    for d in NOTO_DIRS:
        p = Path(d) / FACES[face]
        if p.exists():
            return p
    raise WangdiError("font-missing", "没有找到思源（Noto CJK）字体：请运行 make fonts（安装 Debian 的 fonts-noto-cjk）后重试",
                      "Noto CJK fonts not found; run `make fonts` (Debian fonts-noto-cjk)")


def _to_truetype(font: object) -> None:
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    assert isinstance(font, TTFont)
    order = font.getGlyphOrder()
    gs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, {}
    for name in order:
        pen = TTGlyphPen(gs)
        gs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["glyf"], font["loca"] = glyf, newTable("loca")
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    maxp = newTable("maxp")
    maxp.tableVersion, maxp.numGlyphs, maxp.maxZones = 0x00010000, len(order), 1
    for a in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs", "maxStackElements",
              "maxSizeOfInstructions", "maxComponentElements", "maxPoints", "maxContours", "maxCompositePoints",
              "maxCompositeContours", "maxComponentDepth"):
        setattr(maxp, a, 0)
    font["maxp"] = maxp
    font["head"].glyphDataFormat = 0
    font["post"].formatType, font["post"].extraNames, font["post"].mapping = 2.0, [], {}
    font.sfntVersion = "\x00\x01\x00\x00"


def _common() -> str:
    """GB 2312's 6,763 hanzi and symbols: built once, so nearly every document needs no new conversion."""
    out = []
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                out.append(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(out)


def cache_dir() -> Path:
    d = Path(os.environ.get("WANGDI_CACHE") or Path.home() / ".cache" / "wangdi") / "fonts"
    d.mkdir(parents=True, exist_ok=True)
    return d


def subset_ttf(face: str, text: str) -> Path:
    """A TrueType copy of the Noto face covering `text`, cached: converted once for GB 2312 plus any rarer
    characters met so far (a division name's rare character triggers one rebuild that keeps it)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    out, chars_file = cache_dir() / f"noto-{face}-sc.ttf", cache_dir() / f"noto-{face}-sc.chars"
    have = chars_file.read_text(encoding="utf-8") if out.exists() and chars_file.exists() else ""
    need = set(text + ASCII)
    if need <= set(have):
        return out
    chars = "".join(sorted(set(have) | need | set(_common())))
    font = TTFont(str(noto(face)), fontNumber=SC_INDEX, lazy=False)
    opts = subset.Options()
    opts.name_IDs, opts.notdef_outline, opts.layout_features, opts.hinting = ["*"], True, [], False
    sub = subset.Subsetter(opts)
    sub.populate(text=chars)
    sub.subset(font)
    _to_truetype(font)
    tag = f"{os.getpid()}-{hashlib.sha256(chars.encode()).hexdigest()[:8]}"
    tmp, tmp_chars = out.with_name(f"{out.name}.{tag}.part"), chars_file.with_name(f"{chars_file.name}.{tag}.part")
    font.save(str(tmp))
    tmp_chars.write_text(chars, encoding="utf-8")
    tmp.replace(out)
    tmp_chars.replace(chars_file)
    return out


def prepare() -> list[Path]:
    """Convert both faces once (`make fonts` calls this so reports and tests need not)."""
    return [subset_ttf(face, "") for face in FACES]


if __name__ == "__main__":
    for p in prepare():
        print(f"字体已就绪：{p}")
