"""SANM (lnl.methods.sanm): each equation on hand-computed examples, the decoder of every network,
the plug-in's hosts unchanged when it is off, no second forward for the activation maps,
determinism and resume for SANM(CE) and SANM(DivideMix)."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from lnl import engine, runner
from lnl.engine import RunConfig
from lnl.methods import METHODS
from lnl.methods import sanm as S
from lnl.methods.sanm import regulariser
from lnl.models import build_model
from lnl.walkthrough import sanm as sanm_walk

from .test_engine import comparable


def small(method="sanm-ce", **kw) -> RunConfig:
    base = dict(method=method, dataset="digits", model="mlp", noise="symmetric", rate=0.5, epochs=3,
                batch_size=64, lr=0.05, seed=0, test_per_class=None, train_per_class=None)
    return RunConfig(**{**base, **kw})


# ---------------------------------------------------------------------------------- eq. (2)-(5)

def test_mask_ratio_at_the_ends():
    w = torch.tensor([1.0, 0.0, 0.5])
    assert S.mask_ratio(w, 0.2).tolist() == pytest.approx([0.2, 0.4, 0.3])          # σ_b, (1 + κ) σ_b
    assert S.mask_ratio(w, 0.2, kappa=0.5).tolist() == pytest.approx([0.2, 0.3, 0.25])
    assert S.mask_ratio(w, 0.2, form="fixed").tolist() == pytest.approx([0.2] * 3)
    assert S.mask_ratio(w, 0.0).tolist() == [0.0, 0.0, 0.0]                          # σ_b = 0: no masks
    g = torch.Generator().manual_seed(0)
    many = torch.zeros(10_000)
    r = S.mask_ratio(many, 0.2, form="random", generator=g)
    assert 0.2 <= r.min() and r.max() <= 0.4 and abs(r.mean() - 0.3) < 0.01
    code_clean = S.mask_ratio(torch.ones(10_000), 0.2, form="code", generator=g)
    code_noisy = S.mask_ratio(torch.zeros(10_000), 0.2, form="code", generator=g)
    assert 0.02 <= code_clean.min() and code_clean.max() <= 0.07
    assert 0.05 <= code_noisy.min() and code_noisy.max() <= 0.10
    assert S.min_mask_ratio(w, S.mask_ratio(w, 0.2), 0.2).tolist() == pytest.approx([0.0, 0.2, 0.1])
    assert S.min_mask_ratio(w, S.mask_ratio(w, 0.2), 0.2, "same").tolist() == pytest.approx([0.2, 0.4, 0.3])


def test_box_size_area_and_aspect():
    h, w = S.box_size(torch.tensor([0.25, 0.25, 0.0]), torch.tensor([1.0, 4.0, 1.0]), 32, 32)
    assert h.tolist() == [16, 32, 0] and w.tolist() == [16, 8, 0]       # √(0.25·1024·r_a), √(…/r_a)
    h, w = S.box_size(torch.tensor([0.25]), torch.tensor([1.0]), 32, 32, area_factor=0.5)
    assert (h.item(), w.item()) == (11, 11)                              # round(√128) = 11
    r = S.aspect_ratio(10_000, 0.8, torch.Generator().manual_seed(0))
    assert 0.8 <= r.min() and r.max() <= 1.25


def test_box_corner_centre_corner_and_clipping():
    at = torch.tensor([[10, 10], [0, 0], [31, 31], [10, 30]])
    h, w = torch.tensor([4, 4, 4, 5]), torch.tensor([6, 6, 6, 3])
    centre = S.box_corner(at, h, w, 32, 32, "centre")
    assert centre.tolist() == [[8, 7], [0, 0], [28, 26], [8, 29]]       # at − ⌊h/2⌋, clipped inside
    corner = S.box_corner(at, h, w, 32, 32, "corner")
    assert corner.tolist() == [[10, 10], [0, 0], [28, 26], [10, 29]]    # corner on it, shifted inwards
    M = S.box_masks(centre, h, w, 32, 32)
    assert M.shape == (4, 1, 32, 32) and M.sum((1, 2, 3)).tolist() == [24, 24, 24, 15]
    assert M[0, 0, 8:12, 7:13].eq(1).all() and M[0, 0, 12, 7] == 0 and M[0, 0, 8, 13] == 0


def test_masked_images_and_fills():
    x = torch.zeros(2, 3, 8, 8)
    M = S.box_masks(torch.tensor([[1, 1], [0, 0]]), torch.tensor([2, 0]), torch.tensor([3, 0]), 8, 8)
    mean, std = torch.tensor([0.5, 0.4, 0.3]).view(1, 3, 1, 1), torch.tensor([0.2, 0.2, 0.2]).view(1, 3, 1, 1)
    g = torch.Generator().manual_seed(0)
    N = S.fill_noise(x, mean, std, "noise", g)
    out = S.masked_images(x, M, N)
    assert torch.equal(out[0, :, 1:3, 1:4], N[0, :, 1:3, 1:4]) and out[0, :, 3:].eq(0).all()
    assert out[1].eq(0).all()                                           # an empty box masks nothing
    pixels = N * std + mean                                             # back to pixel space: U(0, 1)
    assert 0 <= pixels.min() and pixels.max() <= 1 and N[0, 0].unique().numel() > 1
    flat = S.fill_noise(x, mean, std, "flat", g)
    assert flat[0, 0].unique().numel() == 1 and 0 <= flat.min() and flat.max() <= 1


# ---------------------------------------------------------------------------------- eq. (1)

def test_cam_of_a_pooled_network_is_zhou_et_al_s_divided_by_the_map_size():
    torch.manual_seed(0)
    net = build_model("resnet20", num_classes=10, in_channels=3, image_size=32).eval()
    out = net(torch.randn(3, 3, 32, 32), features=True)
    cls = torch.tensor([1, 4, 7])
    A = S.activation_map(net, out, "cam", cls)
    F_ = out.feature_map.detach()
    h, w = F_.shape[-2:]
    want = torch.einsum("bk,bkhw->bhw", net.fc.weight[cls].detach(), F_) / (h * w)
    assert torch.allclose(A, want, atol=1e-6)
    assert torch.allclose(S.activation_map(net, out, "energy"), (F_ ** 2).sum(1))
    assert torch.allclose(S.activation_map(net, out, "cam"), S.activation_map(net, out, "cam", out.logits.argmax(1)))


def test_cam_of_the_cnn_sums_to_its_logit_less_the_bias():
    torch.manual_seed(0)
    net = build_model("cnn", num_classes=10, in_channels=1, image_size=32).eval()
    out = net(torch.randn(2, 1, 32, 32), features=True)
    cls = out.logits.argmax(1)
    A = S.activation_map(net, out, "cam", cls)
    # the neck is Linear + ReLU: for the active units the logit is linear in F, so Σ A = z_c − (terms
    # of the biases): z_c(F) − z_c(0·F) evaluated with the same active units
    lin, head = net.neck[1], net.fc
    active = (out.embedding > 0).float()
    bias = head.bias[cls] + ((head.weight[cls] * active) @ lin.bias)
    assert torch.allclose(A.sum((1, 2)), out.logits.gather(1, cls[:, None]).squeeze(1) - bias, atol=1e-4)


def test_extreme_locations_are_the_upsampled_maps_first_max_and_min():
    A = torch.zeros(1, 4, 4)
    A[0, 1, 2], A[0, 3, 0] = 5.0, -5.0
    at_max, at_min = S.extreme_locations(A, (4, 4))
    assert at_max.tolist() == [[1, 2]] and at_min.tolist() == [[3, 0]]
    at_max, at_min = S.extreme_locations(torch.ones(1, 2, 2), (8, 8))
    assert at_max.tolist() == [[0, 0]] and at_min.tolist() == [[0, 0]]  # ties: the first location


# ---------------------------------------------------------------------------------- eq. (6)-(7)

def test_nlr_keeps_rows_summing_to_one_and_moves_exactly_sigma():
    y = torch.tensor([[0.7, 0.2, 0.1, 0.0], [0.0, 0.0, 1.0, 0.0], [0.1, 0.1, 0.1, 0.7]])
    s = torch.tensor([0.3, 0.6, 0.0])
    out = S.modulate_labels(y, s)
    assert torch.allclose(out.sum(1), torch.ones(3))
    assert out[0].tolist() == pytest.approx([0.4, 0.3, 0.2, 0.1])      # 0.3 out of class 0, 0.1 to each other
    assert out[1].tolist() == pytest.approx([0.2, 0.2, 0.4, 0.2])
    assert torch.equal(out[2], y[2])
    capped = S.modulate_labels(torch.tensor([[0.3, 0.3, 0.4]]), torch.tensor([0.9]))
    assert capped.min() >= 0 and capped[0, 2] == 0 and capped.sum() == pytest.approx(1)


def _regulariser(config: S.SANMConfig) -> S.Regulariser:
    """A regulariser on 1-channel images, with a context that has only what it reads."""
    from types import SimpleNamespace

    data = SimpleNamespace(mean=torch.full((1, 1, 1, 1), 127.5), std=torch.full((1, 1, 1, 1), 63.75))
    ctx = SimpleNamespace(data=data, epochs_of=lambda v: v,
                          generator=lambda purpose: torch.Generator().manual_seed(0))
    return S.Regulariser(config, ctx), ctx


def test_nlr_modulates_the_prediction_on_the_original_image_by_default():
    """§2.5: "the predictions of the original images are used for regularized label generation".
    On CE (and Co-teaching, ELR) ŷ is the softmax of the host's forward pass of x, not the given
    label; target="host" gives the given label; on DivideMix the host's targets are built from the
    predictions, so its paper form is "host"."""
    torch.manual_seed(0)
    net = build_model("cnn", num_classes=10, in_channels=1, image_size=32).eval()
    x = torch.randn(6, 1, 32, 32)
    out = net(x, features=True)
    given = torch.nn.functional.one_hot(torch.arange(6) % 10, 10).float()
    w = torch.linspace(0, 1, 6)
    for host in ("ce", "coteaching", "elr"):
        c = S.sanm_part(METHODS[f"sanm-{host}"].make_config({}))
        assert c.target == "prediction" and METHODS[f"sanm-{host}"].Config().resolve("target") == "prediction"
    reg, ctx = _regulariser(S.sanm_part(METHODS["sanm-ce"].make_config({})))
    v = reg.views(net, x, out, w, given, ctx)
    n = len(x)
    p = torch.softmax(out.logits.float(), 1)
    assert torch.allclose(v.y[:n], S.modulate_labels(p, v.sigma)) and torch.equal(v.y[:n], v.y[n:])
    assert not torch.allclose(v.y[:n], S.modulate_labels(given, v.sigma))
    assert torch.equal(v.y[:n].argmax(1), p.argmax(1)) or (v.sigma >= p.max(1).values).any()
    reg, ctx = _regulariser(S.sanm_part(METHODS["sanm-ce"].make_config({"target": "host"})))
    v = reg.views(net, x, out, w, given, ctx)
    assert torch.allclose(v.y[:n], S.modulate_labels(given, v.sigma))          # the given label, smoothed
    assert S.sanm_part(METHODS["sanm-dividemix"].make_config({})).target == "host"
    assert METHODS["sanm-dividemix"].Config(variant="code").resolve("target") == "host"
    assert METHODS["sanm-ce"].Config(variant="code").resolve("target") == "host"


def test_a_sanm_ce_run_modulates_soft_predictions_not_one_hot_labels(tmp_path, monkeypatch):
    seen = []
    original = S.modulate_labels

    def spy(y_hat, sigma):
        seen.append(bool((y_hat.max(1).values < 1 - 1e-6).all()))        # a softmax, never one-hot
        return original(y_hat, sigma)
    monkeypatch.setattr(regulariser, "modulate_labels", spy)  # where the regulariser looks it up
    runner.run(small(epochs=1, method_params={"start": 0, "trace": 0}), out=tmp_path / "paper")
    assert seen and all(seen)
    seen.clear()
    runner.run(small(epochs=1, method_params={"start": 0, "trace": 0, "target": "host"}),
               out=tmp_path / "host")
    assert seen and not any(seen)


def test_pooled_is_the_mean_over_the_batch_and_its_masked_images():
    """Eq. (8), reconstructed: every one of the 3n images weighs the same."""
    torch.manual_seed(0)
    z, z_masked = torch.randn(4, 5), torch.randn(8, 5)
    y, y_masked = torch.softmax(torch.randn(4, 5), 1), torch.softmax(torch.randn(8, 5), 1)
    from lnl.losses import soft_cross_entropy

    whole = soft_cross_entropy(torch.cat([z, z_masked]), torch.cat([y, y_masked]))
    assert torch.allclose(S.pooled(soft_cross_entropy(z, y), soft_cross_entropy(z_masked, y_masked)), whole)


# ---------------------------------------------------------------------------------- eq. (9)-(10)

@pytest.mark.parametrize("model,shape", [("mlp", (1, 8, 8)), ("cnn", (1, 32, 32)), ("cnn", (3, 32, 32)),
                                         ("resnet20", (3, 32, 32)), ("resnet29", (3, 32, 32)),
                                         ("preact-resnet18", (3, 32, 32))])
def test_the_decoder_gives_back_an_image_of_each_network(model, shape):
    net = S.attach_decoder(build_model(model, num_classes=10, in_channels=shape[0], image_size=shape[1]), shape)
    out = net(torch.randn(2, *shape), features=True)
    assert net.decoder(out.feature_map).shape == (2, *shape)
    assert any(p is q for p in net.parameters() for q in net.decoder.parameters())   # in the optimiser
    if model == "preact-resnet18":                                    # the code's three layers
        assert [m.kernel_size for m in net.decoder.layers] == [(4, 4), (6, 6), (4, 4)]


def test_reconstruction_loss_is_the_two_mses():
    x = torch.zeros(2, 1, 2, 2)
    assert S.reconstruction_loss(torch.ones_like(x), 2 * torch.ones_like(x), x).item() == pytest.approx(1 + 4)


# ---------------------------------------------------------------------------------- the plug-in

@pytest.mark.parametrize("host", ["ce", "dividemix", "coteaching", "elr"])
def test_every_sanm_setting_has_a_source_and_resolves(host):
    """Each wrapped method traces every SANMConfig field (lnl.provenance), keeps its host's sources
    and presets, and resolves a form left None to the variant's."""
    from lnl import provenance

    cls, base = METHODS[f"sanm-{host}"], METHODS[host]
    assert set(provenance.config_fields(S.SANMConfig)) <= set(cls.sources)
    assert set(S.SOURCES) == set(provenance.config_fields(S.SANMConfig))
    assert all(cls.sources[k] == v for k, v in base.sources.items())
    assert cls.presets == base.presets and cls.preset_sources == base.preset_sources
    assert cls.sources["start"].kind == "ours" and cls.sources["start"].schedule is None   # no phase of the paper
    assert cls.sources["sigma_b"].where.startswith("§3.3")
    c, code = cls.Config(), cls.Config(variant="code")
    assert c.resolve("gamma") == 1.0 and code.resolve("gamma") == 0.02 and c.resolve("sigma_b") == 0.2
    assert [code.resolve(k) for k in S.CODE_FORMS] == list(S.CODE_FORMS.values())
    assert cls.Config(fill="flat").resolve("fill") == "flat"
    rows = {r["setting"]: r for r in provenance.defaults(f"sanm-{host}")}
    assert rows["target"]["value"] == ("host" if host == "dividemix" else "prediction")
    assert all(rows[k]["kind"] != "MISSING" for k in provenance.config_fields(S.SANMConfig))
    hosts = {r["setting"]: r for r in provenance.defaults(host) if r["scope"] == "method"}
    assert all(rows[k]["value"] == r["value"] and rows[k]["source"] == r["source"] for k, r in hosts.items())


