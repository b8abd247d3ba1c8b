"""The engine: schedules, determinism, resume, diagnostics, and hooks for methods beyond CE."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

import pytest
import torch
import torch.nn.functional as F

from lnl import engine, runner
from lnl.engine import Method, RunConfig, Schedule
from lnl.methods import METHODS


def small(method: str = "ce", **kw) -> RunConfig:
    """Digits with an MLP: a few seconds per run on a CPU."""
    base = dict(method=method, dataset="digits", noise="symmetric", rate=0.4, epochs=4, batch_size=64,
                lr=0.05, seed=0, device="cpu")
    base.update(kw)
    return RunConfig(**base)


def comparable(record: dict) -> dict:
    """Everything in a record that must not depend on when or how fast it ran."""
    rec = {k: v for k, v in record.items() if k not in ("timing", "provenance")}
    rec["summary"] = {k: v for k, v in rec["summary"].items() if k != "wall_time_s"}
    return rec


def test_schedules():
    assert Schedule("multistep", milestones=(2, 4)).lr(1.0, 3, 6) == pytest.approx(0.1)
    assert Schedule("multistep", milestones=(2, 4)).lr(1.0, 5, 6) == pytest.approx(0.01)
    cos = Schedule("cosine", eta_min=0.1)
    assert cos.lr(1.0, 0, 10) == pytest.approx(1.0) and cos.lr(1.0, 5, 10) == pytest.approx(0.55)
    sgdr = Schedule("cosine-restarts", t0=10, eta_min=1e-3)
    assert [sgdr.lr(0.02, e, 300) for e in (0, 10, 20)] == pytest.approx([0.02] * 3)
    assert sgdr.lr(0.02, 5, 300) == pytest.approx(sgdr.lr(0.02, 25, 300))
    grow = Schedule("cosine-restarts", t0=2, t_mult=2)
    assert [grow.lr(1.0, e, 99) == pytest.approx(1.0) for e in range(8)] == [1, 0, 1, 0, 0, 0, 1, 0]
    assert Schedule("constant", warmup=3).lr(1.0, 0, 10) == pytest.approx(0.25)


@pytest.mark.parametrize("method", ["ce", "mixup"])
def test_same_seed_gives_an_identical_record(method, tmp_path):
    a = runner.run(small(method), out=tmp_path / "a")
    b = runner.run(small(method), out=tmp_path / "b")
    assert comparable(a) == comparable(b)
    c = runner.run(small(method, seed=1), out=tmp_path / "c")
    assert c["history"] != a["history"]


@pytest.mark.parametrize("method", ["ce", "mixup"])
def test_a_killed_run_resumes_to_the_identical_record(method, tmp_path):
    cfg = small(method)
    whole = runner.run(cfg, out=tmp_path / "whole")
    assert runner.run(cfg, out=tmp_path / "cut", stop_after=2) == {}
    ckpt = tmp_path / "cut" / f"{engine.run_id(cfg)}.ckpt"
    assert ckpt.exists() and not ckpt.with_suffix(".json").exists()
    resumed = runner.run(cfg, out=tmp_path / "cut", resume=True)
    assert comparable(resumed) == comparable(whole)
    assert not ckpt.exists()  # removed once the record is written
    on_disk = json.loads(ckpt.with_suffix(".json").read_text())
    assert comparable(on_disk) == comparable(json.loads(json.dumps(whole)))


def test_resume_refuses_a_checkpoint_of_another_config(tmp_path):
    cfg = small()
    runner.run(cfg, out=tmp_path, stop_after=1)
    other = tmp_path / f"{engine.run_id(replace(cfg, lr=0.01))}.ckpt"
    (tmp_path / f"{engine.run_id(cfg)}.ckpt").rename(other)
    with pytest.raises(ValueError, match="different configuration"):
        runner.run(replace(cfg, lr=0.01), out=tmp_path, resume=True)


def test_record_keys_and_memorisation_diagnostics(tmp_path):
    rec = runner.run(small(epochs=3), out=tmp_path)
    for key in ("config", "history", "summary", "provenance", "noise", "timing"):
        assert key in rec
    for key in ("test_acc_best", "test_acc_last", "test_acc_last10", "noise_rate_effective", "wall_time_s"):
        assert key in rec["summary"]
    h = rec["history"][-1]
    for key in ("epoch", "test_acc", "train_loss", "clean_acc", "noisy_acc_given", "noisy_acc_true",
                "grad_clean", "grad_noisy", "loss_auroc", "lr"):
        assert key in h
    assert [e["epoch"] for e in rec["history"]] == [1, 2, 3]
    assert rec["summary"]["test_acc_last10"] == pytest.approx(sum(e["test_acc"] for e in rec["history"]) / 3)
    assert rec["summary"]["noise_rate_effective"] == pytest.approx(0.4, abs=0.01)  # exact counts
    assert {"sha", "dirty"} <= set(rec["provenance"]["git"]) and rec["provenance"]["torch_version"]
    assert rec["noise"]["kind"] == "symmetric" and len(rec["noise"]["realised_matrix"]) == 10


def test_without_noise_the_mislabelled_diagnostics_are_null(tmp_path):
    rec = runner.run(small(noise="none", epochs=1), out=tmp_path)
    h = rec["history"][0]
    assert h["noisy_acc_given"] is None and h["loss_auroc"] is None and h["clean_acc"] is not None
    assert rec["summary"]["noise_rate_effective"] == 0.0


def test_validate_rejects_bad_settings():
    for kw, match in [({"method": "sop"}, "choose one of: ce, mixup"), ({"rate": 1.5}, "within \\[0, 1\\]"),
                      ({"noise": "gauss"}, "noise kind"), ({"dataset": "mnist"}, "data set"),
                      ({"method_params": {"beta": 1}}, "has no parameter beta"),
                      ({"method": "mixup", "method_params": {"alpha": "x"}}, "must be a float")]:
        with pytest.raises(ValueError, match=match):
            runner.validate(small(**kw))


# --- hooks for what later methods need: two networks and manual steps, a probe stream, meta steps ----

@dataclass(frozen=True)
class TwoNetConfig:
    keep: float = 0.6


class SmallLossExchange(Method):
    """Co-teaching in miniature: each net trains on the small-loss samples of its peer."""

    name = "two-net-test"
    Config = TwoNetConfig
    automatic_optimization = False

    def configure(self, ctx):
        self.net, self.peer = ctx.build_model(), ctx.build_model()
        self.opts = [ctx.optimizer(self.net.parameters()), ctx.optimizer(self.peer.parameters())]
        self.register_buffer("times_selected", torch.zeros(ctx.num_train))
        self.seen_ctx = ctx

    def training_step(self, batch, ctx):
        x, y = batch["x"], batch["y"]
        l1 = F.cross_entropy(self.net(x), y, reduction="none")
        l2 = F.cross_entropy(self.peer(x), y, reduction="none")
        k = max(1, int(self.config.keep * len(y)))
        s1, s2 = l1.argsort()[:k], l2.argsort()[:k]
        self.times_selected.index_add_(0, batch["idx"][s1], torch.ones(k))
        ctx.step(l1[s2].mean(), self.opts[0])
        ctx.step(l2[s1].mean(), self.opts[1])
        return {"loss": (l1[s2].mean() + l2[s1].mean()).detach() / 2}

    def predict(self, x):
        return self.net(x) + self.peer(x)


class ProbeUser(Method):
    name = "probe-test"
    Config = TwoNetConfig
    uses_probe = True

    def configure(self, ctx):
        self.net = ctx.build_model()
        ctx.optimizer(self.net.parameters())
        self.probe_batches = []

    def training_step(self, batch, ctx):
        probe = batch["probe"]
        self.probe_batches.append(probe["y"].clone())
        loss = F.cross_entropy(self.net(batch["x"]), batch["y"]) + F.cross_entropy(self.net(probe["x"]), probe["y"])
        return {"loss": loss}


def test_two_networks_with_manual_optimisation_resume_identically(tmp_path, monkeypatch):
    monkeypatch.setitem(METHODS, "two-net-test", SmallLossExchange)
    cfg = small("two-net-test", epochs=3)
    whole = runner.run(cfg, out=tmp_path / "a")
    runner.run(cfg, out=tmp_path / "b", stop_after=1)
    assert comparable(runner.run(cfg, out=tmp_path / "b", resume=True)) == comparable(whole)
    assert whole["history"][-1]["test_acc"] > 0.5


def test_methods_never_see_the_true_labels(tmp_path, monkeypatch):
    monkeypatch.setitem(METHODS, "two-net-test", SmallLossExchange)
    seen = {}
    original = SmallLossExchange.configure

    def spy(self, ctx):
        original(self, ctx)
        seen["ctx"] = ctx

    monkeypatch.setattr(SmallLossExchange, "configure", spy)
    runner.run(small("two-net-test", epochs=1), out=tmp_path)
    ctx = seen["ctx"]
    assert not any("true" in name for name in vars(ctx))
    prep = engine.prepare(small())
    assert torch.equal(ctx.labels.cpu(), torch.as_tensor(prep.labels.copy()))  # the given (noisy) labels


def test_probe_stream_is_clean_balanced_and_held_out(tmp_path, monkeypatch):
    monkeypatch.setitem(METHODS, "probe-test", ProbeUser)
    cfg = small("probe-test", epochs=1, probe_per_class=3, rate=0.8)
    prep = engine.prepare(cfg)
    assert len(prep.probe_idx) == 30 and len(prep.train_idx) == 1347 - 30
    assert not set(prep.probe_idx) & set(prep.train_idx)
    y = prep.dataset.train.labels.numpy()
    assert sorted(y[prep.probe_idx].tolist()) == sorted(list(range(10)) * 3)
    rec = runner.run(cfg, out=tmp_path)
    assert rec["data"]["num_probe"] == 30 and rec["data"]["num_train"] == 1317
    with pytest.raises(ValueError, match="probe"):
        runner.run(replace(cfg, probe_per_class=0), out=tmp_path)


def test_functional_forward_equals_the_module_and_spares_bn_statistics():
    from lnl.models import build_model

    net = build_model("cnn", num_classes=10, in_channels=1, image_size=8)
    x = torch.randn(4, 1, 8, 8)
    params = dict(net.named_parameters())
    before = {k: v.clone() for k, v in net.named_buffers()}
    out = engine.functional_forward(net, params, x)              # train-mode BN
    assert all(torch.equal(before[k], v) for k, v in net.named_buffers())
    net.eval()
    assert torch.allclose(engine.functional_forward(net, params, x), net(x))
    # a virtual SGD step: gradient of a loss at θ' = θ − η∇L wrt a per-sample weight
    w = torch.full((4,), 0.25, requires_grad=True)
    loss = (w * F.cross_entropy(net(x), torch.tensor([0, 1, 2, 3]), reduction="none")).sum()
    grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
    stepped = {k: p - 0.1 * g for (k, p), g in zip(params.items(), grads)}
    probe_loss = F.cross_entropy(engine.functional_forward(net, stepped, x), torch.tensor([0, 1, 2, 3]))
    (dw,) = torch.autograd.grad(probe_loss, w)
    assert dw.shape == (4,) and torch.isfinite(dw).all() and dw.abs().sum() > 0
    assert out.shape == (4, 10)


class EvenOnly(Method):
    """Trains on a per-epoch subset chosen in on_epoch_start (as DivideMix's labelled set)."""

    name = "subset-test"
    Config = TwoNetConfig

    def configure(self, ctx):
        self.net = ctx.build_model()
        ctx.optimizer(self.net.parameters())
        self.seen = []

    def on_epoch_start(self, ctx):
        ctx.passes = [engine.Pass(engine.Stream("train", indices=torch.arange(0, ctx.num_train, 2)))]

    def training_step(self, batch, ctx):
        self.seen.append(batch["idx"].clone())
        return {"loss": F.cross_entropy(self.net(batch["x"]), batch["y"])}


def test_a_method_can_train_on_a_subset_each_epoch(tmp_path, monkeypatch):
    monkeypatch.setitem(METHODS, "subset-test", EvenOnly)
    made = []
    monkeypatch.setattr(EvenOnly, "__init__", lambda self, cfg: (Method.__init__(self, cfg), made.append(self))[0])
    runner.run(small("subset-test", epochs=1, batch_size=100), out=tmp_path)
    seen = torch.cat(made[0].seen)
    assert (seen % 2 == 0).all() and len(seen) == 600 and len(set(seen.tolist())) == 600  # 674 evens, drop_last


def test_per_sample_losses_are_saved_beside_the_record(tmp_path):
    from lnl import gmm, records

    cfg = small(epochs=2)
    rec = runner.run(cfg, out=tmp_path, per_sample=True)
    arrays = records.per_sample(tmp_path / f"{rec['run_id']}.json")
    assert arrays["loss"].shape == (2, 1347) and arrays["epoch"].tolist() == [1, 2]
    noisy = arrays["given"] != arrays["true"]
    # the history's loss_auroc is the AUROC of minus these losses
    auroc = gmm.detection_metrics(-arrays["loss"][-1], ~noisy)["auroc"]
    assert auroc == pytest.approx(rec["history"][-1]["loss_auroc"], abs=1e-6)
    assert arrays["loss"][-1][noisy].mean() > arrays["loss"][-1][~noisy].mean()


@pytest.mark.parametrize("what", ["train_logits", "train_features"])
def test_the_diagnostics_pass_is_shared_with_the_next_epoch_start(what, tmp_path, monkeypatch):
    from lnl.engine import diagnostics, loop

    calls = []

    def counting(original):
        def count(fn, data, *args, **kwargs):
            calls.append(len(data))
            return original(fn, data, *args, **kwargs)
        return count

    class UsesTrainLogits(EvenOnly):
        name = "train-logits-test"

        def on_epoch_start(self, ctx):
            getattr(ctx, what)(self.net)

    monkeypatch.setattr(diagnostics, "evaluate_outputs", counting(diagnostics.evaluate_outputs))
    monkeypatch.setattr(loop, "evaluate_named", counting(loop.evaluate_named))
    monkeypatch.setitem(METHODS, "train-logits-test", UsesTrainLogits)
    runner.run(small("train-logits-test", epochs=3), out=tmp_path)
    # per epoch one test pass (450) and one training-set pass (1347); epoch 1's start adds one more
    assert calls.count(1347) == 4 and calls.count(450) == 3
    calls.clear()
    runner.run(small("mixnn", epochs=3, method_params={"warmup": 1}), out=tmp_path)
    assert calls.count(1347) == 3             # MixNN's GMM and kNN use the diagnostics pass


class ReportsIndex(Method):
    """Hands each sample's index to the engine as a per-sample value."""

    name = "by-truth-test"

    def configure(self, ctx):
        self.net = ctx.build_model()
        ctx.optimizer(self.net.parameters())

    def training_step(self, batch, ctx):
        return {"loss": F.cross_entropy(self.net(batch["x"]), batch["y"]),
                "by_truth": {"idx": batch["idx"].float()}}


def test_per_sample_values_are_averaged_over_clean_and_mislabelled_samples(tmp_path, monkeypatch):
    monkeypatch.setitem(METHODS, "by-truth-test", ReportsIndex)
    cfg = small("by-truth-test", epochs=1, batch_size=1347)      # one batch: every sample once
    rec = runner.run(cfg, out=tmp_path)
    prep = engine.prepare(cfg)
    idx = torch.arange(1347, dtype=torch.float64)
    noisy = torch.as_tensor(prep.labels != prep.true)
    h = rec["history"][0]
    assert h["idx_clean"] == pytest.approx(float(idx[~noisy].mean()))
    assert h["idx_noisy"] == pytest.approx(float(idx[noisy].mean()))
    clean_only = runner.run(replace(cfg, noise="none"), out=tmp_path)["history"][0]
    assert clean_only["idx_clean"] == pytest.approx(673.0) and clean_only["idx_noisy"] is None


def test_ce_gradient_coefficient_is_larger_for_mislabelled_samples(tmp_path):
    h = runner.run(small(epochs=6), out=tmp_path)["history"]
    assert all(0 < e["grad_coef_clean"] < e["grad_coef_noisy"] < 1 for e in h[2:])


def test_a_kept_state_restores_the_trained_method(tmp_path):
    cfg = small("mixnn", epochs=3, method_params={"warmup": 1, "e_s": 2})
    rec = runner.run(cfg, out=tmp_path, keep_state=True)
    path = tmp_path / f"{rec['run_id']}.json"
    assert (tmp_path / rec["state_file"]).exists() and not path.with_suffix(".ckpt").exists()
    r = runner.restore(path)
    assert not r.method.training
    logits = engine.evaluate_outputs(r.method.predict, r.test, 256, r.ctx.autocast)
    acc = float((logits.argmax(1) == r.prep.dataset.test.labels).float().mean())
    assert acc == pytest.approx(rec["history"][-1]["test_acc"], abs=1e-6)
    relabelled = float((r.method.t.argmax(1).cpu() != torch.as_tensor(r.prep.labels.copy())).float().mean())
    assert relabelled == pytest.approx(rec["history"][-1]["t_relabelled"], abs=1e-6)
    _, emb = r.ctx.train_features(r.method.net)
    assert emb.shape[0] == rec["data"]["num_train"]


def test_restore_without_a_kept_state_says_so(tmp_path):
    rec = runner.run(small(epochs=1), out=tmp_path)
    with pytest.raises(FileNotFoundError, match="keep_state=True"):
        runner.restore(tmp_path / f"{rec['run_id']}.json")


def test_run_config_round_trips_through_a_record(tmp_path):
    cfg = small("mixnn", schedule=Schedule("multistep", milestones=(2, 3)), method_params={"K": 2})
    stored = json.loads(json.dumps(cfg.to_dict(), default=str))
    assert RunConfig.from_dict(stored) == cfg
    assert engine.run_id(RunConfig.from_dict(stored)) == engine.run_id(cfg)


def test_records_are_bit_identical_to_the_golden_ones():
    """CE, Mixup and MixNN (both variants) give the records they gave before the engine's passes
    and streams: the same batches, augmentations, draws and numbers (tests/golden/make_golden.py).
    Exact where the float arithmetic is the one that wrote them (the same fingerprint,
    ``make_golden.arithmetic``). Elsewhere a network's arithmetic differs in the last bits and
    training amplifies it, so there only what does not depend on it is compared: the run ids, the
    noise, and every epoch's logged names."""
    from tests.golden import make_golden

    golden = json.loads(make_golden.GOLDEN.read_text())
    now = make_golden.compute()
    assert set(now) == set(golden["records"])
    if golden.get("arithmetic") == make_golden.arithmetic():
        assert now == golden["records"]
    else:
        for name, rec in golden["records"].items():
            assert now[name]["run_id"] == rec["run_id"] and now[name]["noise"] == rec["noise"]
            for got, want in zip(now[name]["history"], rec["history"], strict=True):
                assert got.keys() == want.keys()


# --- passes and streams -------------------------------------------------------------------------

def crop_flip_digits():
    from tests.golden.make_golden import digits_with_crop_and_flip
    return digits_with_crop_and_flip()


class StreamSpy(Method):
    """Records every batch it gets; ``side`` names the side streams to add to the default pass."""

    name = "stream-spy"
    Config = TwoNetConfig
    side: tuple = ()
    passes: list | None = None

    def configure(self, ctx):
        self.net = ctx.build_model()
        ctx.optimizer(self.net.parameters())
        self.seen = []

    def on_epoch_start(self, ctx):
        if self.passes is not None:
            ctx.passes = self.passes(ctx)
        elif self.side:
            ctx.passes = [engine.Pass(engine.Stream("train"), side=self.side)]

    def training_step(self, batch, ctx):
        self.seen.append({"epoch": ctx.epoch, "tag": ctx.current_pass.tag, "progress": ctx.progress,
                          "pass_progress": ctx.pass_progress,
                          **{k: (v.clone() if torch.is_tensor(v) else v) for k, v in batch.items() if k != "views"},
                          "views": [v.clone() for v in batch.get("views", [])]})
        return {"loss": F.cross_entropy(self.net(batch["x"]), batch["y"])}


def spy(monkeypatch, tmp_path, cfg, **attrs):
    cls = type("Spy", (StreamSpy,), attrs)
    made = []
    monkeypatch.setitem(METHODS, "stream-spy", cls)
    monkeypatch.setattr(cls, "__init__", lambda self, c: (Method.__init__(self, c), made.append(self))[0])
    rec = runner.run(cfg, out=tmp_path / str(len(list(tmp_path.iterdir()))), dataset=crop_flip_digits())
    return made[0].seen, rec


def test_adding_streams_leaves_the_main_stream_unchanged(tmp_path, monkeypatch):
    cfg = small("stream-spy", epochs=2, probe_per_class=5)
    alone, _ = spy(monkeypatch, tmp_path, cfg)
    side = (engine.Stream("unlabelled", indices=torch.arange(0, 300), views=("weak", "strong")),
            engine.Stream("probe", source="probe", shuffle=False))
    beside, _ = spy(monkeypatch, tmp_path, cfg, side=side)
    assert len(alone) == len(beside) == 2 * (1297 // 64)
    for a, b in zip(alone, beside):
        assert torch.equal(a["idx"], b["idx"]) and torch.equal(a["x"], b["x"]) and torch.equal(a["y"], b["y"])
    assert not torch.equal(alone[0]["x"], crop_flip_digits().train.images[alone[0]["idx"]].float())  # augmented
    u = [b["unlabelled"] for b in beside]
    assert all(len(v["views"]) == 2 and not torch.equal(*v["views"]) for v in u)     # two different views
    epoch0 = torch.cat([v["idx"] for v, b in zip(u, beside) if b["epoch"] == 0])
    assert set(epoch0[:256].tolist()) <= set(range(300)) and len(set(epoch0[:256].tolist())) == 256  # one sweep,
    assert len(epoch0) == 20 * 64 and set(epoch0.tolist()) == set(range(300))           # then cycles
    probe = [b["probe"] for b in beside]
    assert torch.equal(probe[0]["idx"], torch.arange(50)) and torch.equal(probe[1]["idx"], torch.arange(50))


def test_stream_randomness_is_keyed_by_its_name(tmp_path, monkeypatch):
    cfg = small("stream-spy", epochs=1)
    one = lambda name: (engine.Stream(name, indices=torch.arange(0, 640)),)  # noqa: E731
    a, _ = spy(monkeypatch, tmp_path, cfg, side=one("u"))
    b, _ = spy(monkeypatch, tmp_path, cfg, side=one("u"))
    c, _ = spy(monkeypatch, tmp_path, cfg, side=one("other"))
    assert all(torch.equal(x["u"]["idx"], y["u"]["idx"]) and torch.equal(x["u"]["x"], y["u"]["x"])
               for x, y in zip(a, b))
    assert not torch.equal(a[0]["u"]["idx"], c[0]["other"]["idx"])


def test_passes_in_order_with_their_tags_batch_sizes_and_progress(tmp_path, monkeypatch):
    def two_passes(ctx):
        return [engine.Pass(engine.Stream("first", indices=torch.arange(0, 400)), batch_size=100, tag="net1"),
                engine.Pass(engine.Stream("second", indices=torch.arange(400, 600)), tag="net2")]

    seen, rec = spy(monkeypatch, tmp_path, small("stream-spy", epochs=2), passes=staticmethod(two_passes))
    e0 = [s for s in seen if s["epoch"] == 0]
    assert [s["tag"] for s in e0] == ["net1"] * 4 + ["net2"] * 3
    assert [len(s["idx"]) for s in e0] == [100] * 4 + [64] * 3                 # drop_last on the second
    assert all(s["idx"].max() < 400 for s in e0[:4]) and all(s["idx"].min() >= 400 for s in e0[4:])
    assert [s["progress"] for s in e0] == pytest.approx([k / 7 for k in range(7)])
    assert [s["pass_progress"] for s in e0] == pytest.approx([0, 1 / 4, 2 / 4, 3 / 4, 0, 1 / 3, 2 / 3])
    assert [s["progress"] for s in seen if s["epoch"] == 1][0] == 1.0
    with pytest.raises(ValueError, match="distinct names"):
        spy(monkeypatch, tmp_path, small("stream-spy", epochs=1),
            side=(engine.Stream("x", indices=torch.arange(10)),))


class AutocastSpy(SmallLossExchange):
    name = "autocast-spy"

    def training_step(self, batch, ctx):
        self.autocast_on = getattr(self, "autocast_on", []) + [torch.is_autocast_enabled("cpu")]
        return super().training_step(batch, ctx)


def test_manual_optimisation_runs_under_autocast(tmp_path, monkeypatch):
    monkeypatch.setitem(METHODS, "autocast-spy", AutocastSpy)
    made = []
    monkeypatch.setattr(AutocastSpy, "__init__", lambda self, c: (Method.__init__(self, c), made.append(self))[0])
    AutocastSpy.transient = ("autocast_on",)
    runner.run(small("autocast-spy", epochs=1, precision="bf16"), out=tmp_path)
    assert made[0].autocast_on and all(made[0].autocast_on)
    runner.run(small("autocast-spy", epochs=1), out=tmp_path)
    assert not any(made[1].autocast_on)


class AdamBeta(Method):
    name = "adam-beta"
    Config = TwoNetConfig

    def configure(self, ctx):
        self.net = ctx.build_model()
        self.opt = ctx.optimizer(self.net.parameters(), name="net",
                                 schedules={"beta1": engine.Piecewise((2,), (0.9, 0.1)),
                                            "weight_decay": Schedule("multistep", milestones=(1,), gamma=0.5)})

    def training_step(self, batch, ctx):
        return {"loss": F.cross_entropy(self.net(batch["x"]), batch["y"])}


def test_each_optimiser_has_its_own_logged_schedules(tmp_path, monkeypatch):
    monkeypatch.setitem(METHODS, "adam-beta", AdamBeta)
    rec = runner.run(small("adam-beta", epochs=4, optimizer="adam", lr=1e-3, weight_decay=1e-4,
                           schedule=Schedule("linear", milestones=(2,))), out=tmp_path)
    h = rec["history"]
    assert [e["beta1_net"] for e in h] == [0.9, 0.9, 0.1, 0.1]
    assert [e["weight_decay_net"] for e in h] == pytest.approx([1e-4, 5e-5, 5e-5, 5e-5])
    assert [e["lr"] for e in h] == pytest.approx([1e-3, 1e-3, 1e-3, 5e-4])       # (4 − e) / (4 − 2)
    with pytest.raises(ValueError, match="Cannot schedule beta1 of a sgd"):
        runner.run(small("adam-beta", epochs=1), out=tmp_path)


class ScoreLogger(Method):
    """Logs a fixed per-sample score from on_epoch_start: the sample index parity, plus noise."""

    name = "score-test"
    Config = TwoNetConfig

    def configure(self, ctx):
        self.net = ctx.build_model()
        ctx.optimizer(self.net.parameters())

    def on_epoch_start(self, ctx):
        g = torch.Generator().manual_seed(0)
        ctx.log_per_sample("score", torch.rand(ctx.num_train, generator=g) + (ctx.labels % 2).float() * 0.3)

    def training_step(self, batch, ctx):
        return {"loss": F.cross_entropy(self.net(batch["x"]), batch["y"])}


def test_log_per_sample_is_scored_against_the_truth(tmp_path, monkeypatch):
    from lnl import gmm

    monkeypatch.setitem(METHODS, "score-test", ScoreLogger)
    cfg = small("score-test", epochs=1)
    rec = runner.run(cfg, out=tmp_path)
    prep = engine.prepare(cfg)
    labels = torch.as_tensor(prep.labels.copy())
    score = (torch.rand(len(labels), generator=torch.Generator().manual_seed(0)) + (labels % 2).float() * 0.3).numpy()
    clean = prep.labels == prep.true
    want = gmm.detection_metrics(score, clean, threshold=0.5)
    h = rec["history"][0]
    assert h["score_auroc"] == pytest.approx(want["auroc"], abs=1e-12)
    assert h["score_precision"] == pytest.approx(want["precision"])
    assert h["score_recall"] == pytest.approx(want["recall"])
    assert h["score_clean"] == pytest.approx(score[clean].mean(), rel=1e-6)
    assert h["score_noisy"] == pytest.approx(score[~clean].mean(), rel=1e-6)


class Counter(EvenOnly):
    """Keeps a Python dict of counts and a list: state that is no tensor."""

    name = "counter-test"
    persistent = ("counts",)

    def configure(self, ctx):
        super().configure(ctx)
        self.counts = {"steps": 0, "epochs": []}

    def on_epoch_start(self, ctx):
        self.counts = {"steps": self.counts["steps"], "epochs": self.counts["epochs"] + [ctx.epoch]}

    def training_step(self, batch, ctx):
        self.counts["steps"] += 1
        ctx.log(steps_so_far=self.counts["steps"], epochs_seen=len(self.counts["epochs"]))
        return super().training_step(batch, ctx)


def test_state_that_is_no_tensor_survives_a_resume(tmp_path, monkeypatch):
    monkeypatch.setitem(METHODS, "counter-test", Counter)
    cfg = small("counter-test", epochs=3)
    whole = runner.run(cfg, out=tmp_path / "a")
    runner.run(cfg, out=tmp_path / "b", stop_after=1)
    resumed = runner.run(cfg, out=tmp_path / "b", resume=True)
    assert comparable(resumed) == comparable(whole)
    assert whole["history"][-1]["epochs_seen"] == 3
    monkeypatch.setattr(Counter, "persistent", ())
    with pytest.raises(RuntimeError, match="changed counts outside its buffers"):
        runner.run(cfg, out=tmp_path / "c")


def test_a_phase_that_cannot_start_is_reported(tmp_path, capsys):
    rec = runner.run(small("mixnn", epochs=3, method_params={"warmup": 1, "e_s": 5}), out=tmp_path)
    assert rec["warnings"] == ["mixnn: label correction (E_s = 5) would start at epoch 5, after the run's 3 "
                               "epochs, so it never runs."]
    assert rec["warnings"][0] in capsys.readouterr().err
    shares = {"warmup": 0.25, "e_s": 0.75}                                         # 1 and 3 of 4 epochs
    rec = runner.run(small("mixnn", epochs=4, method_params=shares), out=tmp_path)
    assert "warnings" not in rec
    assert "lam_mean" not in rec["history"][0] and "lam_mean" in rec["history"][1]  # mixing from epoch 2
    fixed = runner.run(small("mixnn", epochs=4, method_params={**shares, "correction": False}), out=tmp_path)
    assert fixed["history"][:2] == rec["history"][:2] and fixed["history"][2:] != rec["history"][2:]


def test_auto_precision_is_bf16_only_where_a_gpu_computes_it_natively(monkeypatch):
    cuda = torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (9, 0))     # H100
    assert engine.resolve_precision("auto", cuda) == "bf16"
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (7, 5))     # T4
    assert engine.resolve_precision("auto", cuda) == "fp32"
    assert engine.resolve_precision("bf16", cuda) == "bf16"                                   # asked for
    assert engine.resolve_precision("auto", torch.device("cpu")) == "fp32"


def test_the_engine_runs_the_method_its_caller_hands_it():
    """The engine knows methods only through the registry it is handed (lnl.runner hands METHODS)."""
    from lnl.methods import CE, MixNN

    with pytest.raises(ValueError, match=r"^Unknown method 'ce'; choose one of: mine\.$"):
        engine.validate(small(), {"mine": CE})
    engine.validate(small("not-a-method"))                         # without a registry: the run's settings
    with pytest.raises(ValueError, match="Unknown method 'not-a-method'; choose one of: ce, "):
        runner.validate(small("not-a-method"))
    assert type(engine.setup(small("mine"), {"mine": MixNN}).method) is MixNN
