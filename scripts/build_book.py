"""Build the book: execute every notebook at one profile, then render the HTML.

    python scripts/build_book.py --profile cpu          # what `make book PROFILE=cpu` runs
    python scripts/build_book.py --prepare smoke        # parameter-injected notebooks for nbval
    python scripts/build_book.py --sync                 # book/**/<name>.ipynb from <name>.md

A build has five stages, each timed:

1. convert: jupytext turns every notebook ``.md`` listed in ``_toc.yml`` into a notebook;
   train (``cpu`` profile, no GPU): the runs every page plans are trained first, each once, in
   parallel single-threaded workers (:func:`train_first`), so that the pages load their records;
2. execute: papermill runs it with ``-p profile <PROFILE>``, one notebook per core at a time (one
   at a time on a GPU machine), the longest (by its budget) first (working directory: the folder
   of the ``.md``) into ``_build/executed/<same path>.ipynb`` and writes the provenance (profile, git SHA,
   versions, device, wall time, date) into the notebook's metadata under ``lnl``. A committed
   notebook executed at a higher profile, ``book/<part>/executed/<name>.gpu.ipynb`` (or
   ``.paper.ipynb``), is used instead of executing at a lower one;
3. mathjax: a local MathJax 3 (``npm install`` once into ``_build/mathjax``), so that math renders
   without internet;
4. assemble: ``_build/src`` holds the config (with the repository URL of this checkout), the toc,
   the bibliography, plain pages, static files and the executed notebooks at the paths of their
   ``.md`` sources, so that the Colab button opens ``book/<part>/<name>.ipynb`` in the repository;
5. jupyter-book: ``jupyter-book build`` with warnings as errors; the HTML ends in ``_build/html``.

Any notebook error stops the build with one line per failing notebook naming the cell and the error.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from lnl.profiles import PROFILES  # noqa: E402  (in increasing order of cost and fidelity)

BUILD = ROOT / "_build"
COMMITTED_PROFILES = ("gpu", "paper")                 # profiles whose executed notebooks are committed
# Profiles whose runs train before the pages execute (train_first), and that stage's budget in
# seconds on 2 CPU cores, from an empty records/: 864 s measured for 101 runs from a fresh clone
# (970 s for 113 runs before cleanlab's cpu folds went from 5 to 3 and IEG left the cpu
# leaderboard: 8.6 s a run both times), and 950 s is 1.1 times 864 s. Every page's budget_s counts
# what the page takes after it, the pages two at a time.
TRAIN_BUDGET_S = {"cpu": 950}
TRAINING = "training (every page's runs)"
MATHJAX_NPM = "mathjax@3"
MATHJAX_BUNDLE = "tex-chtml.js"                      # = sphinx.config.mathjax_path in _config.yml
# Repository folders a page may include files from ({literalinclude} of library code, CSV tables),
# linked into the build tree at the same relative paths (not data/ itself: it may hold data sets).
LINKED_DIRS = ("lnl", "data/paper_tables", "records")


class BuildError(Exception):
    """A failure reported as one line, without a traceback."""


# ----------------------------------------------------------------------------------------------
# The table of contents and the notebooks it lists
# ----------------------------------------------------------------------------------------------

def toc_files(toc_path: Path) -> list[str]:
    """Every ``file`` entry of a jupyter-book ``_toc.yml`` (root first), without extension."""
    import yaml

    toc = yaml.safe_load(toc_path.read_text())
    files = [toc["root"]]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for key in ("parts", "chapters", "sections"):
                for child in node.get(key, []) or []:
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk({k: v for k, v in toc.items() if k != "root"})
    return [re.sub(r"\.(md|ipynb)$", "", f) for f in files]


def front_matter(path: Path) -> dict[str, Any]:
    """The YAML front matter of a Markdown file (empty if it has none)."""
    import yaml

    text = path.read_text()
    if not text.startswith("---\n"):
        return {}
    end = text.find("\n---", 4)
    return (yaml.safe_load(text[4:end]) or {}) if end > 0 else {}


def is_notebook_md(path: Path) -> bool:
    """A MyST Markdown notebook has jupytext or kernelspec front matter; a plain page has neither."""
    meta = front_matter(path)
    return "jupytext" in meta or "kernelspec" in meta


def resolve_pages(toc_path: Path) -> list[tuple[str, Path, bool]]:
    """``(entry, source path, is_notebook)`` for each toc entry; a missing source is an error."""
    pages, missing = [], []
    for entry in toc_files(toc_path):
        md, ipynb = ROOT / f"{entry}.md", ROOT / f"{entry}.ipynb"
        if md.exists():
            pages.append((entry, md, is_notebook_md(md)))
        elif ipynb.exists():
            pages.append((entry, ipynb, True))
        else:
            missing.append(entry)
    if missing:
        raise BuildError(f"{toc_path.name} lists pages that do not exist: {', '.join(missing)} "
                         "(expected <entry>.md or <entry>.ipynb).")
    return pages


def read_notebook(source: Path):
    """The notebook of a ``.md`` (via jupytext) or ``.ipynb`` source, without outputs."""
    import jupytext

    nb = jupytext.read(source)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def stable_cell_ids(nb) -> None:
    """Cell ids derived from the cells' content, so that regenerating a notebook changes no line."""
    seen: dict[str, int] = {}
    for cell in nb.cells:
        digest = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:8]
        n = seen.get(digest, 0)
        seen[digest] = n + 1
        cell["id"] = digest if n == 0 else f"{digest}-{n}"