def test_settings_are_the_hosts_and_sanms_and_bad_ones_are_refused():
    C = METHODS["sanm-dividemix"].Config
    c = METHODS["sanm-dividemix"].make_config({"lambda_u": "0", "sigma_b": "0.1", "variant": "code"})
    assert c.get("lambda_u") == 0 and c.get("warmup") == 10 and c.sigma_b == 0.1
    assert [c.form(k) for k in S.CODE_FORMS] == list(S.CODE_FORMS.values())
    assert C().form("activation") == "cam" and C(activation="energy").form("activation") == "energy"
    for bad in ({"components": "nlr"}, {"fill": "zeros"}, {"sigma_b": 1.5}, {"tau": 2.0}):
        with pytest.raises(ValueError):
            C(**bad)


@pytest.mark.parametrize("host,params", [("ce", {}), ("dividemix", {"warmup": 1}), ("coteaching", {"t_k": 2}),
                                         ("elr", {})])
def test_the_plug_in_switched_off_leaves_the_host_bit_identical(tmp_path, host, params):
    plain = runner.run(small(host, method_params=params), out=tmp_path / "a")
    off = runner.run(small(f"sanm-{host}", method_params={**params, "start": 99}), out=tmp_path / "b")
    assert plain["history"] == off["history"] and plain["summary"] == {**off["summary"], "wall_time_s":
                                                                        plain["summary"]["wall_time_s"]}


