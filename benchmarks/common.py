"""Shared set-up for the city benchmarks: a synthetic census of a region imported into a fresh SQLite file."""

from __future__ import annotations

from pathlib import Path

from wangdi import api


def city_census(region: str, folder: Path, seed: int = 1) -> str:
    url = f"sqlite:///{folder / 'city.sqlite'}"
    api.synth(region, folder / "census", seed=seed, fmt="parquet")
    api.import_census(folder / "census", url=url)
    return url