# ----------------------------------------------------------------------------------------------
# Stage 1-2: convert and execute
# ----------------------------------------------------------------------------------------------

def committed_executed(source: Path, profile: str) -> tuple[str, Path] | None:
    """The committed notebook of the highest profile above ``profile``, if one exists."""
    above = [p for p in COMMITTED_PROFILES if PROFILES.index(p) > PROFILES.index(profile)]
    for p in reversed(above):
        path = source.parent / "executed" / f"{source.stem}.{p}.ipynb"
        if path.exists():
            return p, path
    return None


def budget_of(source: Path, profile: str) -> float | None:
    """Seconds a notebook may take at ``profile``: ``budget_s`` in its front matter (None: none set)."""
    budget = (front_matter(source).get("budget_s") or {}) if source.suffix == ".md" else {}
    return float(budget[profile]) if profile in budget else None


def code_sources(nb) -> list[str]:
    return [c.source.strip() for c in nb.cells
            if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])]


def provenance(profile: str, wall_s: float) -> dict[str, Any]:
    """What produced an executed notebook: profile, code version, software, hardware, time."""
    import torch

    import lnl
    from lnl import engine, records

    git = records.git_state(ROOT)
    return {
        "profile": profile,
        "git_sha": git["sha"],
        "git_dirty": git["dirty"],
        "lnl_version": lnl.__version__,
        "torch_version": torch.__version__,
        "python_version": sys.version.split()[0],
        "device": records.device_name(engine.resolve_device("auto")),
        "wall_time_s": round(wall_s, 1),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def describe_failure(exc: Exception, executed: Path) -> str:
    """One line: which cell failed and with what error."""
    import nbformat
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        first_line = ""
        try:  # the cell with the error output (papermill inserts a banner cell, so not by index)
            cell = next(c for c in nbformat.read(executed, as_version=4).cells
                        if c.cell_type == "code" and any(o.output_type == "error" for o in c.outputs))
            first_line = next((ln.strip() for ln in cell.source.splitlines() if ln.strip()), "")
        except Exception:  # noqa: BLE001 - the line is a courtesy; the error below is what counts
            pass
        evalue = " ".join(str(exc.evalue).split())
        where = f"cell In [{exc.exec_count}]" + (f" `{first_line[:60]}`" if first_line else "")
        return f"{where} raised {exc.ename}" + (f": {evalue}" if evalue else "")
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


def convert(entry: str, source: Path) -> Path:
    """Write the notebook of ``source`` (no outputs) to ``_build/notebooks/<entry>.ipynb``."""
    import nbformat

    staged = BUILD / "notebooks" / f"{entry}.ipynb"
    staged.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(read_notebook(source), staged)
    return staged


def execute(staged: Path, source: Path, profile: str, out: Path) -> dict[str, Any]:
    """Run ``staged`` with papermill at ``profile`` in the folder of ``source``; add provenance."""
    import nbformat
    import papermill as pm

    out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    try:
        pm.execute_notebook(staged, out, parameters={"profile": profile}, cwd=str(source.parent),
                            progress_bar=False, log_output=False)
    except Exception as exc:  # noqa: BLE001 - reported as one line below
        raise BuildError(f"{source.relative_to(ROOT)}: {describe_failure(exc, out)} "
                         f"(see {out.relative_to(ROOT)})") from None
    wall = time.perf_counter() - t0
    nb = nbformat.read(out, as_version=4)
    nb.metadata["lnl"] = provenance(profile, wall)
    nbformat.write(nb, out)
    return nb.metadata["lnl"]


def page_jobs() -> int:
    """How many notebooks execute at once: one on a GPU machine (its pages train there, one run at
    a time, and time their steps); else ``$LNL_JOBS``, else one per core (each kernel is one
    process; at ``cpu`` a page loads the records of the training stage and draws)."""
    import torch

    import lnl.book

    return 1 if torch.cuda.is_available() else lnl.book.parallel_jobs()


@contextlib.contextmanager
def page_environment(jobs: int):
    """With several kernels at once, each starts with one thread (OpenMP, MKL, OpenBLAS), as the
    training stage's workers do: two kernels of two threads each on two cores only contend."""
    names = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
    saved = {n: os.environ.get(n) for n in names}
    if jobs > 1:
        os.environ.update({n: "1" for n in names})
    try:
        yield
    finally:
        for n, v in saved.items():
            if v is None:
                os.environ.pop(n, None)
            else:
                os.environ[n] = v


def makespan(seconds: list[float], jobs: int) -> float:
    """When the last of ``seconds`` ends if each goes, the longest first, to whichever of ``jobs``
    workers frees first (what the page stage of :func:`build` does)."""
    free = [0.0] * max(1, jobs)
    for s in sorted(seconds, reverse=True):
        i = free.index(min(free))
        free[i] += s
    return max(free)


def train_first(notebooks: list[tuple[str, Path]], profile: str) -> str:
    """Train the runs that the pages' plans (:func:`lnl.plans.plan` at their default parameters)
    still need, before any page executes: each run once, however many pages plan it, into the
    records folder of the first page that plans it, the longest first, one worker process per core
    on one thread each (:func:`lnl.book.train_parallel`, through :mod:`lnl.executor`). The pages then load their records. Two
    single-threaded runs on two cores train about 1.3 times as many epochs per second as the same
    runs one after the other on two threads; pulling every page's runs into one queue keeps both
    cores busy to the end, which a page with one or three runs to train cannot. Nothing happens on
    a GPU machine or with one core: the pages train their runs as they execute."""
    import torch

    import lnl.book
    from lnl import plans

    if torch.cuda.is_available() or lnl.book.parallel_jobs() < 2:
        return "left to the pages"
    names = [entry.removeprefix("book/") for entry, _ in notebooks]
    runs = plans.unique([p for name in names if name in plans.pages() for p in plans.plan(name, profile)])

    def folder(p) -> Path:
        return Path(os.environ.get("LNL_RECORDS") or ROOT / "records" / p.part)

    todo = [p for p in runs if lnl.book.needs_training(p, folder(p))]
    log = BUILD / "training.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(f"training {len(todo)} run(s) of {len(runs)} planned, {lnl.book.parallel_jobs()} at a time\n")

    def progress(done: int, total: int, elapsed: float) -> None:
        """Runs done of the total, elapsed, and a rough time left (the longest ran first)."""
        left = elapsed / done * (total - done)
        line = f"  training: {done} of {total} run(s) done, {elapsed:.0f} s elapsed, about {left:.0f} s left"
        print(line, flush=True)
        with log.open("a") as f:
            f.write(line.strip() + "\n")

    trained = lnl.book.train_parallel(lnl.book.longest_first(todo, folder), folder, progress=progress)
    missing = len(todo) - len(trained)
    return (f"{len(trained)} of {len(runs)} planned run(s) trained, {lnl.book.parallel_jobs()} at a time"
            + (f"; {missing} left to their pages" if missing else ""))


def use_committed(source: Path, committed: Path, profile: str, out: Path) -> dict[str, Any]:
    """Copy a committed executed notebook to ``out``; warn if its code no longer matches the source."""
    import nbformat

    nb = nbformat.read(committed, as_version=4)
    meta = dict(nb.metadata.get("lnl", {}))
    if not meta:
        print(f"  warning: {committed.relative_to(ROOT)} has no `lnl` provenance in its metadata")
    if code_sources(nb) != code_sources(read_notebook(source)):
        print(f"  warning: the code of {committed.relative_to(ROOT)} differs from "
              f"{source.relative_to(ROOT)}; re-run it at its profile")
    meta["source"] = str(committed.relative_to(ROOT))
    nb.metadata["lnl"] = meta
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    return meta


# ----------------------------------------------------------------------------------------------
# Stage 3-5: MathJax, the build source tree, jupyter-book
# ----------------------------------------------------------------------------------------------

def mathjax_dir() -> tuple[Path, bool]:
    """``es5/`` of a local MathJax 3 in ``_build/mathjax``, fetched once: with npm where it is
    installed, else as the same package straight from the npm registry (integrity checked)."""
    es5 = BUILD / "mathjax" / "node_modules" / "mathjax" / "es5"
    if (es5 / MATHJAX_BUNDLE).exists():
        return es5, True
    npm = shutil.which("npm")
    if npm is None:
        fetch_mathjax(es5.parent)
    else:
        proc = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--silent", "--prefix",
                               str(BUILD / "mathjax"), MATHJAX_NPM], capture_output=True, text=True)
        if proc.returncode != 0:
            raise BuildError(f"npm install {MATHJAX_NPM} failed: {proc.stderr.strip()[-300:]}")
    if not (es5 / MATHJAX_BUNDLE).exists():
        raise BuildError(f"MathJax 3 was fetched but {es5 / MATHJAX_BUNDLE} is missing.")
    return es5, False


