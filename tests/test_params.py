"""Method settings typed by annotations: every supported type from strings and from Python values,
the error sentences, unknown parameters, ``epochs_of``, and the real method configs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, Optional, Tuple, Union

import numpy as np
import pytest

from lnl.params import Epochs, epochs_of, make_config, parse_value, type_name


@dataclass(frozen=True)
class Everything:
    flag: bool = False
    count: int = 3
    rate: float = 25            # an int default on a float field: the annotation decides
    name: str = "x"
    sizes: tuple[int, ...] = (1, 2)
    pair: tuple[int, float] = (0, 0.0)
    maybe: float | None = None
    old_maybe: Optional[int] = 4
    epochs: Epochs = 0.5
    maybe_epochs: Epochs | None = None
    mode: Literal["gmm", "avg", "rdm"] = "gmm"
    words: tuple[str, ...] = ()
    hidden: int = field(default=7, init=False)


@dataclass(frozen=True)
class Checked:
    low: int = 0
    high: int = 1

    def __post_init__(self):
        if self.low > self.high:
            raise ValueError(f"low must not exceed high, got {self.low} > {self.high}.")


@dataclass(frozen=True)
class Odd:
    table: dict = None
    choice: Union[int, str] = 0


def parse(value, annotation, field="f", owner="m"):
    return parse_value(value, annotation, field=field, owner=owner)


def rejects(value, annotation, expected: str, field="f", owner="m"):
    """``value`` is rejected with the one sentence that names the field, the method and the type."""
    message = f"Parameter {field} of method '{owner}' must be {expected}, got {value!r}."
    with pytest.raises(ValueError, match=re.escape(message) + "$"):
        parse(value, annotation, field, owner)


# ----------------------------------------------------------------------------------------------
# type_name
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("annotation, name", [
    (float, "a float"), (int, "an int"), (bool, "true or false"), (str, "a string"),
    (tuple[int, ...], "a comma-separated tuple of ints"),
    (tuple[float, ...], "a comma-separated tuple of floats"),
    (tuple[str, ...], "a comma-separated tuple of strings"),
    (tuple[bool, ...], "a comma-separated tuple of booleans"),
    (tuple[int, int], "a comma-separated tuple of 2 ints"),
    (tuple[int, float], "a comma-separated tuple of an int and a float"),
    (tuple[int, float, str], "a comma-separated tuple of an int, a float and a string"),
    (tuple[int], "a comma-separated tuple of an int"),
    (tuple[int | float, ...], "a comma-separated tuple, each an int or a float"),
    (tuple[str | None, str | None], "a comma-separated tuple of a string or none and a string or none"),
    (Tuple[int, ...], "a comma-separated tuple of ints"),
    (Epochs, "an int or a float"), (Union[float, int], "an int or a float"),
    (float | None, "a float or none"), (Optional[int], "an int or none"),
    (Epochs | None, "one of an int, a float or none"), (bool | None, "one of true, false or none"),
    (tuple[int, ...] | None, "a comma-separated tuple of ints or none"),
    (Literal["gmm", "avg", "rdm"], "one of 'gmm', 'avg' or 'rdm'"),
    (Literal["paper", "code"], "'paper' or 'code'"), (Literal["only"], "'only'"),
    (Literal["a", "b"] | None, "one of 'a', 'b' or none"),
])
def test_type_names(annotation, name):
    assert type_name(annotation) == name


@pytest.mark.parametrize("annotation", [dict, list[int], tuple, Tuple, Union[int, str], int | str | None,
                                        Literal[1, 2], Literal["a", 2], "int", type(None)])
def test_unsupported_annotations_are_a_type_error(annotation):
    with pytest.raises(TypeError, match="Unsupported parameter annotation"):
        type_name(annotation)
    with pytest.raises(TypeError, match="Unsupported parameter annotation"):
        parse("1", annotation)                                     # even a value that would fit


# ----------------------------------------------------------------------------------------------
# parse_value, one type at a time
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [("true", True), ("TRUE", True), ("1", True), ("yes", True),
                                         ("Yes", True), (" true ", True), ("false", False),
                                         ("False", False), ("0", False), ("no", False), ("NO", False)])
def test_bool_from_strings(text, value):
    assert parse(text, bool) is value


def test_bool_from_python_and_rejections():
    assert parse(True, bool) is True and parse(False, bool) is False
    for bad in ("maybe", "", "2", "on", 1, 0, 1.5, None, np.bool_(True)):
        rejects(bad, bool, "true or false")


def test_int():
    assert parse("3", int) == 3 and type(parse("3", int)) is int
    assert parse(" -2 ", int) == -2 and parse("+7", int) == 7 and parse("1_000", int) == 1000
    assert parse(5, int) == 5
    assert parse(np.int64(4), int) == 4 and type(parse(np.int64(4), int)) is int
    for bad in ("3.0", "3.5", "x", "", "1e3", "none", 3.0, 2.5, True, False, None, "[1]", [1]):
        rejects(bad, int, "an int")


def test_float():
    assert parse("0.5", float) == 0.5 and parse(" 1e-3 ", float) == 1e-3 and parse("-2", float) == -2.0
    one = parse(1, float)
    assert one == 1.0 and type(one) is float                        # an int becomes a float
    assert type(parse("3", float)) is float
    assert parse(0.25, float) == 0.25 and type(parse(np.float32(0.5), float)) is float
    for bad in ("x", "", "nan", "NaN", "inf", "-inf", "Infinity", float("nan"), float("inf"),
                True, None, "none", (1.0,)):
        rejects(bad, float, "a float")


def test_str():
    assert parse("gmm", str) == "gmm" and parse("", str) == "" and parse(" a b ", str) == " a b "
    assert parse("none", str) == "none"                             # not optional: the text itself
    for bad in (1, 1.5, True, None, ("a",)):
        rejects(bad, str, "a string")


def test_free_length_tuples_from_strings():
    assert parse("1,2,3", tuple[int, ...]) == (1, 2, 3)
    assert parse("(1, 2, 3)", tuple[int, ...]) == (1, 2, 3)
    assert parse("[4, 5]", tuple[int, ...]) == (4, 5)
    assert parse(" 7 ", tuple[int, ...]) == (7,)
    assert parse("(7,)", tuple[int, ...]) == (7,) and parse("7,", tuple[int, ...]) == (7,)
    for empty in ("", "()", "  ", "[]"):
        assert parse(empty, tuple[int, ...]) == ()
    assert parse("0.5,2", tuple[float, ...]) == (0.5, 2.0)
    assert parse("a, b ,c", tuple[str, ...]) == ("a", "b", "c")
    assert parse("true,no", tuple[bool, ...]) == (True, False)
    assert parse("1,0.5", tuple[Epochs, ...]) == (1, 0.5)
    assert parse("1,none", tuple[int | None, ...]) == (1, None)
    expected = "a comma-separated tuple of ints"
    for bad in ("1,x", "1.5", "1,,2", ",", "(1,2", 5, 1.0, None, {1, 2}):
        rejects(bad, tuple[int, ...], expected)


def test_tuples_from_python():
    got = parse([1, 2], tuple[float, ...])
    assert got == (1.0, 2.0) and all(type(x) is float for x in got)
    assert parse((1, "2"), tuple[int, ...]) == (1, 2)                # each item converted
    assert parse([], tuple[int, ...]) == ()
    assert parse((3, 0.5), tuple[int, float]) == (3, 0.5)
    rejects([1, 2.5], tuple[int, ...], "a comma-separated tuple of ints")
    rejects([True], tuple[int, ...], "a comma-separated tuple of ints")


def test_fixed_length_tuples():
    t = tuple[int, float]
    assert parse("2, 0.5", t) == (2, 0.5) and type(parse("2,1", t)[1]) is float
    assert parse("(2, 0.5)", t) == (2, 0.5)
    expected = "a comma-separated tuple of an int and a float"
    for bad in ("2", "", "1,2,3", "0.5,2", [1], [1, 2, 3], ["x", 1]):
        rejects(bad, t, expected)
    assert parse("3,4", tuple[int, int]) == (3, 4)
    rejects("3", tuple[int, int], "a comma-separated tuple of 2 ints")


def test_optional():
    for none in ("none", "None", "NULL", "null", " none ", None):
        assert parse(none, float | None) is None
        assert parse(none, Optional[int]) is None
    assert parse("0.5", float | None) == 0.5 and parse(2, float | None) == 2.0
    assert parse("3", Optional[int]) == 3 and parse(3, Optional[int]) == 3
    assert parse("", tuple[int, ...] | None) == () and parse("none", tuple[int, ...] | None) is None
    assert parse("none", Literal["a", "b"] | None) is None and parse("a", Literal["a", "b"] | None) == "a"
    assert parse("none", str | None) is None and parse("x", str | None) == "x"
    rejects("x", float | None, "a float or none")
    rejects("2.5", Optional[int], "an int or none")
    rejects("nil", bool | None, "one of true, false or none")


def test_epochs():
    for t in (Epochs, int | float, float | int, Union[int, float]):
        assert parse("3", t) == 3 and type(parse("3", t)) is int
        assert parse("0.5", t) == 0.5 and type(parse("0.5", t)) is float
        assert type(parse("1.0", t)) is float and type(parse("1e1", t)) is float
        assert type(parse(3, t)) is int and type(parse(3.0, t)) is float
        assert type(parse(np.int32(2), t)) is int and type(parse(np.float32(0.25), t)) is float
        for bad in ("x", "", "nan", "inf", True, False, None, float("nan"), "none", [1]):
            rejects(bad, t, "an int or a float")
    assert parse("none", Epochs | None) is None and parse("2", Epochs | None) == 2
    rejects("x", Epochs | None, "one of an int, a float or none")


def test_literal():
    modes = Literal["gmm", "avg", "rdm"]
    assert parse("avg", modes) == "avg" and parse(" rdm ", modes) == "rdm"
    for bad in ("GMM", "knn", "", 1, None, True):
        rejects(bad, modes, "one of 'gmm', 'avg' or 'rdm'")
    rejects("x", Literal["paper", "code"], "'paper' or 'code'")


def test_the_error_is_one_sentence_naming_field_and_method():
    with pytest.raises(ValueError) as info:
        parse("2.5", int, field="K", owner="mixnn")
    assert str(info.value) == "Parameter K of method 'mixnn' must be an int, got '2.5'."
    assert info.value.__cause__ is None and info.value.__suppress_context__


# ----------------------------------------------------------------------------------------------
# make_config
# ----------------------------------------------------------------------------------------------

def test_defaults_when_nothing_is_set():
    assert make_config(Everything, {}, owner="m") == Everything()
    assert make_config(Everything, {"count": "4"}, owner="m") == Everything(count=4)   # the rest default


def test_all_fields_from_strings():
    cfg = make_config(Everything, {
        "flag": "yes", "count": "5", "rate": "0.5", "name": "abc", "sizes": "(3, 4, 5)", "pair": "1,2",
        "maybe": "1.5", "old_maybe": "none", "epochs": "10", "maybe_epochs": "0.25", "mode": "rdm",
        "words": "",
    }, owner="m")
    assert cfg == Everything(flag=True, count=5, rate=0.5, name="abc", sizes=(3, 4, 5), pair=(1, 2.0),
                             maybe=1.5, old_maybe=None, epochs=10, maybe_epochs=0.25, mode="rdm", words=())
    assert type(cfg.epochs) is int and type(cfg.pair[1]) is float and cfg.hidden == 7


def test_all_fields_from_python_values():
    cfg = make_config(Everything, {
        "flag": True, "count": 5, "rate": 2, "name": "abc", "sizes": [3, 4], "pair": (1, 2),
        "maybe": None, "old_maybe": 6, "epochs": 1.0, "maybe_epochs": 3, "mode": "avg", "words": ["a"],
    }, owner="m")
    assert cfg == Everything(flag=True, count=5, rate=2.0, name="abc", sizes=(3, 4), pair=(1, 2.0),
                             maybe=None, old_maybe=6, epochs=1.0, maybe_epochs=3, mode="avg", words=("a",))
    assert type(cfg.rate) is float and type(cfg.epochs) is float and type(cfg.maybe_epochs) is int
    assert isinstance(cfg.sizes, tuple)


def test_an_int_default_does_not_make_a_float_field_an_int():
    assert make_config(Everything, {"rate": "0.5"}, owner="m").rate == 0.5


@pytest.mark.parametrize("key, value, expected", [
    ("flag", "maybe", "true or false"), ("flag", 1.5, "true or false"), ("count", "2.5", "an int"),
    ("count", "3.0", "an int"), ("rate", "x", "a float"), ("rate", "inf", "a float"),
    ("name", 3, "a string"), ("sizes", "1,a", "a comma-separated tuple of ints"),
    ("pair", "1", "a comma-separated tuple of an int and a float"), ("maybe", "nope", "a float or none"),
    ("epochs", True, "an int or a float"), ("mode", "knn", "one of 'gmm', 'avg' or 'rdm'"),
])
def test_ill_typed_values_name_the_field(key, value, expected):
    with pytest.raises(ValueError, match=re.escape(f"Parameter {key} of method 'toy' must be {expected}, "
                                                   f"got {value!r}.") + "$"):
        make_config(Everything, {key: value}, owner="toy")


def test_unknown_parameters():
    fields = "flag, count, rate, name, sizes, pair, maybe, old_maybe, epochs, maybe_epochs, mode, words"
    with pytest.raises(ValueError) as info:
        make_config(Everything, {"zeta": 1, "beta": "2", "count": "x"}, owner="toy")
    assert str(info.value) == f"Method 'toy' has no parameter beta, zeta; its parameters: {fields}."
    with pytest.raises(ValueError, match="has no parameter hidden;"):      # init=False is not settable
        make_config(Everything, {"hidden": 1}, owner="toy")


def test_a_class_that_is_not_a_dataclass_has_no_parameters():
    no_config = type("NoConfig", (), {})
    assert isinstance(make_config(no_config, {}, owner="ce"), no_config)
    with pytest.raises(ValueError) as info:
        make_config(no_config, {"beta": 1}, owner="ce")
    assert str(info.value) == "Method 'ce' has no parameter beta; its parameters: none."


def test_post_init_errors_pass_through():
    assert make_config(Checked, {"low": "1", "high": "2"}, owner="m") == Checked(1, 2)
    with pytest.raises(ValueError) as info:
        make_config(Checked, {"low": "3"}, owner="m")
    assert str(info.value) == "low must not exceed high, got 3 > 1."


def test_an_unsupported_annotation_fails_only_when_set():
    assert make_config(Odd, {}, owner="m") == Odd()
    with pytest.raises(TypeError, match="Unsupported parameter annotation"):
        make_config(Odd, {"table": "{}"}, owner="m")
    with pytest.raises(TypeError, match="a union must be T | None or int | float"):
        make_config(Odd, {"choice": "1"}, owner="m")


# ----------------------------------------------------------------------------------------------
# epochs_of
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, run, epochs", [
    (0, 20, 0), (3, 20, 3), (25, 20, 25), (np.int64(4), 20, 4),
    (0.5, 20, 10), (1.0, 20, 20), (0.0, 20, 0), (0.3, 10, 3), (0.1, 300, 30), (0.2, 300, 60),
    (0.25, 10, 3), (0.24, 10, 2), (0.05, 10, 1), (0.04, 10, 0), (1 / 3, 10, 3), (np.float32(0.5), 8, 4),
    (1, 20, 1),                                                       # an int 1 is one epoch, not the run
])
def test_epochs_of(value, run, epochs):
    got = epochs_of(value, run)
    assert got == epochs and type(got) is int


@pytest.mark.parametrize("value", [-1, -0.1, 1.5, 2.0, float("nan"), float("inf"), True, False, "3", None])
def test_epochs_of_rejects(value):
    with pytest.raises(ValueError) as info:
        epochs_of(value, 20)
    assert str(info.value) == ("A number of epochs must be an int of at least 0 or a fraction of the run "
                               f"within [0, 1], got {value!r}.")


def test_parsed_epochs_feed_epochs_of():
    assert epochs_of(parse("0.5", Epochs), 30) == 15 and epochs_of(parse("5", Epochs), 30) == 5


# ----------------------------------------------------------------------------------------------
# The real method configs
# ----------------------------------------------------------------------------------------------

def test_mixup_config():
    from lnl.methods.mixup import MixupConfig

    assert make_config(MixupConfig, {}, owner="mixup") == MixupConfig()
    assert make_config(MixupConfig, {"alpha": "0.5"}, owner="mixup").alpha == 0.5
    cfg = make_config(MixupConfig, {"alpha": 2}, owner="mixup")
    assert cfg.alpha == 2.0 and isinstance(cfg.alpha, float)
    with pytest.raises(ValueError, match="must be a float"):
        make_config(MixupConfig, {"alpha": "x"}, owner="mixup")
    message = "Method 'mixup' has no parameter beta; its parameters: alpha."
    with pytest.raises(ValueError, match=re.escape(message)):
        make_config(MixupConfig, {"beta": 1}, owner="mixup")


def test_mixnn_config():
    from lnl.methods.mixnn import MixNNConfig

    cfg = make_config(MixNNConfig, {"K": "2", "alpha": "0.8", "correction": "false", "weights": "avg",
                                    "variant": "code", "neg_prob_loss": "1", "e_s": 30}, owner="mixnn")
    assert cfg == MixNNConfig(K=2, alpha=0.8, correction=False, weights="avg", variant="code",
                              neg_prob_loss=True, e_s=30)
    assert make_config(MixNNConfig, {"rdm_alpha": 2}, owner="mixnn").rdm_alpha == 2.0
    with pytest.raises(ValueError) as info:
        make_config(MixNNConfig, {"K": "2.5"}, owner="mixnn")
    assert str(info.value) == "Parameter K of method 'mixnn' must be an int, got '2.5'."
    with pytest.raises(ValueError, match="MixNN K must be at least 1, got 0."):              # __post_init__
        make_config(MixNNConfig, {"K": "0"}, owner="mixnn")
    with pytest.raises(ValueError, match="MixNN weights must be one of: gmm, avg, rdm; got 'x'."):
        make_config(MixNNConfig, {"weights": "x"}, owner="mixnn")