def test_the_activation_maps_take_no_forward_pass_of_their_own(tmp_path):
    cfg = small(model="cnn", epochs=2, method_params={"start": 0})
    bodies = []
    original = engine.Context.build_model

    def counting(ctx, name=None):
        net = original(ctx, name)
        net.body.register_forward_hook(lambda m, i, o: bodies.append(len(i[0])) if m.training else None)
        return net
    engine.Context.build_model = counting
    try:
        rec = runner.run(dataclasses.replace(cfg, epochs=1), out=tmp_path)
    finally:
        engine.Context.build_model = original
    # per batch of n, in train mode: the batch's forward (n images), then its 2n masked images
    assert bodies and len(bodies) % 2 == 0 and [2 * n for n in bodies[0::2]] == bodies[1::2]
    assert "sanm_w_auroc" in rec["history"][-1]                        # its GMM, logged per sample


@pytest.mark.parametrize("params", [{"components": c} for c in S.COMPONENTS] + [
    {"variant": "code"}, {"ratio": "fixed"}, {"ratio": "random"}, {"target": "host"}, {"gamma": 0.0}])
def test_every_switch_runs_on_ce(tmp_path, params):
    rec = runner.run(small(model="cnn", epochs=2, train_per_class=20, test_per_class=5, dataset="digits",
                           method_params={"start": 0, **params}), out=tmp_path)
    assert rec["history"][-1]["test_acc"] >= 0 and "sanm_w_auroc" in rec["history"][-1]


