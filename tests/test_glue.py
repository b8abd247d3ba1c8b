"""Moving the Foundations and MixNN pages' analysis into ``lnl.report`` changes none of their numbers.

On fixed inputs, on any processor: the library calls those pages make, run on run records
committed as test data (``tests/golden/make_fixed.py``), return what they returned when
``tests/golden/fixed_analysis.json`` was written. No network trains, so the comparison is exact up
to 1e-9 relative, the room another processor's vector units leave a float sum (the GMM's EM).

On a smoke build: the numbers those pages glue into their prose are those of
``tests/golden/page_glue.json``.

Runs after a smoke build (``make test`` builds the book before it); skips without one, unless
``LNL_REQUIRE_SITE=1`` (as in ``.ci/run``). Exact where the float arithmetic is the one that wrote
the golden values (the same fingerprint, ``make_golden.arithmetic``): texts equal, numbers to
1e-12 relative, the last bits that the order of a float64 sum leaves (the GMM's EM runs on BLAS,
whose threads split a sum as the machine's load allows); a network that trained otherwise moves
them by far more. Elsewhere a network trained at
smoke follows another trajectory (its kernels differ in the last bits, and training amplifies them
to the second digit), so there the test checks what does not depend on training: the same glued
names, the same non-numeric texts, and a number wherever the golden page has one.
"""

from __future__ import annotations

import json
import math
import os

import pytest

from tests.golden import make_fixed, make_glue
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
        if _number(text) is None:
            assert now[name] == text, f"{page}: {name} is {now[name]}, was {text}"
        elif exact:
            assert _number(now[name]) is not None and math.isclose(_number(now[name]), _number(text), rel_tol=1e-12), \
                f"{page}: {name} is {now[name]}, was {text}"
        else:
            assert _number(now[name]) is not None, f"{page}: {name} is {now[name]}, not a number"


def _same(now, want, where="") -> list[str]:
    """Where ``now`` differs from ``want``: strings and structure exactly, floats to 1e-9 relative."""
    if isinstance(want, dict) and isinstance(now, dict):
        if set(now) != set(want):
            return [f"{where}: keys {sorted(set(now) ^ set(want))} differ"]
        return [d for k in want for d in _same(now[k], want[k], f"{where}/{k}")]
    if isinstance(want, list) and isinstance(now, list):
        if len(now) != len(want):
            return [f"{where}: {len(now)} items, was {len(want)}"]
        return [d for i, (a, b) in enumerate(zip(now, want)) for d in _same(a, b, f"{where}[{i}]")]
    if isinstance(want, float) and isinstance(now, (int, float)) and not isinstance(now, bool):
        return [] if math.isclose(now, want, rel_tol=1e-9, abs_tol=1e-12) else [f"{where}: {now!r}, was {want!r}"]
    return [] if now == want else [f"{where}: {now!r}, was {want!r}"]


def test_the_analysis_of_fixed_records_is_unchanged():
    want = json.loads(make_fixed.GOLDEN.read_text())
    diffs = _same(make_fixed.analyse(), want)
    assert not diffs, "the analysis changed on fixed records:\n" + "\n".join(diffs[:20])


def test_the_fixed_comparison_can_fail():
    want = json.loads(make_fixed.GOLDEN.read_text())
    now = json.loads(json.dumps(want))
    row = next(iter(now["foundations"]["results"].values()))
    row["best"] += 1e-6                                            # a change in the sixth digit
    now["mixnn"]["verdicts"][0][2] = "holds" if want["mixnn"]["verdicts"][0][2] != "holds" else "does not hold"
    diffs = _same(now, want)
    assert len(diffs) == 2 and "best" in diffs[0] and "verdicts" in diffs[1]
