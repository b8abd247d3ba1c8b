"""Where every setting comes from, gathered: one table per method and run preset.

A replication is only worth what its defaults are worth, so every field of every method's
``Config``, every run setting a preset implies, and every run default carries a
:class:`~lnl.sources.Source` (:mod:`lnl.sources`: ``paper``, ``code``, ``reconstructed`` or
``ours``; this module re-exports them). A method declares ``sources = {field: Source}`` beside its
``Config`` and, for its run presets, ``preset_sources = {preset: Source or {field: Source}}``; the
run defaults' sources are :data:`lnl.engine.config.RUN_SOURCES`. :func:`defaults` gathers them into
one table (``lnl defaults METHOD``), and ``tests/test_provenance.py`` fails for any field without
one. A field's source is that of its default; where a variant or a preset switches a field to the
official code's form, the config says so with ``code_form(name)`` (what selected it, or None), and
the table labels that value ``code``.

This module sits above the engine and the methods: it reads the methods by name from
:data:`lnl.methods.METHODS`, which the engine never imports.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from lnl.engine.config import RUN_SOURCES, RunConfig
from lnl.methods import METHODS
from lnl.params import config_fields
from lnl.sources import KINDS, Source, code, ours, paper, paper_share, reconstructed

# The run settings a method's defaults imply (the data, the noise and the seed are the user's).
RUN_FIELDS = ("model", "epochs", "batch_size", "optimizer", "lr", "momentum", "weight_decay", "schedule", "augment")


# ----------------------------------------------------------------------------------------------
# A method's settings and their sources
# ----------------------------------------------------------------------------------------------

def missing_sources(method_cls: type) -> list[str]:
    """The settings of ``method_cls`` without a source: config fields, then ``preset:field`` for
    each run setting of a preset (its ``method_params`` included) that ``preset_sources`` does not
    cover. An empty list means every setting is traceable."""
    sources = getattr(method_cls, "sources", {})
    out = [name for name in config_fields(method_cls.Config) if name not in sources]
    for preset, settings in getattr(method_cls, "presets", {}).items():
        given = getattr(method_cls, "preset_sources", {}).get(preset)
        for name in list(settings) + [f"method_params.{k}" for k in settings.get("method_params", {})]:
            if name == "method_params":
                continue
            if not isinstance(given, Source) and (given is None or name not in given):
                out.append(f"{preset}:{name}")
    return out


def _value(config: Any, name: str) -> Any:
    """A config field's value as the method uses it: through the config's ``resolve`` where it has
    one (a ``None`` that means "the preset's" or "the variant's"), else as declared."""
    resolve = getattr(config, "resolve", None)
    return resolve(name) if resolve is not None else getattr(config, name)


def _display(value: Any) -> Any:
    """A value as the table shows it: a schedule as its kind and the fields it sets."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        base = type(value)()
        changed = {k: v for k, v in dataclasses.asdict(value).items()
                   if k != "kind" and v != getattr(base, k)}
        args = ", ".join(f"{k}={v}" for k, v in changed.items())
        return f"{value.kind}({args})" if hasattr(value, "kind") else str(value)
    return value


def defaults(method: str, preset: str | None = None, params: Mapping[str, Any] | None = None,
             given_by: str = "given on the command line") -> list[dict[str, Any]]:
    """Every setting of ``method`` and of the run it implies, with its value and its source.

    One dict per setting: ``scope`` (``run`` or ``method``), ``setting``, ``value``, ``kind`` and
    ``source`` (:class:`Source` as text), and ``schedule`` where the value counts epochs of the
    paper's run. ``preset`` applies one of the method's presets (its run settings and its
    ``method_params``), as ``lnl run --preset`` does; ``params`` sets method fields as ``--param``
    does, and their source says ``ours: <given_by>`` (a page: "set by this page's plan").
    ``ValueError`` with one sentence naming the valid ones for an unknown method or preset.
    """
    if method not in METHODS:
        raise ValueError(f"Unknown method '{method}'; choose one of: {', '.join(METHODS)}.")
    cls = METHODS[method]
    run_settings = cls.preset_settings(preset) if preset else {}
    method_params = {**run_settings.pop("method_params", {}), **dict(params or {})}
    preset_source = getattr(cls, "preset_sources", {}).get(preset) if preset else None

    def from_preset(name: str) -> Source | None:
        if preset is None or (name not in run_settings and name not in method_params):
            return None
        if isinstance(preset_source, Source):
            return preset_source
        key = name if name in run_settings else f"method_params.{name}"
        return (preset_source or {}).get(key)

    rows = []
    run_defaults = RunConfig()
    for name in RUN_FIELDS:
        value = run_settings.get(name, getattr(run_defaults, name))
        if name == "model" and value is None:
            value = "by data set"
        src = from_preset(name) if name in run_settings else RUN_SOURCES[name]
        rows.append(_row("run", name, value, src))
    config = cls.make_config(method_params)
    sources = getattr(cls, "sources", {})
    for name in config_fields(cls.Config):
        given = name in (params or {})
        src = from_preset(name) if not given else None
        src = src or (ours(given_by) if given else sources.get(name))
        why = getattr(config, "code_form", lambda _: None)(name) if not given else None
        if why:                                   # the official code's form, which a variant or preset selects
            src = code(f"the official code's form, selected by {why}", src.note if src else "")
        rows.append(_row("method", name, _value(config, name), src))
    return rows


def _row(scope: str, name: str, value: Any, src: Source | None) -> dict[str, Any]:
    return {"scope": scope, "setting": name, "value": _display(value),
            "kind": src.kind if src else "MISSING", "source": str(src) if src else "no source",
            "schedule": src.schedule if src else None}


def table(method: str, preset: str | None = None, params: Mapping[str, Any] | None = None,
          scope: str | None = None, given_by: str = "set by this page's plan (lnl.plans)"):
    """:func:`defaults` as a DataFrame indexed by setting, for a page: ``value``, ``kind`` and
    ``source``; ``scope="method"`` or ``"run"`` keeps one of the two. A value in ``params`` (the
    page's plan) is labelled ``ours: <given_by>``."""
    import pandas as pd

    rows = [r for r in defaults(method, preset, params, given_by) if scope is None or r["scope"] == scope]
    frame = pd.DataFrame(rows)
    frame["value"] = frame["value"].map(lambda v: "—" if v is None else str(v))
    frame["source"] = [r["source"].split(": ", 1)[1] for r in rows]
    cols = ["value", "kind", "source"] if scope else ["scope", "value", "kind", "source"]
    return frame.set_index("setting")[cols]


def format_text(rows: list[dict[str, Any]]) -> str:
    """The rows of :func:`defaults` as aligned text, one setting a line, run settings first."""
    width = max(len(r["setting"]) for r in rows)
    lines, scope = [], None
    for r in rows:
        if r["scope"] != scope:
            scope = r["scope"]
            lines.append(f"{'run' if scope == 'run' else 'method'} settings:")
        value = "None" if r["value"] is None else str(r["value"])
        lines.append(f"  {r['setting']:<{width}}  {value:<14} {r['source']}")
    return "\n".join(lines)


__all__ = ["Source", "KINDS", "RUN_FIELDS", "paper", "code", "reconstructed", "ours", "paper_share",
           "config_fields", "missing_sources", "defaults", "table", "format_text"]

