"""lnl's import graph: no import circle among its modules, and the engine below the methods.

The graph counts every import, at module level and inside functions alike (a deferred import is
still a dependency), read from the source with :mod:`ast`: an edge ``a -> b`` for each module
``b`` of lnl that ``a`` imports (``from lnl.x import y`` is ``lnl.x.y`` where that is a module,
else ``lnl.x``). A package is its ``__init__``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def modules(root: Path = ROOT) -> dict[str, Path]:
    """``{dotted name: file}`` of every module of lnl under ``root``."""
    out = {}
    for f in sorted((root / "lnl").rglob("*.py")):
        parts = list(f.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


def import_graph(mods: dict[str, Path]) -> dict[str, set[str]]:
    """``{module: the lnl modules it imports}``, at any depth of its code."""

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, f in mods.items():
        package = m if f.name == "__init__.py" else m.rpartition(".")[0]
        for node in ast.walk(ast.parse(f.read_text(), str(f))):
            if isinstance(node, ast.Import):
                targets = [resolve(a.name) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:                                   # relative: from the module's package up
                    up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join(up + ([base] if base else []))
                targets = [resolve(f"{base}.{a.name}") for a in node.names]
            else:
                continue
            graph[m].update(t for t in targets if t and t != m)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative):
    each a set of modules that import one another, directly or through each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            v, children = work[-1]
            w = next(children, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def reachable(graph: dict[str, set[str]], start: str) -> dict[str, str]:
    """Every module that ``start`` imports, directly or not: ``{module: the module importing it on
    a shortest path from start}``."""
    seen, frontier = {start: start}, [start]
    while frontier:
        nxt = []
        for a in frontier:
            for b in sorted(graph[a]):
                if b not in seen:
                    seen[b] = a
                    nxt.append(b)
        frontier = nxt
    del seen[start]
    return seen


def path_to(graph: dict[str, set[str]], start: str, end: str) -> list[str]:
    """The shortest import path from ``start`` to ``end`` (as :func:`reachable` found it)."""
    via = reachable(graph, start)
    path = [end]
    while path[-1] != start:
        path.append(via[path[-1]] if path[-1] in via else start)
    return path[::-1]


GRAPH = import_graph(modules())
ENGINE = sorted(m for m in GRAPH if m == "lnl.engine" or m.startswith("lnl.engine."))


# --- the graph itself, on hand-made packages -----------------------------------------------------

def _package(tmp_path: Path, files: dict[str, str]) -> dict[str, set[str]]:
    for name, text in files.items():
        f = tmp_path / name
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)
    return import_graph(modules(tmp_path))


def test_the_graph_counts_imports_inside_functions_and_relative_ones(tmp_path):
    g = _package(tmp_path, {"lnl/__init__.py": "", "lnl/a.py": "def f():\n    from lnl import b\n",
                            "lnl/b.py": "from .c import X\n", "lnl/c.py": "X = 1\n",
                            "lnl/p/__init__.py": "from . import q\n", "lnl/p/q.py": "from ..a import f\n"})
    assert g == {"lnl": set(), "lnl.a": {"lnl.b"}, "lnl.b": {"lnl.c"}, "lnl.c": set(),
                 "lnl.p": {"lnl.p.q"}, "lnl.p.q": {"lnl.a"}}
    assert circles(g) == []


def test_a_circle_is_found_and_named(tmp_path):
    g = _package(tmp_path, {"lnl/__init__.py": "", "lnl/a.py": "import lnl.b\n",
                            "lnl/b.py": "def f():\n    import lnl.c\n", "lnl/c.py": "from lnl.a import g\n",
                            "lnl/d.py": "import lnl.a\n"})
    assert circles(g) == [["lnl.a", "lnl.b", "lnl.c"]]
    assert path_to(g, "lnl.d", "lnl.c") == ["lnl.d", "lnl.a", "lnl.b", "lnl.c"]


# --- lnl ------------------------------------------------------------------------------------------

def test_the_engine_imports_nothing_from_the_methods():
    """The caller hands the engine its method (lnl.runner); the methods build on the engine."""
    for m in ENGINE:
        found = sorted(t for t in reachable(GRAPH, m) if t == "lnl.methods" or t.startswith("lnl.methods."))
        assert not found, f"{m} imports {found[0]} through {' -> '.join(path_to(GRAPH, m, found[0]))}"


def test_the_methods_import_the_engine_and_lnl_runner_hands_it_their_registry():
    assert "lnl.engine" in GRAPH["lnl.methods.ce"]
    assert {"lnl.engine", "lnl.methods"} <= GRAPH["lnl.runner"]


def test_no_import_circle_in_lnl():
    found = circles(GRAPH)
    assert not found, "import circles: " + "; ".join(" <-> ".join(c) for c in found)