def fetch_mathjax(dest: Path, registry: str = "https://registry.npmjs.org") -> None:
    """Unpack the npm registry's ``mathjax@3`` tarball into ``dest`` (what npm would install)."""
    import base64
    import io
    import json
    import tarfile
    import urllib.request

    name, _, major = MATHJAX_NPM.partition("@")
    try:
        with urllib.request.urlopen(f"{registry}/{name}", timeout=60) as r:
            versions = json.load(r)["versions"]
        newest = max((v for v in versions if re.fullmatch(rf"{major}\.\d+\.\d+", v)),
                     key=lambda v: tuple(map(int, v.split("."))))       # what npm picks for mathjax@3
        dist = versions[newest]["dist"]
        with urllib.request.urlopen(dist["tarball"], timeout=120) as r:
            blob = r.read()
    except (OSError, KeyError, ValueError) as exc:
        raise BuildError(f"MathJax 3 could not be fetched from {registry} ({exc}); the book needs it "
                         "once, online (or with npm installed).") from None
    algo, _, digest = dist.get("integrity", "").partition("-")
    if algo not in hashlib.algorithms_available or base64.b64decode(digest) != hashlib.new(algo, blob).digest():
        raise BuildError(f"The MathJax tarball from {registry} failed its integrity check.")
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        members = [m for m in tar.getmembers() if m.name.startswith("package/") and (m.isfile() or m.isdir())
                   and ".." not in Path(m.name).parts]
        for m in members:
            m.name = m.name[len("package/"):]
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}   # Python >= 3.10.12
        tar.extractall(dest, members=[m for m in members if m.name], **safe)


