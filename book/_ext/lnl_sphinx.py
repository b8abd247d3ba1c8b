"""Sphinx fixes for the book's HTML, loaded through ``sphinx.local_extensions`` in ``_config.yml``.

With Sphinx 7.x, sphinx-thebe and sphinx-togglebutton register their inline configuration scripts
twice (once with ``None`` and once with ``""`` as file name). The second ``const THEBE_JS_URL = ...`` throws "Identifier has
already been declared" on every page. We keep the first copy of every script.
"""

from __future__ import annotations

from typing import Any


def _dedupe_scripts(app, pagename: str, templatename: str, context: dict[str, Any], doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for js in scripts:
        name = getattr(js, "filename", js) or ""           # inline scripts: None or ""
        key = (str(name), tuple(sorted(getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            kept.append(js)
    scripts[:] = kept


def setup(app) -> dict[str, Any]:
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
