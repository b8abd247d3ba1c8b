"""The book's sources follow book/CONTRIBUTING.md: pages exist, notebooks are paired and in sync,
and every notebook opens with the Colab setup cell, the parameters cell and the provenance banner.

Nothing is executed here; ``make test`` builds the site at smoke, executing each notebook once.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from pathlib import Path

import pytest

pytest.importorskip("jupytext", reason="the book extras are not installed: pip install -e '.[book]'")
nbformat = pytest.importorskip("nbformat")
yaml = pytest.importorskip("yaml")

from lnl import plans  # noqa: E402

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


def test_the_sites_notebooks_install_the_code_they_were_built_from():
    cell = {"cell_type": "code", "source": ['if "google.colab" in sys.modules:\n',
                                            '    %pip install -q "lnl[book] @ git+https://github.com/lnl-book/lnl"']}
    text = json.dumps({"cells": [cell, {"cell_type": "markdown", "source": "lnl-book/lnl"}]})
    pinned = json.loads(build_book.pin_install(text, "https://github.com/lnl-book/lnl",
                                               "https://github.com/me/fork", "ab12"))
    assert pinned["cells"][0]["source"].endswith('%pip install -q "lnl[book] @ git+https://github.com/me/fork@ab12"')
    assert pinned["cells"][1]["source"] == "lnl-book/lnl"                 # prose is left as it is
    unpinned = json.loads(build_book.pin_install(text, "https://github.com/lnl-book/lnl",
                                                 "https://github.com/me/fork", None))
    assert unpinned["cells"][0]["source"].endswith('git+https://github.com/me/fork"')


def test_the_sites_notebooks_fold_their_plumbing():
    cells = [{"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "profile = 'auto'"},
             {"cell_type": "code", "metadata": {"tags": ["injected-parameters"]}, "source": "profile = 'cpu'"},
             {"cell_type": "code", "metadata": {}, "source": "import lnl.book\npage = lnl.book.setup(PAGE, profile)"},
             {"cell_type": "code", "metadata": {}, "source": "lnl.book.banner(profile)  # a later cell"}]
    nb = json.loads(build_book.fold_plumbing(json.dumps({"cells": cells})))
    assert [c["metadata"]["tags"] for c in nb["cells"]] == [["parameters"], ["injected-parameters", "hide-input"],
                                                          ["hide-input"], []]


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
    if "lnl.book.setup(PAGE, profile, records_dir" not in banner.source:    # a page without a plan
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


CPU_BOOK_S = 20 * 60          # `make book` at cpu, all chapters together, on 2 cores
RENDER_S = 15                 # the build besides the notebooks (jupytext, a first MathJax, jupyter-book): 10 s measured
                              # fetch took 11 s from a fresh clone


@pytest.mark.parametrize("source", NOTEBOOKS, ids=_ids)
def test_every_notebook_states_its_budget(source):
    for profile, most in (("smoke", 60), ("cpu", 10 * 60)):
        budget = build_book.budget_of(source, profile)
        assert budget is not None, f"{_ids(source)} states no {profile} budget (budget_s in its front matter)"
        assert 0 < budget <= most, f"{_ids(source)}: a {profile} budget of {budget:.0f} s is over {most} s"


def test_the_cpu_budgets_fit_the_book_budget():
    """The training stage, then the pages two at a time (2 cores), then rendering."""
    pages = [source for _, source, is_nb in build_book.resolve_pages(ROOT / "_toc.yml") if is_nb]
    stage = build_book.makespan([build_book.budget_of(p, "cpu") or 0 for p in pages], jobs=2)
    total = build_book.TRAIN_BUDGET_S["cpu"] + stage
    assert total + RENDER_S <= CPU_BOOK_S, \
        (f"the cpu budgets (the training stage's, then every page's two at a time) add up to {total:.0f} s; "
         f"with rendering that is over {CPU_BOOK_S // 60} minutes")


def test_makespan_puts_the_longest_first_on_the_freest_worker():
    assert build_book.makespan([3, 3, 2, 2, 2], jobs=2) == 7        # 3+2+2 | 3+2
    assert build_book.makespan([5, 1, 1], jobs=2) == 5
    assert build_book.makespan([5, 1, 1], jobs=1) == 7
    assert build_book.makespan([], jobs=2) == 0


def test_budget_summary_counts_the_training_stage():
    text = build_book.budget_summary({build_book.TRAINING: (500.0, 600.0), "book/a": (50.0, 60.0)}, "cpu")
    assert text.splitlines()[1].startswith(build_book.TRAINING)
    assert text.splitlines()[-1].split()[:3] == ["all", "550.0", "660"]


def test_budget_summary_flags_what_is_over():
    text = build_book.budget_summary({"book/a": (50.0, 60.0), "book/b": (70.0, 60.0)}, "cpu")
    lines = text.splitlines()
    assert lines[1].endswith("60") and lines[2].endswith("OVER") and lines[-1].startswith("all notebooks")
    assert lines[-1].endswith("OVER") is False and "120" in lines[-1]


def _fake_registry(tmp_path, tamper=False):
    """A local npm registry serving mathjax 3.2.2 (and a 4.0.0 that must not be taken)."""
    import base64
    import functools
    import hashlib
    import io
    import json
    import tarfile
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in (("package/es5/tex-chtml.js", b"/* mathjax */"), ("package/package.json", b"{}")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    blob = buf.getvalue()
    (tmp_path / "mathjax-3.2.2.tgz").write_bytes(blob + (b"x" if tamper else b""))
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path)))
    base = f"http://127.0.0.1:{server.server_address[1]}"
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(blob).digest()).decode()
    doc = {"versions": {v: {"dist": {"tarball": f"{base}/mathjax-3.2.2.tgz", "integrity": integrity}}
                        for v in ("3.1.0", "3.2.2", "4.0.0")}}
    (tmp_path / "mathjax").write_text(json.dumps(doc))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, base


def test_mathjax_without_npm_comes_from_the_registry(tmp_path):
    (tmp_path / "reg").mkdir()
    server, base = _fake_registry(tmp_path / "reg")
    try:
        build_book.fetch_mathjax(tmp_path / "out", registry=base)
    finally:
        server.shutdown()
    assert (tmp_path / "out" / "es5" / "tex-chtml.js").read_bytes() == b"/* mathjax */"


def test_mathjax_tarball_failing_its_integrity_check_is_refused(tmp_path):
    (tmp_path / "reg").mkdir()
    server, base = _fake_registry(tmp_path / "reg", tamper=True)
    try:
        with pytest.raises(build_book.BuildError, match="integrity check"):
            build_book.fetch_mathjax(tmp_path / "out", registry=base)
    finally:
        server.shutdown()
    assert not (tmp_path / "out").exists()


def test_every_notebook_is_in_the_toc():
    """nbval and the book execute the notebooks of the table of contents; one left out of it would
    rot unexecuted."""
    in_toc = {source for _, source, _ in build_book.resolve_pages(ROOT / "_toc.yml")}
    assert [_ids(s) for s in NOTEBOOKS if s not in in_toc] == []


def test_pages_execute_one_at_a_time_on_a_gpu_machine(monkeypatch):
    import torch

    monkeypatch.setenv("LNL_JOBS", "4")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert build_book.page_jobs() == 4
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert build_book.page_jobs() == 1


def test_page_environment_gives_each_kernel_one_thread_and_restores(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "3")
    with build_book.page_environment(2):
        assert os.environ["OMP_NUM_THREADS"] == "1" and os.environ["MKL_NUM_THREADS"] == "1"
    assert "OMP_NUM_THREADS" not in os.environ and os.environ["MKL_NUM_THREADS"] == "3"
    with build_book.page_environment(1):
        assert "OMP_NUM_THREADS" not in os.environ


# ----------------------------------------------------------------------------------------------
# Colab: the plan auto picks there fits one session, and every page says what it costs first
# ----------------------------------------------------------------------------------------------

def test_auto_is_cpu_on_colab_and_gpu_on_other_cuda_machines(monkeypatch):
    from lnl import book

    monkeypatch.setattr("torch.cuda.is_available", lambda: True)
    assert book.resolve_profile("auto") == "gpu"
    monkeypatch.setitem(sys.modules, "google.colab", type(sys)("google.colab"))
    assert book.resolve_profile("auto") == "cpu"
    assert book.resolve_profile("gpu") == "gpu"                  # asked for by name, it is kept
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    assert book.resolve_profile("auto") == "cpu"


@pytest.mark.parametrize("page", plans.pages())
def test_the_colab_plan_of_every_page_fits_one_session(page, monkeypatch):
    from lnl import book, campaign

    monkeypatch.setitem(sys.modules, "google.colab", type(sys)("google.colab"))
    profile = book.resolve_profile("auto")
    line = book.cost_line(page, profile)
    assert line.startswith(f"On a Colab T4 this {profile} plan") and "it fits one session" in line
    t4 = sum(campaign.estimate_s(p, "t4")[0] for p in plans.unique(plans.plan(page, profile)))
    assert t4 <= book.COLAB_SESSION_S
    gpu = sum(campaign.estimate_s(p, "t4")[0] for p in plans.unique(plans.plan(page, "gpu")))
    assert gpu > book.COLAB_SESSION_S and f"gpu plan ({len(plans.unique(plans.plan(page, 'gpu')))} runs" in line


def test_a_plan_over_the_session_says_so():
    from lnl import book

    line = book.cost_line("mixnn/replication", "gpu")
    assert "does not fit one session" in line and " h by a FLOP estimate" in line and "The page's gpu plan" not in line


@pytest.mark.parametrize("source", NOTEBOOKS, ids=_ids)
def test_every_planned_page_sets_up_from_its_parameters_before_it_trains(source):
    """lnl.book.setup prints the plan's cost (and whether it runs off its plan) before anything
    trains; the page passes it the parameters that change its runs."""
    cells = [c for c in build_book.read_notebook(source).cells if c.cell_type == "code"]
    text = "\n".join(c.source for c in cells)
    if "lnl.book.setup(" not in text:
        assert "lnl.plans.plan(PAGE" not in text, "a page with a plan sets up with lnl.book.setup"
        pytest.skip("the page trains no plan")
    call = text[text.index("page = lnl.book.setup(PAGE, profile, records_dir"):]
    call = call[:call.index(")") + 1]
    params = next(c for c in cells if "parameters" in c.metadata.get("tags", []))
    for field in (*plans.RUN_OVERRIDES, "noise_rates"):
        assert re.search(rf"^{field} = None\b", params.source, re.M), f"the parameters cell sets {field} = None"
        assert f"{field}={field}" in call, f"the page passes {field} to lnl.book.setup"
    trains = [i for i in (text.find("run_plan("), text.find("run_or_load(")) if i != -1]
    assert trains and text.index("lnl.book.setup(") < min(trains), "setup comes before anything trains"


def test_setup_prints_the_plan_line_and_the_banner(capsys, tmp_path):
    from lnl import book

    page = book.setup("mixnn/replication", "smoke", tmp_path / "recs", epochs=3)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("This page runs off its plan: epochs 3 (the plan's: 12).") and "Colab T4" in out[0]
    assert out[1].startswith("profile smoke (")
    assert page.profile == "smoke" and page.rdir == tmp_path / "recs" and page.S["run"]["epochs"] == 3
    assert [p.run_id for p in page.runs] == [p.run_id for p in plans.plan("mixnn/replication", "smoke", epochs=3)]
    assert set(page.by_key) == {p.key for p in page.runs}


def test_setup_hides_only_the_warnings_a_reader_cannot_act_on(tmp_path):
    import warnings

    from lnl import book

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        book.setup("mixnn/replication", "smoke", tmp_path / "recs")
        for message in (*book.QUIET_WARNINGS, "a warning a reader should see"):
            warnings.warn(message + " (test)", UserWarning)
    assert [str(w.message) for w in caught] == ["a warning a reader should see (test)"]