def github_url(url: str) -> str | None:
    """``https://github.com/owner/name`` from a GitHub remote URL (https or ssh), else None."""
    m = re.match(r"^(?:https?://(?:[^@/]+@)?github\.com/|git@github\.com:|ssh://git@github\.com/)"
                 r"([^/\s]+)/([^/\s]+?)(?:\.git)?/?$", url.strip())
    return f"https://github.com/{m[1]}/{m[2]}" if m else None


def repository_url(config_url: str) -> tuple[str, str]:
    """The repository the launch buttons point at, and where that came from."""
    env = os.environ.get("LNL_REPOSITORY", "").strip().strip("/")
    if env:
        url = github_url(env) or github_url(f"https://github.com/{env}")
        if url is None:
            raise BuildError(f"LNL_REPOSITORY must be a GitHub owner/name, got '{env}'.")
        return url, "$LNL_REPOSITORY"
    try:
        remote = subprocess.run(["git", "remote", "get-url", "origin"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        remote = ""
    if remote and github_url(remote):
        return github_url(remote), "git remote origin"
    return config_url, "_config.yml"


def pin_install(notebook: str, config_url: str, url: str, ref: str | None) -> str:
    """A notebook's JSON text with its Colab install line pointing at ``url`` (the repository the
    book is built from) at commit ``ref`` (when the build's tree is clean), not at ``_config.yml``'s."""
    old = f'"lnl[book] @ git+{config_url}"'
    new = f'"lnl[book] @ git+{url}' + (f"@{ref}" if ref else "") + '"'
    nb = json.loads(notebook)
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            if old in source:
                cell["source"] = source.replace(old, new)
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def fold_plumbing(notebook: str) -> str:
    """A notebook's JSON text with its plumbing folded on the site (``hide-input``: a reader opens it
    with a click; Colab shows it as it is): papermill's injected parameters, and the setup cell that
    imports and calls ``lnl.book.setup`` (its output, the plan's cost and the banner, stays shown)."""
    nb = json.loads(notebook)
    setup_seen = False
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        is_setup = not setup_seen and ("lnl.book.setup(" in source or "lnl.book.banner(" in source)
        setup_seen = setup_seen or is_setup
        if ("injected-parameters" in tags or is_setup) and "hide-input" not in tags:
            tags.append("hide-input")
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def assemble(pages, executed: dict[str, Path], toc_path: Path, es5: Path) -> tuple[Path, str]:
    """Write ``_build/src``: the tree jupyter-book builds. Returns it and the repository URL used."""
    import yaml

    src = BUILD / "src"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config_url = config["repository"]["url"]
    url, origin = repository_url(config_url)
    config["repository"]["url"] = url
    (src / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    shutil.copy2(toc_path, src / "_toc.yml")
    for bib in config.get("bibtex_bibfiles", []):
        shutil.copy2(ROOT / bib, src / bib)
    # Static files beside the pages (figures, tables, book/_ext), but no page sources, no executed
    # notebooks and no run records.
    for path in sorted((ROOT / "book").rglob("*")):
        rel = path.relative_to(ROOT)
        if (path.is_file() and path.suffix not in (".md", ".ipynb")
                and not {"executed", "records", ".ipynb_checkpoints", "__pycache__"} & set(rel.parts)):
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, src / rel)
    from lnl import records

    git = records.git_state(ROOT)
    ref = git["sha"] if git["sha"] and not git["dirty"] else None
    for entry, source, is_nb in pages:
        target = src / (f"{entry}.ipynb" if is_nb else source.relative_to(ROOT))
        target.parent.mkdir(parents=True, exist_ok=True)
        if is_nb:                  # the notebook a reader downloads installs the code it was built with
            target.write_text(fold_plumbing(pin_install(executed[entry].read_text(), config_url, url, ref)))
        else:
            shutil.copy2(source, target)
    if (ROOT / "_static").is_dir():
        shutil.copytree(ROOT / "_static", src / "_static")
    # MathJax goes through html_extra_path (see _config.yml), not _static: jupyter-book would add
    # every .js file under a static path to every page. Of the bundles, only the one we load.
    shutil.copytree(es5, src / "_mathjax" / "_static" / "mathjax",
                    ignore=lambda d, names: [n for n in names if Path(d) == es5 and n.endswith(".js")
                                             and n != MATHJAX_BUNDLE])
    for name in LINKED_DIRS:
        if (ROOT / name).is_dir():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            (src / name).symlink_to(ROOT / name, target_is_directory=True)
    return src, f"{url} (from {origin})"


def jupyter_book(src: Path) -> None:
    """Render ``src`` to ``_build/html`` with warnings as errors (all warnings shown first)."""
    for stale in ("html", ".doctrees", "jupyter_execute"):
        shutil.rmtree(BUILD / stale, ignore_errors=True)
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb) if jb.exists() else "jupyter-book", "build", str(src), "--builder", "html",
           "-W", "--keep-going", "--path-output", str(ROOT)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stdout.write(proc.stdout[-6000:])
        sys.stderr.write(proc.stderr[-6000:])
        text = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)  # no colour codes
        warnings = [ln.replace(f"{src}/", "") for ln in text.splitlines()
                    if re.search(r"\b(WARNING|ERROR)\b", ln)]
        raise BuildError(f"jupyter-book build failed with {len(warnings)} warning(s)/error(s); "
                         f"first: {warnings[0].strip() if warnings else 'see above'}")
    if not (BUILD / "html" / "index.html").exists():
        raise BuildError("jupyter-book build produced no _build/html/index.html.")


