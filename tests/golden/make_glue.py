"""Write ``page_glue.json``: the numbers the Foundations and MixNN pages glue into their prose at
the ``smoke`` profile, read from a smoke build (``python scripts/build_book.py --profile smoke``).

``tests/test_glue.py`` compares a later smoke build with them, so that moving a page's analysis
into the library (``lnl.report``) cannot change what the page says. Run it again only when a
change of what the pages compute is intended, and say so in the commit.

    python scripts/build_book.py --profile smoke && python tests/golden/make_glue.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from lnl.book import glued                       # noqa: E402
from tests.golden.make_golden import arithmetic, cpu_model   # noqa: E402

GOLDEN = Path(__file__).with_name("page_glue.json")
EXECUTED = ROOT / "_build" / "executed"
PAGES = ("book/foundations/tutorial", "book/foundations/replication", "book/mixnn/tutorial",
         "book/mixnn/replication")


def executed(page: str) -> dict:
    """The executed notebook of ``page`` from the last build; an error unless it ran at smoke."""
    path = EXECUTED / f"{page}.ipynb"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: build the book at smoke first.")
    nb = json.loads(path.read_text())
    profile = nb["metadata"].get("lnl", {}).get("profile")
    if profile != "smoke":
        raise ValueError(f"{path} was executed at '{profile}', not at smoke.")
    return nb


if __name__ == "__main__":
    pages = {page: glued(executed(page)) for page in PAGES}
    GOLDEN.write_text(json.dumps({"cpu": cpu_model(), "torch": torch.__version__, "arithmetic": arithmetic(),
                                  "pages": pages},
                                 indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {GOLDEN}: {sum(map(len, pages.values()))} glued values of {len(pages)} pages")
