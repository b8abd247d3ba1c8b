"""The numbers the Foundations and MixNN pages glue into their prose, at the smoke profile, are
those of ``tests/golden/page_glue.json``: moving their analysis into ``lnl.report`` changed none.

Runs after a smoke build (``make test`` builds the book before it); skips without one, unless
``LNL_REQUIRE_SITE=1`` (as in ``.ci/run``). Exact where the float arithmetic is the one that wrote
the golden values (the same fingerprint, ``make_golden.arithmetic``). Elsewhere a network trained at
smoke follows another trajectory (its kernels differ in the last bits, and training amplifies them
to the second digit), so there the test checks what does not depend on training: the same glued
names, the same non-numeric texts, and a number wherever the golden page has one.
"""

from __future__ import annotations

import json
import os

import pytest

from tests.golden import make_glue
from tests.golden.make_golden import arithmetic

GOLDEN = json.loads(make_glue.GOLDEN.read_text())


def _number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


@pytest.mark.parametrize("page", make_glue.PAGES)
def test_glued_numbers_are_unchanged(page):
    from lnl.book import glued

    try:
        nb = make_glue.executed(page)
    except (FileNotFoundError, ValueError) as e:
        if os.environ.get("LNL_REQUIRE_SITE") == "1":
            raise
        pytest.skip(str(e))
    now, want = glued(nb), GOLDEN["pages"][page]
    assert set(now) == set(want), f"glued names changed: {sorted(set(now) ^ set(want))}"
    exact = GOLDEN.get("arithmetic") == arithmetic()
    for name, text in want.items():
        if exact or _number(text) is None:
            assert now[name] == text, f"{page}: {name} is {now[name]}, was {text}"
        else:
            assert _number(now[name]) is not None, f"{page}: {name} is {now[name]}, not a number"