# ----------------------------------------------------------------------------------------------
# Commands
# ----------------------------------------------------------------------------------------------

def shown(path: Path) -> str:
    """``path`` relative to the repository when it is inside it."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


class Timer:
    """Wall time of each stage of a build, printed as a table at the end."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, str]] = []

    @contextlib.contextmanager
    def __call__(self, name: str):
        """``with timer("stage") as note: ...; note.append("what happened")``."""
        note: list[str] = []
        t0 = time.perf_counter()
        try:
            yield note
        finally:
            self.rows.append((name, time.perf_counter() - t0, "; ".join(note)))

    def summary(self, total: float) -> str:
        width = max(len(r[0]) for r in self.rows + [("stage", 0.0, "")])
        lines = [f"{'stage'.ljust(width)}  seconds"]
        lines += [f"{n.ljust(width)}  {t:7.1f}  {note}".rstrip() for n, t, note in self.rows]
        lines.append(f"{'total'.ljust(width)}  {total:7.1f}")
        return "\n".join(lines)


def build(profile: str, toc_path: Path, save_executed: bool) -> None:
    t_start = time.perf_counter()
    timer = Timer()
    print(f"Building the book at profile '{profile}' from {shown(toc_path)}")
    with timer("convert (jupytext)") as note:
        pages = resolve_pages(toc_path)
        shutil.rmtree(BUILD / "notebooks", ignore_errors=True)
        shutil.rmtree(BUILD / "executed", ignore_errors=True)
        notebooks = [(e, s, convert(e, s)) for e, s, is_nb in pages if is_nb]
        note.append(f"{len(notebooks)} notebook(s), {len(pages) - len(notebooks)} plain page(s)")
    executed: dict[str, Path] = {}
    spent: dict[str, tuple[float, float | None]] = {}      # entry -> (seconds, budget)
    if profile in TRAIN_BUDGET_S:
        t0 = time.perf_counter()
        with timer(TRAINING) as note:
            note.append(train_first([(e, s) for e, s, _ in notebooks], profile))
        spent[TRAINING] = (time.perf_counter() - t0, TRAIN_BUDGET_S[profile])
        print(f"  {note[0]} in {spent[TRAINING][0]:.1f} s of its {TRAIN_BUDGET_S[profile]:.0f} s budget")
    failures: list[str] = []
    todo = []
    for entry, source, staged in notebooks:
        out = executed[entry] = BUILD / "executed" / f"{entry}.ipynb"
        committed = committed_executed(source, profile)
        if committed:
            with timer(f"execute {entry}") as note:
                meta = use_committed(source, committed[1], profile, out)
                note.append(f"committed {committed[0]} notebook")
            print(f"  {entry}: using the committed {committed[0]} notebook "
                  f"{committed[1].relative_to(ROOT)} (executed {meta.get('date', '?')} at "
                  f"{(meta.get('git_sha') or '?')[:10]}) instead of executing at {profile}")
        else:
            todo.append((entry, source, staged, out))

    def one(item) -> None:
        entry, source, staged, out = item
        try:
            meta = execute(staged, source, profile, out)
        except BuildError as err:
            failures.append(str(err))
            print(f"  {entry}: FAILED", flush=True)
            return
        budget = budget_of(source, profile)
        spent[entry] = (meta["wall_time_s"], budget)
        print(f"  {entry}: executed at {profile} in {meta['wall_time_s']:.1f} s"
              + (f" of its {budget:.0f} s budget" if budget else " (no budget stated)"), flush=True)
        if budget and meta["wall_time_s"] > budget:
            print(f"  warning: {entry} took {meta['wall_time_s']:.0f} s, over its {profile} budget of "
                  f"{budget:.0f} s (budget_s in its front matter)", flush=True)

    # The longest first, page_jobs() at a time: a page mostly loads records and draws on one core.
    todo.sort(key=lambda item: budget_of(item[1], profile) or 0.0, reverse=True)
    jobs = page_jobs()
    with timer(f"execute {len(todo)} notebook(s)") as note, page_environment(jobs), ThreadPoolExecutor(jobs) as pool:
        list(pool.map(one, todo))
        note.append(f"{jobs} at a time; each one's time is in the budget table below")
    spent = {entry: spent[entry] for entry in [TRAINING] + list(executed) if entry in spent}   # book order
    if failures:
        print()
        print(timer.summary(time.perf_counter() - t_start))
        raise BuildError(f"{len(failures)} notebook(s) failed; the HTML was not built\n"
                         + "\n".join(f"FAILED {f}" for f in failures))
    if save_executed:
        for entry, source, _ in notebooks:
            dest = source.parent / "executed" / f"{source.stem}.{profile}.ipynb"
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(executed[entry], dest)
            print(f"  saved {dest.relative_to(ROOT)}")
    with timer("mathjax") as note:
        es5, cached = mathjax_dir()
        note.append("cached" if cached else f"npm install {MATHJAX_NPM}")
    with timer("assemble _build/src") as note:
        src, repo = assemble(pages, executed, toc_path, es5)
        note.append(f"repository {repo}")
    with timer("jupyter-book build") as note:
        jupyter_book(src)
        note.append("-> _build/html")
    print()
    print(timer.summary(time.perf_counter() - t_start))
    if spent:
        print("\n" + budget_summary(spent, profile))
    print(f"\nThe book is in {(BUILD / 'html' / 'index.html').relative_to(ROOT)}")


