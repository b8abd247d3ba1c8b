"""The method registry: a method's help line, training cost and colour come from its class alone."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from lnl import campaign, cli, plans, plot
from lnl.engine import Method
from lnl.methods import METHODS

# The tables that lnl.campaign.METHOD_COST and lnl.plot.METHOD_COLOURS held before each method declared
# its own numbers: what they were is what the classes declare now.
OLD_COST = {"ce": 1.0, "mixup": 1.0, "mixnn": 1.1, "coteaching": 2.0, "elr": 1.0, "dividemix": 5.0,
            "ieg": 6.6, "alr": 1.0, "sanm-ce": 4.9, "sanm-elr": 4.9 * 1.0, "sanm-coteaching": 4.9 * 2.0,
            "sanm-dividemix": 2.9 * 5.0}
OLD_COLOURS = {"ce": "#4d4d4d", "mixup": "#e69f00", "coteaching": "#56b4e9", "dividemix": "#009e73",
               "elr": "#cc79a7", "sanm": "#d55e00", "mixnn": "#0072b2", "ieg": "#9467bd", "alr": "#8c564b"}
OLD_NAMES = ["ce", "mixup", "mixnn", "coteaching", "elr", "dividemix", "alr", "ieg", "sanm-ce", "sanm-dividemix",
             "sanm-coteaching", "sanm-elr"]


def run_help(capsys) -> str:
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["run", "--help"])
    return capsys.readouterr().out


def test_the_derived_tables_are_the_old_ones(capsys):
    assert {name: campaign.method_cost(name) for name in METHODS} == OLD_COST
    assert {name: colour for name, colour in plot.METHOD_COLOURS.items() if name in OLD_COLOURS} == OLD_COLOURS
    assert list(METHODS) == OLD_NAMES
    text = run_help(capsys)
    assert ", ".join(OLD_NAMES) in " ".join(text.split()).replace("- ", "-")   # --method names them, in order
    for name, cls in METHODS.items():
        assert f"  {name} " in text and cls.help_line() in text and cls.summary      # a line each, declared


def test_sanm_arms_take_their_hosts_cost_and_a_colour_of_their_own():
    for host in ("ce", "coteaching", "elr", "dividemix"):
        arm = METHODS[f"sanm-{host}"]
        assert arm.cost > METHODS[host].cost and arm.colour is None
    colours = [plot.METHOD_COLOURS[name] for name in METHODS] + [plot.METHOD_COLOURS["sanm"]]
    assert len(set(colours)) == len(colours)                               # no two alike


@dataclass(frozen=True)
class _NoConfig:
    """No settings."""


class Throwaway(Method):
    """A method of this test only: it declares no cost, no colour and no summary."""

    name = "throwaway"
    Config = _NoConfig


class Declared(Method):
    name = "declared"
    Config = _NoConfig
    summary = "a method of this test that declares its own"
    cost = 3.0
    colour = "#123456"


def test_a_registered_method_gets_a_cost_a_colour_and_a_help_line(monkeypatch, capsys, tmp_path):
    before = dict(plot.METHOD_COLOURS)
    planned = plans.plan("mixnn/replication", "gpu")[0]
    ce = replace(planned, config=replace(planned.config, method="ce"))
    with monkeypatch.context() as m:
        m.setitem(METHODS, "throwaway", Throwaway)
        m.setitem(METHODS, "declared", Declared)
        assert campaign.method_cost("throwaway") == Method.cost == 1.5 and campaign.method_cost("declared") == 3.0
        alone = replace(planned, config=replace(planned.config, method="throwaway"))
        assert campaign.estimate_s(alone, "cuda", root=tmp_path)[0] > campaign.estimate_s(ce, "cuda", root=tmp_path)[0]
        assert plot.METHOD_COLOURS["declared"] == "#123456"
        spare = plot.METHOD_COLOURS["throwaway"]
        assert spare in plot.SPARE_COLOURS and spare not in before.values()      # none of the others'
        assert plot.METHOD_COLOURS["throwaway"] == spare                   # the same each time it is asked
        assert {name: plot.METHOD_COLOURS[name] for name in before} == before   # and theirs unchanged
        text = run_help(capsys)
        assert "throwaway" in text and Throwaway.__doc__.split("\n")[0] in text
        assert "a method of this test that declares its own" in text
    assert "throwaway" not in METHODS and "throwaway" not in plot.METHOD_COLOURS   # gone with the test
    assert "throwaway" not in run_help(capsys)


def test_a_method_without_a_colour_is_drawn_without_a_key_error(monkeypatch):
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_hex

    monkeypatch.setitem(METHODS, "throwaway", Throwaway)
    recs = [{"config": {"method": m, "noise": "symmetric", "rate": 0.4},
             "noise": {"kind": "symmetric", "rate_nominal": 0.4, "rate_effective": 0.4},
             "history": [{"epoch": 1, "test_acc": 0.5}, {"epoch": 2, "test_acc": 0.6}]} for m in ("ce", "throwaway")]
    ax = plot.history_curves(recs, "test_acc")
    assert [to_hex(line.get_color()) for line in ax.get_lines()] == [plot.METHOD_COLOURS["ce"],
                                                                     plot.METHOD_COLOURS["throwaway"]]
    plt.close("all")
