"""Every setting has a source (lnl.provenance), `lnl defaults` prints them, and a paper's phase keeps
its share of a shorter run (Method.phase)."""

import json
from types import SimpleNamespace

import pytest

from lnl import provenance
from lnl.cli import main
from lnl.engine import Method, RunConfig
from lnl.engine.config import RUN_SOURCES
from lnl.methods import METHODS
from lnl.params import epochs_of
from lnl.provenance import Source, paper, paper_share


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_setting_of_every_method_has_a_source(name):
    """Each Config field, and each run setting of each preset, says where it comes from."""
    assert provenance.missing_sources(METHODS[name]) == []


def test_every_run_default_has_a_source():
    assert set(provenance.RUN_FIELDS) <= set(RUN_SOURCES)
    assert all(f in RunConfig.__dataclass_fields__ for f in provenance.RUN_FIELDS)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_the_defaults_table_covers_the_run_and_the_method(name):
    rows = provenance.defaults(name)
    settings = [(r["scope"], r["setting"]) for r in rows]
    assert settings[:len(provenance.RUN_FIELDS)] == [("run", f) for f in provenance.RUN_FIELDS]
    assert [s for scope, s in settings if scope == "method"] == provenance.config_fields(METHODS[name].Config)
    assert all(r["kind"] in provenance.KINDS for r in rows)
    for preset in METHODS[name].presets:
        assert all(r["kind"] in provenance.KINDS for r in provenance.defaults(name, preset))


def test_a_source_is_one_of_four_kinds_and_says_where():
    assert str(paper("§4.1", "10 on CIFAR-10", schedule=300)) == "paper: §4.1 (10 on CIFAR-10) [of a 300-epoch run]"
    with pytest.raises(ValueError, match="one of paper, code, reconstructed, ours"):
        Source("folklore", "somewhere")
    with pytest.raises(ValueError, match="must say where"):
        Source("paper", " ")


def test_a_preset_replaces_the_run_defaults_and_their_sources():
    cls = METHODS["elr"]
    preset = next(iter(cls.presets))
    rows = {r["setting"]: r for r in provenance.defaults("elr", preset)}
    for field, value in cls.presets[preset].items():
        if field in provenance.RUN_FIELDS and field != "schedule":
            assert rows[field]["value"] == value and rows[field]["kind"] != "MISSING"
    plain = {r["setting"]: r for r in provenance.defaults("elr")}
    assert plain["lr"]["kind"] == "ours" and plain["lr"]["value"] == RunConfig().lr


def test_a_given_param_is_ours_and_its_value_shows():
    rows = {r["setting"]: r for r in provenance.defaults("mixup", params={"alpha": 8.0})}
    assert rows["alpha"]["value"] == 8.0 and rows["alpha"]["source"] == "ours: given on the command line"


@pytest.mark.parametrize("value, schedule, epochs, expected", [
    (10, 300, 300, 10), (10, 300, 600, 10),        # the paper's run or longer: as the paper says
    (60, 300, 20, 4),                              # MixNN's E_s in a 20-epoch run: 60/300 of it
    (16, 300, 150, 8),                             # half the run, half the phase
    (10, 300, 12, 1),                              # 0.4 epochs rounds to 0: at least one
    (10, 200, 30, 2),                              # 1.5 rounds half up
    (0, 300, 12, 0),                               # no phase stays none
])
def test_a_paper_phase_keeps_its_share_of_a_shorter_run(value, schedule, epochs, expected):
    assert paper_share(value, schedule, epochs) == expected


class _Phased(Method):
    name = "phased"
    sources = {"warmup": paper("§4", schedule=300), "start": provenance.ours("a plain count")}


def _ctx(epochs, **given):
    cfg = RunConfig(epochs=epochs, method_params=given)
    return SimpleNamespace(cfg=cfg, resolved_phases={}, epochs_of=lambda v: epochs_of(v, epochs))


def test_method_phase_scales_defaults_and_keeps_given_values():
    m = _Phased(SimpleNamespace(warmup=10, start=10))
    ctx = _ctx(12)
    assert m.phase(ctx, "warmup") == 1
    assert ctx.resolved_phases["warmup"]["epochs"] == 1 and ctx.resolved_phases["warmup"]["paper_schedule"] == 300
    assert m.phase(ctx, "start") == 10 and "start" not in ctx.resolved_phases     # no schedule: a plain count
    given = _ctx(12, warmup=10)
    assert m.phase(given, "warmup") == 10 and given.resolved_phases == {}         # the user's value, as given
    long = _ctx(300)
    assert m.phase(long, "warmup") == 10 and long.resolved_phases == {}
    assert m.phase(_ctx(12), "warmup", 0.5) == 6                                 # a share of the run stays one


def test_lnl_defaults_prints_every_setting_and_json(capsys):
    assert main(["defaults", "coteaching"]) == 0
    out = capsys.readouterr().out
    assert "run settings:" in out and "method settings:" in out and "no source" not in out
    assert main(["defaults", "elr", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["setting"] for r in rows} >= set(provenance.RUN_FIELDS) | {"beta", "lam"}
    assert all(r["kind"] in provenance.KINDS for r in rows)


@pytest.mark.parametrize("argv, words", [
    (["defaults", "nope"], ["Unknown method 'nope'", "dividemix", "sanm-elr"]),
    (["defaults", "elr", "--preset", "x"], ["no preset 'x'", "cifar10"]),
    (["defaults", "mixup", "--param", "beta=1"], ["no parameter beta"]),
])
def test_lnl_defaults_bad_input_is_one_sentence_and_exit_2(argv, words, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert captured.out == "" and "Traceback" not in err and len(err.splitlines()) == 1
    assert all(w in err for w in words)


@pytest.mark.parametrize("method, params, preset, field", [
    ("sanm-ce", {"variant": "code"}, None, "activation"),
    ("mixnn", {"variant": "code"}, None, "t_every"),
    ("ieg", {"variant": "code"}, None, "logit_norm"),
    ("dividemix", {}, "c10-sym80", "strict_tau"),
    ("sanm-dividemix", {"preset": "c10-sym80"}, None, "strict_tau"),
])
def test_a_value_the_code_form_selects_is_labelled_code(method, params, preset, field):
    """The paper's source of a field's default does not label the code's form that a variant or a
    preset puts in its place."""
    plain = {r["setting"]: r for r in provenance.defaults(method)}
    assert plain[field]["kind"] != "code"
    rows = {r["setting"]: r for r in provenance.defaults(method, preset, params)}
    assert rows[field]["kind"] == "code" and "official code's form" in rows[field]["source"]
    assert rows[field]["value"] != plain[field]["value"]