def budget_summary(spent: dict[str, tuple[float, float | None]], profile: str) -> str:
    """Each executed notebook's time (and the training stage's) against its budget, and the total."""
    total_name = "all" if TRAINING in spent else "all notebooks"
    width = max(len(e) for e in list(spent) + [total_name])
    lines = [f"{'notebook'.ljust(width)}  seconds  budget ({profile})"]
    for entry, (wall, budget) in spent.items():
        flag = "  OVER" if budget and wall > budget else ""
        lines.append(f"{entry.ljust(width)}  {wall:7.1f}  {budget or float('nan'):7.0f}{flag}")
    total, total_budget = sum(w for w, _ in spent.values()), sum(b or 0 for _, b in spent.values())
    lines.append(f"{total_name.ljust(width)}  {total:7.1f}  {total_budget:7.0f}"
                 + ("  OVER" if total > total_budget else ""))
    return "\n".join(lines)


def prepare(profile: str, toc_path: Path) -> None:
    """Parameter-injected notebooks in ``_build/<profile>/`` for ``pytest --nbval-lax``.

    nbval starts the kernel in the notebook's folder, so a first cell (tagged ``injected-cwd``)
    moves it to the folder of the ``.md`` source, where the build executes it too.
    """
    import nbformat
    import papermill as pm

    out_dir = BUILD / profile
    shutil.rmtree(out_dir, ignore_errors=True)
    notebooks = [(e, s) for e, s, nb in resolve_pages(toc_path) if nb]
    for entry, source in notebooks:
        staged = out_dir / f"{entry}.ipynb"
        staged.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(read_notebook(source), staged)
        pm.execute_notebook(staged, staged, parameters={"profile": profile}, prepare_only=True,
                            progress_bar=False)
        nb = nbformat.read(staged, as_version=4)
        cell = nbformat.v4.new_code_cell(f"import os\nos.chdir({str(source.parent)!r})",
                                         metadata={"tags": ["injected-cwd"]})
        nb.cells.insert(0, cell)
        stable_cell_ids(nb)
        nbformat.write(nb, staged)
    print(f"{len(notebooks)} notebook(s) prepared at profile '{profile}' in "
          f"{out_dir.relative_to(ROOT)}/")