@pytest.mark.parametrize("host,params", [("ce", {"start": 1}), ("dividemix", {"warmup": 1})])
def test_same_seed_same_record_and_resume(tmp_path, host, params):
    cfg = small(f"sanm-{host}", method_params=params)
    whole = runner.run(cfg, out=tmp_path / "whole")
    assert comparable(runner.run(cfg, out=tmp_path / "again")) == comparable(whole)
    runner.run(cfg, out=tmp_path / "cut", stop_after=2)
    assert comparable(runner.run(cfg, out=tmp_path / "cut", resume=True)) == comparable(whole)
    if host == "dividemix":
        assert "loss_rec_net1" in whole["history"][-1]


def test_centre_share_of_hand_made_maps():
    A = torch.zeros(3, 4, 4)
    A[0, 1:3, 1:3] = 1.0                                   # all in the central half
    A[1, 0, 0] = 1.0                                       # all in a corner
    A[2] = 1.0                                             # uniform: a quarter of the area
    share = sanm_walk.centre_share(A, (4, 4))
    assert share.tolist() == pytest.approx([1.0, 0.0, 0.25])
    assert sanm_walk.centre_share(-A, (4, 4)).tolist() == [0.0, 0.0, 0.0]   # negative mass does not count


def test_focus_table_has_a_row_per_network():
    from lnl import report

    torch.manual_seed(0)
    nets = {"a": build_model("cnn", num_classes=10, in_channels=1, image_size=32),
            "b": build_model("cnn", num_classes=10, in_channels=1, image_size=32)}
    x, y = torch.randn(16, 1, 32, 32), torch.randint(0, 10, (16,))
    t = report.focus_table(nets, x, y)
    assert list(t.index) == ["a", "b"] and ((t["central share"] >= 0) & (t["central share"] <= 1)).all()
    assert nets["a"].training                                # left as it was


