"""Plans and GPU campaigns: one plan for page and campaign, skips, staleness, packing, end to end."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from lnl import book, campaign, data, engine, plans, records, runner

ROOT = Path(__file__).resolve().parents[1]


def fake_record(planned: plans.Planned, source_hash: str | None = None, device_type: str = "cuda",
                epoch_s: float = 2.0) -> dict:
    """A minimal record of ``planned`` as a run would write it (no training)."""
    cfg = json.loads(json.dumps(planned.config.to_dict(), default=str))
    prov = records.provenance(engine.resolve_device("cpu"), records.now(), records.now())
    prov["lnl_source_hash"] = source_hash or records.source_hash()
    prov["git"] = {"sha": "0123456789abcdef", "dirty": False}
    prov["device"] = "NVIDIA H100 80GB HBM3"
    return {"run_id": planned.run_id, "config": cfg, "noise": {"rate_effective": planned.config.rate},
            "history": [{"epoch": 1, "test_acc": 0.5, "noisy_acc_given": 0.1}],
            "summary": {"test_acc_best": 0.6, "test_acc_last": 0.5, "test_acc_last10": 0.55, "wall_time_s": 120.0},
            "timing": {"epoch_s": [epoch_s] * planned.config.epochs, "device_type": device_type},
            "provenance": prov}


def put(root: Path, planned: plans.Planned, rec: dict) -> Path:
    return records.write_json_atomic(root / planned.part / f"{planned.run_id}.json", rec)


# ----------------------------------------------------------------------------------------------
# Plans
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("page", plans.pages())
@pytest.mark.parametrize("profile", plans.PROFILES)
def test_plans_are_ordered_by_tier_and_valid(page, profile):
    planned = plans.plan(page, profile)
    assert planned and [p.tier for p in planned] == sorted(p.tier for p in planned)
    assert planned[0].tier == 0                               # a headline first
    for p in planned:
        runner.validate(p.config)
        assert set(p.extras) <= set(plans.EXTRAS)
        assert p.profile == profile and p.page == page
    assert len({p.key for p in planned}) == len(planned)     # the page indexes runs by key


def test_mixnn_gpu_plan_has_the_table_i_cells_first():
    """The headline tier holds what the closing comparison with Table I needs."""
    head = {p.key for p in plans.plan("mixnn/replication", "gpu") if p.tier == 0}
    assert {("CE", "symmetric", 0.4, 0), ("MixNN", "symmetric", 0.8, 0), ("CE", "symmetric-uniform", 0.8, 0),
            ("CE", "symmetric-uniform", 0.4, 0), ("CE", "asymmetric", 0.4, 0), ("MixNN", "asymmetric", 0.4, 0)} <= head


@pytest.mark.parametrize("profile", ["cpu", "gpu", "paper"])
def test_mixnn_tutorial_shares_its_training_runs_with_the_replication(profile):
    """Trained once for both pages: same configs, and kept alike (else one page would retrain)."""
    rep = {p.run_id: p for p in plans.plan("mixnn/replication", profile)}
    for p in plans.plan("mixnn/tutorial", profile):
        if p.key[0] == "train":
            q = rep.get(p.run_id)
            assert q is not None, f"{p.label} is not one of the replication's {profile} runs"
            assert (p.per_sample, p.keep_state, p.extras) == (q.per_sample, q.keep_state, q.extras)
    c = campaign.Campaign.build(plans.pages_of("mixnn"), profile, "cuda", root="/nonexistent")
    assert len(c.items) == len(plans.unique(plans.plan("mixnn/replication", profile))) + 2   # + the warm-ups


@pytest.mark.parametrize("profile", plans.PROFILES)
def test_baselines_tutorial_runs_are_the_replications_headline_cell(profile):
    """The tutorial's four runs are the replication's seed-0 runs of its headline cell (same run
    ids) at the profiles where both use the same noise; each arm runs every seed there."""
    rep = {p.run_id: p for p in plans.plan("baselines/replication", profile)}
    S = plans.settings("baselines/replication", profile)
    head_kind, head_rate = S["cells"][0]
    shared = [p for p in plans.plan("baselines/tutorial", profile) if p.run_id in rep]
    if plans.settings("baselines/tutorial", profile)["noise"] == head_kind:
        assert len(shared) == 4 and all(rep[p.run_id].key == (lbl, head_kind, head_rate, 0) for p, lbl in
                                        zip(shared, ("CE", "Co-teaching", "ELR", "DivideMix")))
    keys = {p.key for p in rep.values()}
    for arm in (*plans.BASELINE_ARMS, plans.WRONG_TAU):
        assert {(arm, head_kind, head_rate, s) for s in S["seeds"]} <= keys
    for kind, rate in S["cells"][1:]:
        arms = S.get("cell_arms", plans.BASELINE_ARMS)           # cpu: the cheap arms outside the headline
        assert {(arm, kind, rate, s) for arm in arms for s in S["cell_seeds"]} <= keys
        assert not {k for k in keys if k[1:3] == (kind, rate) and k[0] not in arms}
    assert len(keys) == len(rep)                             # no config planned twice


def test_baselines_replication_settings_per_cell():
    S = plans.settings("baselines/replication", "cpu")
    wrong = plans.baseline_config(S, plans.WRONG_TAU, "symmetric", 0.8, 0)
    assert wrong.method == "coteaching" and wrong.method_params["tau"] == S["wrong_tau"]
    assert plans.baseline_config(S, "DivideMix", "asymmetric", 0.4, 0).method_params["lambda_u"] == 0.0  # Table 7
    assert plans.baseline_config(S, "DivideMix", "symmetric", 0.5, 0).method_params["lambda_u"] == 25.0
    P = plans.settings("baselines/replication", "paper")
    assert plans.baseline_config(P, "DivideMix", "symmetric-uniform", 0.9, 0).method_params == {"preset": "c10-sym90"}
    assert {r for _, r in P["cells"]} == {0.2, 0.5, 0.8, 0.9}                  # SANM Table 1's columns
    G = plans.settings("baselines/replication", "gpu")
    assert G["cells"] == (("symmetric-uniform", 0.8), ("symmetric-uniform", 0.5))
    more = plans.plan("baselines/replication", "smoke", main_seeds=[0, 1, 2])
    assert len(more) == len(plans.plan("baselines/replication", "smoke")) + 6   # five arms and τ wrong, seed 2


def test_foundations_cpu_runs_are_the_other_chapters_ce_runs():
    """The cpu build's budget counts on it: every Foundations run is also another chapter's (its
    CE at 60 % is the ALR tutorial's), so the chapter adds no training to the build."""
    others = {p.run_id for page in plans.pages() if not page.startswith("foundations/")
              for p in plans.plan(page, "cpu")}
    own = [p for page in ("foundations/tutorial", "foundations/replication") for p in plans.plan(page, "cpu")
           if p.run_id not in others]
    assert len(plans.plan("foundations/tutorial", "cpu")) == 2 and own == []


def test_plan_overrides_change_the_runs():
    base = plans.plan("mixnn/replication", "smoke")
    more = plans.plan("mixnn/replication", "smoke", main_seeds=[0, 1, 2])
    assert len(more) == len(base) + 2                         # CE and MixNN at the top rate, seed 2
    with pytest.raises(ValueError, match="Unknown plan option"):
        plans.plan("mixnn/replication", "smoke", seeds=[1])
    with pytest.raises(ValueError, match="Unknown page"):
        plans.plan("nope/page", "smoke")


@pytest.mark.parametrize("page", plans.pages())
def test_epochs_and_data_size_override_every_run_of_a_page(page):
    """Every run of the page, those it reads from another page's plan included, takes the
    override; only the warm-up-only runs, whose length is what they show, keep their epochs, and
    IEG's CE on the probe alone its probe-sized data."""
    base = {p.key: p.config for p in plans.plan(page, "cpu")}
    runs = plans.plan(page, "cpu", epochs=7, train_per_class=50)
    assert {p.key for p in runs} == set(base)
    for p in runs:
        assert p.config.epochs == 7 or ("warm-up" in p.label and p.config.epochs == base[p.key].epochs), p.label
        assert p.config.train_per_class == 50 or ("probe alone" in p.label and
                                                  p.config.train_per_class == base[p.key].train_per_class), p.label
    S = plans.settings(page, "cpu", epochs=7)
    assert plans.off_plan(S).startswith("This page runs off its plan: epochs 7 (the plan's: ")
    assert plans.off_plan(plans.settings(page, "cpu")) == ""


def test_an_override_equal_to_the_plan_is_on_plan_and_a_bad_one_is_refused():
    planned = plans.settings("mixnn/replication", "cpu")["run"]["epochs"]
    assert plans.off_plan(plans.settings("mixnn/replication", "cpu", epochs=planned)) == ""
    for bad in (0, 2.5, "40", True):
        with pytest.raises(ValueError, match="epochs must be a whole number of at least 1"):
            plans.settings("mixnn/replication", "cpu", epochs=bad)


def test_unique_merges_what_two_entries_keep():
    p = plans.plan("foundations/tutorial", "smoke")[1]
    q = plans.Planned("other/page", "smoke", ("x",), "x", 2, p.config, per_sample=False, keep_state=True,
                      extras=("features",))
    (merged,) = plans.unique([q, p])
    assert merged.per_sample and merged.keep_state and merged.extras == ("features",) and merged.tier == 0


def test_pages_of_parts_and_all():
    assert plans.pages_of("mixnn") == ["mixnn/tutorial", "mixnn/replication"]
    assert plans.pages_of("all") == plans.pages()
    assert plans.pages_of("sanm") == ["sanm/tutorial", "sanm/replication"]
    with pytest.raises(ValueError, match="No page or part 'c2d'"):
        plans.pages_of("c2d")


NOTEBOOKS = sorted(ROOT.glob("book/*/*.md"))


@pytest.mark.parametrize("page", plans.pages())
def test_one_plan_feeds_the_notebook_and_the_campaign(page):
    """The page trains only through its plan, and a campaign plans exactly those runs."""
    text = (ROOT / "book" / f"{page}.md").read_text()
    assert f'PAGE = "{page}"' in text and "lnl.book.setup(PAGE" in text and "lnl.book.run_plan(" in text
    assert "run_or_load(" not in text and "runner.run(" not in text and "engine.run(" not in text
    assert not re.search(r"RunConfig\([^)]*method=", text)   # no training config of its own
    c = campaign.Campaign.build([page], "smoke", "cpu", root="/nonexistent")
    assert [i.planned.run_id for i in c.items] == [p.run_id for p in plans.unique(plans.plan(page, "smoke"))]


def test_notebooks_without_a_plan_train_nothing():
    for nb in NOTEBOOKS:
        page = f"{nb.parent.name}/{nb.stem}"
        if page not in plans.pages():
            assert "run_plan(" not in nb.read_text() and "run_or_load(" not in nb.read_text(), page


def test_run_plan_never_trains_a_gpu_plan_on_a_cpu(tmp_path, monkeypatch):
    monkeypatch.setenv("LNL_RESULTS", str(tmp_path / "results"))
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    runs = plans.plan("foundations/tutorial", "gpu")
    with pytest.raises(RuntimeError, match="has no record .* needs a CUDA GPU: run `python scripts/gpu_campaign.py"):
        book.run_plan(runs, tmp_path / "records")
    for p in runs:                                            # committed records, even stale ones, are shown
        put(tmp_path / "results", p, fake_record(p, source_hash="0" * 16))
    got = book.run_plan(runs, tmp_path / "records")
    assert set(got) == {p.key for p in runs} and not (tmp_path / "records").exists()


# ----------------------------------------------------------------------------------------------
# Skipping, staleness, estimates
# ----------------------------------------------------------------------------------------------

def test_campaign_skips_runs_with_a_current_record(tmp_path):
    runs = plans.unique(plans.plan("foundations/replication", "gpu"))
    current, stale = runs[0], runs[1]
    put(tmp_path, current, fake_record(current))
    put(tmp_path, stale, fake_record(stale, source_hash="f" * 16))
    c = campaign.Campaign.build(["foundations/replication"], "gpu", "cuda", root=tmp_path)
    assert [f.planned.run_id for f in c.have] == [current.run_id]
    todo = {i.planned.run_id: i.status for i in c.items}
    assert current.run_id not in todo and todo[stale.run_id] == "stale"
    assert len(todo) == len(runs) - 1
    assert "1 with a current record skipped" in c.plan_table()


def test_stale_marker_names_the_older_library(tmp_path):
    p = plans.plan("mixnn/replication", "gpu")[0]
    rec = fake_record(p, source_hash="abcdabcdabcdabcd")
    assert campaign.stale_marker(fake_record(p)) == ""
    marker = campaign.stale_marker(rec)
    assert "older library" in marker and "0123456789" in marker and "abcdabcdabcdabcd" in marker
    assert records.source_hash() in marker
    put(tmp_path, p, rec)
    sec = campaign.section("mixnn/replication", "gpu", root=tmp_path)
    table = sec.table()
    assert table.loc[p.label, "library"] == marker and table.loc[p.label, "device"] == "NVIDIA H100 80GB HBM3"
    text = sec.markdown()
    assert "1 record(s) come from older library code" in text and "never retrained on a CPU" in text
    assert f"**1 of {len(plans.plan('mixnn/replication', 'gpu'))}**" in text
    assert "library hash abcdabcdabcdabcd" in text and "Missing, in the order a campaign trains them" in text


def test_estimates_use_measured_records_before_flops(tmp_path):
    p = plans.plan("mixnn/replication", "gpu")[0]
    est, source = campaign.estimate_s(p, "cuda", root=tmp_path)
    assert source == "FLOP estimate"
    # PreAct ResNet-18 on CIFAR-10: 0.56 G multiply-adds per image forward, 1.11 GFLOP
    assert 1.05e9 < campaign.forward_flops("preact-resnet18", "cifar10") < 1.15e9
    assert 60 < est < 1200
    other = next(q for q in plans.plan("mixnn/replication", "gpu")     # same method, model and data
                 if q.config.method == p.config.method and q.run_id != p.run_id)
    put(tmp_path, other, fake_record(other, epoch_s=1.5))
    est2, source2 = campaign.estimate_s(p, "cuda", root=tmp_path)
    assert source2 == "measured" and est2 == pytest.approx(campaign.RUN_OVERHEAD_S["cuda"] + 60 * 1.5)


def test_concurrency_from_measured_figures():
    timing = {"concurrency": [{"n": 1, "total_images_per_s": 10, "speedup": 1.0},
                              {"n": 2, "total_images_per_s": 17, "speedup": 1.7},
                              {"n": 4, "total_images_per_s": 21, "speedup": 2.1},
                              {"n": 8, "total_images_per_s": 20, "speedup": 2.0}]}
    assert campaign.best_jobs(timing) == 4 and campaign.best_jobs(None) == 1
    assert campaign.speedup(4, timing) == (2.1, "measured")
    assert campaign.speedup(3, timing)[0] == 1.0


# ----------------------------------------------------------------------------------------------
# Packing: at most 8 files, records first; unpacking into results/
# ----------------------------------------------------------------------------------------------

def test_pack_keeps_to_eight_files_records_first(tmp_path):
    work, out = tmp_path / "work", tmp_path / "out"
    rng = np.random.default_rng(0)
    runs = [{"run_id": f"run{i}"} for i in range(12)]
    for i in range(12):
        (work / "mixnn").mkdir(parents=True, exist_ok=True)
        records.write_json_atomic(work / "mixnn" / f"run{i}.json",
                                  {"run_id": f"run{i}", **{k: {} for k in records.REQUIRED_KEYS}})
        (work / "mixnn" / f"run{i}.npz").write_bytes(rng.bytes(3000))        # incompressible
    (work / "mixnn" / "run0.state.pt").write_bytes(b"weights")                  # never packed
    (work / "mixnn" / "run0.ckpt").write_bytes(b"checkpoint")
    (work / "mixnn" / "huge.npz").write_bytes(rng.bytes(9000))
    files = campaign.pack(work, out, {"runs": runs}, max_bytes=8000)
    assert len(files) <= campaign.MAX_FILES and len(list(out.iterdir())) == len(files)
    assert all(f.stat().st_size <= 8000 + 1000 for f in files[1:])          # a zip's headers on top
    manifest = json.loads((out / campaign.MANIFEST).read_text())
    packed = [n for s in manifest["shards"] for n in zipfile.ZipFile(out / s).namelist()]
    assert {f"mixnn/run{i}.json" for i in range(12)} <= set(packed)          # every record came back
    assert not any(n.endswith((".state.pt", ".ckpt")) for n in packed)
    left = {x["file"] for x in manifest["left_out"]}
    assert "mixnn/huge.npz" in left and left | set(packed) == {f"mixnn/{p.name}" for p in work.glob("mixnn/*")
                                                               if p.suffix in (".json", ".npz")}
    kept_npz = [n for n in packed if n.endswith(".npz")]
    assert kept_npz == sorted(kept_npz, key=lambda n: int(n.split("run")[1].split(".")[0]))  # plan order
    written = campaign.unpack(out, tmp_path / "results")
    assert {p.relative_to(tmp_path / "results").as_posix() for p in written} == set(packed) | {"campaigns.jsonl"}
    campaign.unpack(out, tmp_path / "results")                                 # a second campaign: a second line
    lines = (tmp_path / "results" / "campaigns.jsonl").read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["left_out"] == manifest["left_out"]


def test_unpack_refuses_what_a_campaign_did_not_write(tmp_path):
    with pytest.raises(campaign.CampaignError, match="holds no campaign.json"):
        campaign.unpack(tmp_path)
    records.write_json_atomic(tmp_path / campaign.MANIFEST, {"shards": ["campaign-1.zip"]})
    with pytest.raises(campaign.CampaignError, match="is missing"):
        campaign.unpack(tmp_path, tmp_path / "results")
    with zipfile.ZipFile(tmp_path / "campaign-1.zip", "w") as zf:
        zf.writestr("mixnn/x.json", json.dumps({"config": {}}))
    with pytest.raises(campaign.CampaignError, match="not a run record"):
        campaign.unpack(tmp_path, tmp_path / "results")
    assert not (tmp_path / "results").exists()                 # nothing half-written


# ----------------------------------------------------------------------------------------------
# End to end on a CPU: campaign -> pack -> unpack -> the page's section
# ----------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_smoke_campaign_end_to_end(tmp_path):
    """The same path a GPU campaign takes, at the smoke profile: the script trains the plan, packs,
    the files are unpacked into a results folder, and the page's section shows them as current."""
    out, results = tmp_path / "out", tmp_path / "results"
    cmd = [sys.executable, str(ROOT / "scripts" / "gpu_campaign.py"), "--pages", "foundations/tutorial",
           "--profile", "smoke", "--budget", "600", "--jobs", "2", "--out", str(out), "--work",
           str(tmp_path / "work"), "--results", str(results)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "2 of 2 run(s) done" in proc.stdout
    assert sorted(p.name for p in out.iterdir()) == ["campaign-1.zip", "campaign.json"]
    unpacked = subprocess.run(cmd[:2] + ["--unpack", str(out), "--results", str(results)],
                              capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert unpacked.returncode == 0, unpacked.stderr
    sec = campaign.section("foundations/tutorial", "smoke", root=results)
    assert not sec.missing and {f.status for f in sec.found} == {"current"}
    noisy = next(f for f in sec.found if f.planned.key == ("noisy",))
    assert records.per_sample(noisy.path)["loss"].dtype == np.float16       # shrunk for the trip
    assert not list(results.glob("*/*.state.pt"))
    again = subprocess.run(cmd[:-6] + ["--dry-run", "--results", str(results)], capture_output=True,
                           text=True, cwd=ROOT, timeout=120)
    assert "0 run(s) to train, 2 with a current record skipped" in again.stdout


@pytest.mark.slow
def test_extras_come_from_the_trained_network(tmp_path):
    """Features and soft labels are computed before the weights are dropped."""
    p = next(q for q in plans.plan("mixnn/replication", "smoke") if q.key == ("MixNN", "symmetric", 0.8, 0))
    assert p.extras == ("features", "soft_labels")
    rec = campaign.execute(p, tmp_path)
    path = tmp_path / p.part / f"{rec['run_id']}.json"
    assert not path.with_suffix(".state.pt").exists() and "state_file" not in records.read_record(path)
    x = campaign.read_extras(path)
    n = rec["data"]["num_train"]
    assert x["features"].shape == (min(n, campaign.FEATURE_SAMPLE), campaign.FEATURE_DIMS)
    assert x["features"].dtype == np.float16 and len(x["feature_idx"]) == len(x["features"])
    assert x["t_argmax"].shape == (n,) and (x["given"] != x["true"]).mean() == pytest.approx(0.8, abs=0.01)
    assert (x["t_argmax"] == x["true"]).mean() > (x["given"] == x["true"]).mean()   # correction helps


def test_run_plan_on_a_gpu_uses_current_campaign_records(tmp_path, monkeypatch):
    """A current record needs no retraining; a stale one, or one whose state a page needs, does."""
    monkeypatch.setenv("LNL_RESULTS", str(tmp_path / "results"))
    monkeypatch.setattr("torch.cuda.is_available", lambda: True)
    trained = []
    monkeypatch.setattr(book, "run_or_load", lambda cfg, out, **kw: trained.append(cfg) or {"trained": True})
    clean, noisy = plans.plan("foundations/tutorial", "gpu")                    # noisy keeps per-sample losses
    put(tmp_path / "results", clean, fake_record(clean))
    put(tmp_path / "results", noisy, fake_record(noisy))                        # but its .npz is not there
    got = book.run_plan([clean, noisy], tmp_path / "records")
    assert got[clean.key]["run_id"] == clean.run_id and got[noisy.key] == {"trained": True}
    put(tmp_path / "results", clean, fake_record(clean, source_hash="e" * 16))   # stale: train again on a GPU
    assert book.run_plan([clean], tmp_path / "records")[clean.key] == {"trained": True}


@pytest.mark.slow
def test_a_run_starts_only_if_it_fits_and_stops_at_the_budget(tmp_path):
    c = campaign.Campaign.build(["foundations/tutorial"], "smoke", "cpu", root=tmp_path / "results")
    big, small = c.items
    big.estimate_s, small.estimate_s = 1e6, 1.0           # the headline does not fit; the next one does
    c.run(600, 1, tmp_path / "work", echo=lambda line: None)
    assert (big.outcome, small.outcome) == ("does not fit the budget left", "done")
    assert (tmp_path / "work" / "foundations" / f"{small.planned.run_id}.json").exists()
    assert not (tmp_path / "work" / "foundations" / f"{big.planned.run_id}.json").exists()
    c = campaign.Campaign.build(["foundations/tutorial"], "smoke", "cpu", root=tmp_path / "results")
    for item in c.items:
        item.estimate_s = 0.01                            # fits, but the budget ends first: a worker
    c.run(2.0, 1, tmp_path / "work2", echo=lambda line: None)   # needs seconds to import torch alone
    assert c.items[0].outcome == "killed at the budget" and c.items[1].outcome == "does not fit the budget left"
    assert not list((tmp_path / "work2").glob("*/*.json"))


def test_a_missing_data_set_skips_its_runs_not_the_campaign(tmp_path, monkeypatch):
    """Runs on a data set the machine lacks are reported as such; the others are still scheduled."""
    c = campaign.Campaign.build(["foundations/replication"], "gpu", "cuda", root=tmp_path / "results")
    assert {i.planned.config.dataset for i in c.items} == {"cifar10", "fashion_mnist"}

    def load(name, *a, **kw):                             # CIFAR-10 is "found"; Fashion-MNIST is not
        if name == "fashion_mnist":
            raise data.DataNotFound("Data set 'fashion_mnist' is not here.")

    monkeypatch.setattr(data, "load", load)
    for item in c.items:
        item.estimate_s = 1e6                             # nothing fits: no training in this test
    lines = []
    c.run(60, 1, tmp_path / "work", echo=lines.append)
    for item in c.items:
        lacking = item.planned.config.dataset == "fashion_mnist"
        assert item.outcome == ("data set missing" if lacking else "does not fit the budget left")
        assert (item.log == "Data set 'fashion_mnist' is not here.") == lacking
    assert lines == ["not trained, data set missing: Data set 'fashion_mnist' is not here."]


@pytest.mark.parametrize("profile", plans.PROFILES)
def test_alr_plans_share_runs_and_cover_the_claims(profile):
    """The tutorial's runs are the replication's at 40 %; CE and ELR are the Baselines replication's
    where the cells meet; LR is ALR with entropy_weight 0; the λ ablation and MixNN's cost are there."""
    rep = {p.run_id: p for p in plans.plan("alr/replication", profile)}
    S = plans.settings("alr/replication", profile)
    head_kind = S["cells"][0][0]
    tut = plans.plan("alr/tutorial", profile)
    for p in tut:
        if p.key != ("fig2",):
            assert p.run_id in rep and rep[p.run_id].key == (p.key[0], head_kind, 0.4, 0)
            assert p.keep_state == (p.key[0] != "CE") and rep[p.run_id].keep_state == p.keep_state
    fig2 = next(p for p in tut if p.key == ("fig2",))
    assert fig2.run_id in {q.run_id for q in plans.plan("foundations/tutorial", profile)}
    assert fig2.config.rate == 0.6 and fig2.config.method == "ce"
    base = {p.key: p.run_id for p in plans.plan("baselines/replication", profile)}
    same = [p for p in rep.values() if p.key in base]
    assert {p.key[0] for p in same} == {"CE", "ELR"} and all(base[p.key] == p.run_id for p in same)
    for p in rep.values():
        if p.key[0] == "LR":
            assert p.config.method_params["entropy_weight"] == 0.0
        if p.key[0] == "ALR":
            assert "entropy_weight" not in p.config.method_params      # the library's default
    for rate in S["lambda_rates"]:
        for seed in S["seeds"]:
            assert {(a, head_kind, rate, seed) for a in ("CE", "LR", "ALR")} <= {p.key for p in rep.values()}
        assert {("λ", lam, rate) for lam in S["lambdas"]} <= {p.key for p in rep.values()}
    cost = plans.mixnn_cost_runs(profile)
    assert {p.run_id for p in cost.values()} <= set(rep) and cost["MixNN"].config.method == "mixnn"
    assert cost["CE"].config == replace(cost["MixNN"].config, method="ce", method_params={})
    assert len({p.key for p in rep.values()}) == len(rep)                   # no config planned twice


def test_every_method_has_a_cost_for_the_flop_estimate():
    from lnl.methods import METHODS

    assert all(campaign.method_cost(name) == METHODS[name].cost > 0 for name in METHODS)
    assert campaign.method_cost("sanm-dividemix") > campaign.method_cost("dividemix")


@pytest.mark.parametrize("page", plans.pages())
def test_a_noise_rate_map_moves_every_run_at_that_rate_and_no_other(page):
    """noise_rates {r: r'}: each run the page plans at nominal rate r (those it reads from another
    page's plan included) runs at r' with every other setting kept; runs at other rates stay."""
    base = plans.plan(page, "cpu")
    top = max(p.config.rate for p in base)
    new = round(top + 0.05, 2)     # still the top rate: the runs chosen as "the top rate's" stay the same
    runs = plans.plan(page, "cpu", noise_rates={top: new})
    assert len(runs) == len(base)
    def configs(ps, rate, at=True):
        return sorted(json.dumps(p.config.to_dict() | {"rate": top if at else p.config.rate}, sort_keys=True)
                      for p in ps if (p.config.rate == rate) == at)

    assert configs(runs, new) and configs(runs, new) == configs(base, top)
    assert configs(runs, new, at=False) == configs(base, top, at=False)
    S = plans.settings(page, "cpu", noise_rates="{%s: %s}" % (top, new))      # papermill's -p passes text
    assert f"noise rate {new:g} in place of the plan's {top:g}" in plans.off_plan(S)


def test_a_bad_noise_rate_map_is_one_sentence(tmp_path):
    from lnl import book

    for bad in ({0.8: 1.5}, {"x": 0.5}, [0.8], {}, "0.8"):
        with pytest.raises(ValueError, match="noise_rates"):
            plans.settings("mixnn/replication", "cpu", noise_rates=bad)
    with pytest.raises(ValueError, match="noise_rates maps 0.77, a rate mixnn/replication does not plan"):
        book.setup("mixnn/replication", "cpu", tmp_path, noise_rates={0.77: 0.5})
def test_a_sweeps_records_go_into_results_where_the_pages_look(tmp_path, capsys):
    """``unpack`` takes an ``lnl sweep`` folder as it takes a campaign's files: a run that a page plans
    lands in its part's folder, another in results/sweeps/; checkpoints and logs stay behind, and a
    run without a record is named in campaigns.jsonl."""
    from lnl import sweep

    spec = tmp_path / "sweep.yaml"
    spec.write_text("base: {method: ce, dataset: digits, noise: symmetric, rate: 0.4, epochs: 1, model: mlp, "
                    "device: cpu}\ngrid: {seed: [0]}\n")
    planned = plans.plan("foundations/tutorial", "smoke")[0]
    (own,) = sweep.read_sweep(spec)
    out = tmp_path / "out"
    sweep.submit([planned.config, own], out, "local", jobs=2, echo=lambda line: None)
    (out / "ghost.ckpt").write_bytes(b"x")                         # bulk that must not travel
    manifest = json.loads((out / "sweep.json").read_text())
    manifest["runs"]["never-ran"] = {"config": manifest["runs"][planned.run_id]["config"], "error": "Boom: no"}
    records.write_json_atomic(out / "sweep.json", manifest)
    results = tmp_path / "results"
    written = campaign.unpack(out, results)
    own_id = engine.run_id(own)
    assert {p.relative_to(results).as_posix() for p in written} == {
        f"{planned.part}/{planned.run_id}.json", f"sweeps/{own_id}.json", "campaigns.jsonl"}
    assert campaign.find(planned, results).status == "current"
    line = json.loads((results / "campaigns.jsonl").read_text())
    assert {r["run_id"]: r["outcome"] for r in line["runs"]} == {planned.run_id: "done", own_id: "done",
                                                                 "never-ran": "no record"}
    assert campaign.main(["unpack", str(tmp_path / "nothing"), "--results", str(results)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "is not what a campaign or a sweep wrote" in err


@pytest.mark.slow
def test_a_run_cut_by_the_budget_keeps_its_checkpoint(tmp_path):
    """A run still training when the budget ends is stopped in its worker and leaves the checkpoint
    of its last finished epoch (a later campaign resumes it), but no record."""
    c = campaign.Campaign.build(["foundations/tutorial"], "smoke", "cpu", root=tmp_path / "results")
    item = c.items[0]
    item.planned = replace(item.planned, config=replace(item.planned.config, epochs=10_000))
    item.estimate_s = 1.0
    c.items = [item]
    c.run(20.0, 1, tmp_path / "work", echo=lambda line: None)
    out = tmp_path / "work" / item.planned.part
    assert item.outcome == "killed at the budget"
    assert (out / f"{item.planned.run_id}.ckpt").exists() and not (out / f"{item.planned.run_id}.json").exists()