def notebook_sources() -> list[Path]:
    """Every notebook ``.md`` under ``book/`` (committed executed notebooks excluded)."""
    return [p for p in sorted((ROOT / "book").rglob("*.md"))
            if "executed" not in p.relative_to(ROOT).parts and ".ipynb_checkpoints" not in p.parts
            and is_notebook_md(p)]


def paired_notebook(source: Path):
    """The ``.ipynb`` that ``make sync`` writes for ``source``: same cells, no outputs, stable ids."""
    nb = read_notebook(source)
    stable_cell_ids(nb)
    return nb


def sync() -> None:
    import nbformat

    for source in notebook_sources():
        target = source.with_suffix(".ipynb")
        text = nbformat.writes(paired_notebook(source)) + "\n"
        if not target.exists() or target.read_text() != text:
            target.write_text(text)
            print(f"wrote {target.relative_to(ROOT)}")
    print(f"{len(notebook_sources())} notebook(s) in sync")


def main(argv: list[str] | None = None) -> int:
    # papermill logs "Unable to parse line" for every line of a multi-line parameters cell it cannot
    # type-infer; injecting `profile` does not need that inference.
    logging.getLogger("papermill").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default=os.environ.get("PROFILE", "cpu"), choices=PROFILES,
                        help="profile to execute the notebooks at (default: $PROFILE or cpu)")
    parser.add_argument("--prepare", metavar="PROFILE", choices=PROFILES,
                        help="only write parameter-injected notebooks to _build/PROFILE/ (for nbval)")
    parser.add_argument("--sync", action="store_true",
                        help="only regenerate the paired .ipynb of every notebook .md under book/")
    parser.add_argument("--toc", type=Path, default=ROOT / "_toc.yml",
                        help="table of contents to build (default: _toc.yml)")
    parser.add_argument("--save-executed", action="store_true",
                        help="copy the executed notebooks to book/<part>/executed/<name>.<profile>.ipynb "
                             "(gpu and paper profiles) to commit them")
    args = parser.parse_args(argv)
    toc = args.toc.resolve()
    try:
        if args.sync:
            sync()
        elif args.prepare:
            prepare(args.prepare, toc)
        else:
            if args.save_executed and args.profile not in COMMITTED_PROFILES:
                raise BuildError(f"--save-executed is for the {' and '.join(COMMITTED_PROFILES)} "
                                 f"profiles, not {args.profile}.")
            build(args.profile, toc, args.save_executed)
    except BuildError as err:
        print(f"build_book: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
