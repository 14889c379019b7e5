"""Session fixtures: each pack's clause census is written, imported and evaluated once per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.clauses import baoding_census, ganzhou_census, kaifeng_census, ordos_census, yanggu_census
from tests.clauses.census import Census


def _census(tmp_path_factory: pytest.TempPathFactory, module: object) -> Iterator[Census]:
    c = Census(module.REGION, module.CENSUS_DATE, module.ROWS,  # type: ignore[attr-defined]
               tmp_path_factory.mktemp(module.__name__.rsplit(".", 1)[-1]))
    yield c
    c.close()


@pytest.fixture(scope="session")
def ganzhou(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Census]:
    yield from _census(tmp_path_factory, ganzhou_census)


@pytest.fixture(scope="session")
def yanggu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Census]:
    yield from _census(tmp_path_factory, yanggu_census)


@pytest.fixture(scope="session")
def ordos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Census]:
    yield from _census(tmp_path_factory, ordos_census)


@pytest.fixture(scope="session")
def baoding(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Census]:
    yield from _census(tmp_path_factory, baoding_census)


@pytest.fixture(scope="session")
def kaifeng(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Census]:
    yield from _census(tmp_path_factory, kaifeng_census)