def test_reconstructions_are_kept_after_every_epoch(tmp_path):
    rec = runner.run(small(model="cnn", epochs=2, method_params={"start": 0, "trace": 3}), out=tmp_path,
                     keep_state=True)
    r = runner.restore(tmp_path / f"{rec['run_id']}.json")
    assert r.method.trace_masked.shape == (2, 3, 1, 8, 8) and r.method.trace_recon.shape == (2, 3, 1, 8, 8)
    assert r.method.trace_recon.abs().sum() > 0 and not torch.equal(r.method.trace_recon[0], r.method.trace_recon[1])


def test_epoch_timing_needs_two_epochs_and_gives_seconds():
    from lnl import report

    cfg = small("sanm-dividemix", method_params={"warmup": 1}, epochs=2)
    assert report.train_epoch_seconds(cfg, epochs=2) > 0
    with pytest.raises(ValueError, match="at least 2 epochs"):
        report.train_epoch_seconds(cfg, epochs=1)


def test_extreme_locations_of_a_flat_map_are_the_first_pixel():
    at_max, at_min = S.extreme_locations(torch.full((2, 1, 1), 0.3), (8, 8))
    assert at_max.tolist() == [[0, 0], [0, 0]] and at_min.tolist() == [[0, 0], [0, 0]]


