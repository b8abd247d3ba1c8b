"""The book's sources follow book/CONTRIBUTING.md: pages exist, notebooks are paired and in sync,
and every notebook opens with the Colab setup cell, the parameters cell and the provenance banner.

Nothing is executed here; ``make test`` executes the notebooks under nbval and builds the site.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

pytest.importorskip("jupytext", reason="the book extras are not installed: pip install -e '.[book]'")
nbformat = pytest.importorskip("nbformat")
yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("build_book", ROOT / "scripts" / "build_book.py")
build_book = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_book)

NOTEBOOKS = build_book.notebook_sources()


def _ids(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _cells(nb) -> list[tuple[str, str, list[str]]]:
    return [(c.cell_type, c.source, list(c.metadata.get("tags", []))) for c in nb.cells]


def test_every_toc_entry_has_a_source():
    pages = build_book.resolve_pages(ROOT / "_toc.yml")  # raises BuildError naming missing pages
    assert pages[0][0] == "book/intro"


@pytest.mark.parametrize("source", NOTEBOOKS, ids=_ids)
def test_paired_ipynb_has_the_cells_of_the_md_and_no_outputs(source):
    paired = source.with_suffix(".ipynb")
    assert paired.exists(), f"{_ids(paired)} is missing: run `make sync`"
    committed = nbformat.read(paired, as_version=4)
    assert _cells(committed) == _cells(build_book.paired_notebook(source)), \
        f"{_ids(paired)} differs from {_ids(source)}: run `make sync`"
    for cell in committed.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, \
                f"{_ids(paired)} is committed with outputs: run `make sync`"


@pytest.mark.parametrize("source", NOTEBOOKS, ids=_ids)
def test_notebook_opens_with_colab_setup_parameters_and_banner(source):
    meta = build_book.front_matter(source)
    assert meta["jupytext"]["formats"] == "ipynb,md:myst"
    assert meta["kernelspec"]["name"] == "python3"
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    code = [c for c in build_book.read_notebook(source).cells if c.cell_type == "code"]
    assert len(code) >= 3, "a notebook starts with three code cells: Colab setup, parameters, banner"
    setup, params, banner = code[:3]
    assert "nbval-skip" in setup.metadata.get("tags", []), "the Colab setup cell is tagged nbval-skip"
    assert 'if "google.colab" in sys.modules:' in setup.source
    assert f'%pip install -q "lnl[book] @ git+{repo}"' in setup.source, \
        f"the Colab setup cell installs lnl[book] from {repo} (_config.yml)"
    assert "parameters" in params.metadata.get("tags", []), "the second code cell is tagged parameters"
    assert re.search(r'^profile\s*=\s*"auto"', params.source, re.M), 'the parameters cell sets profile = "auto"'
    assert "profile = lnl.book.resolve_profile(profile)" in banner.source
    assert "print(lnl.book.banner(profile))" in banner.source


@pytest.mark.parametrize("url, expected", [
    ("https://github.com/owner/name", "https://github.com/owner/name"),
    ("https://github.com/owner/name.git", "https://github.com/owner/name"),
    ("https://x-access-token:secret@github.com/owner/name.git", "https://github.com/owner/name"),
    ("git@github.com:owner/name.git", "https://github.com/owner/name"),
    ("ssh://git@github.com/owner/name", "https://github.com/owner/name"),
    ("/srv/git/name.git", None),
    ("https://gitlab.com/owner/name", None),
])
def test_repository_url_from_git_remotes(url, expected):
    assert build_book.github_url(url) == expected


def test_repository_url_prefers_the_environment(monkeypatch):
    monkeypatch.setenv("LNL_REPOSITORY", "someone/lnl")
    assert build_book.repository_url("https://github.com/fallback/x") == \
        ("https://github.com/someone/lnl", "$LNL_REPOSITORY")


def test_committed_notebook_of_a_higher_profile_is_preferred(tmp_path):
    source = tmp_path / "part" / "page.md"
    (source.parent / "executed").mkdir(parents=True)
    assert build_book.committed_executed(source, "cpu") is None
    (source.parent / "executed" / "page.gpu.ipynb").write_text("{}")
    assert build_book.committed_executed(source, "cpu")[0] == "gpu"
    assert build_book.committed_executed(source, "gpu") is None   # a gpu build executes itself
    (source.parent / "executed" / "page.paper.ipynb").write_text("{}")
    assert build_book.committed_executed(source, "smoke")[0] == "paper"


def test_protocol_ignores_seed_and_device_only():
    import lnl.book
    from lnl.engine import RunConfig

    cfg = RunConfig(method="mixnn", method_params={"weights": "avg"}).to_dict()
    assert lnl.book.protocol(cfg) == lnl.book.protocol({**cfg, "seed": 3, "device": "cuda"})
    for change in ({"method_params": {"weights": "gmm"}}, {"lr": 0.1}, {"test_per_class": 5}):
        assert lnl.book.protocol(cfg) != lnl.book.protocol({**cfg, **change})