@pytest.mark.parametrize("host,params", [("coteaching", {"t_k": 2}), ("elr", {})])
def test_sanm_on_coteaching_and_elr_trains_and_resumes(tmp_path, host, params):
    cfg = small(f"sanm-{host}", model="cnn", method_params={**params, "start": 1})
    whole = runner.run(cfg, out=tmp_path / "whole")
    assert "sanm_w_auroc" in whole["history"][-1] and whole["history"][-1]["test_acc"] > 0
    runner.run(cfg, out=tmp_path / "cut", stop_after=2)
    assert comparable(runner.run(cfg, out=tmp_path / "cut", resume=True)) == comparable(whole)


def test_split_gives_each_set_the_rows_of_its_joined_views():
    """DivideMix's labelled and unlabelled views go through one forward (join); split gives each set its rows."""
    a = S.Views(torch.arange(4.0)[:, None], torch.zeros(4, 1), torch.zeros(2, 1), torch.zeros(2))
    b = S.Views(torch.arange(10.0, 16.0)[:, None], torch.zeros(6, 1), torch.zeros(3, 1), torch.zeros(3))
    both = S.join(a, b)
    assert both.x.flatten().tolist() == [0, 1, 10, 11, 12, 2, 3, 13, 14, 15]
    assert [t.flatten().tolist() for t in S.split(both.x, [a, b])] == [[0, 1, 2, 3], [10, 11, 12, 13, 14, 15]]
    assert S.join(a) is a and S.split(a.x, [a])[0] is a.x
