"""Experiment plans: every page's runs at every profile, declared once.

A page of the book and ``scripts/gpu_campaign.py`` read the same plan: the notebook trains (or
loads) the runs of its profile through :func:`lnl.book.run_plan`, and a campaign on a GPU machine
trains the ``gpu`` (or ``paper``) plan of several pages at once and brings back their records.

A plan is a list of :class:`Planned` runs in priority order, by tier:

====  ===============  ===================================================================
tier  name             what
====  ===============  ===================================================================
0     headline         the page's main cells at seed 0: what its claims need first
1     more seeds       the same cells with the other seeds (error bars)
2     ablations+       one component changed at a time, other baselines, other conventions, and
                       runs a page uses on the side (the MixNN tutorial's warm-ups)
3     sweeps           hyper-parameter sweeps (figures, not claims)
====  ===============  ===================================================================

``SETTINGS[page][profile]`` (:mod:`lnl.plans.settings`, data apart from this code) holds every
setting a page's runs depend on, with ``notes`` that give the source of each (the pages print them
as their protocol tables). :func:`settings` returns a copy, :func:`plan` the runs. A page's
notebook keeps only what does not change a run (figure sizes, paper numbers it quotes) and the
overrides papermill may set (seeds, epochs, data size, noise rates).

This package decides which runs exist, not what a run computes: it is left out of
:func:`lnl.records.source_hash`, and a run's identity is its config (:func:`lnl.engine.run_id`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from typing import Any, Callable

from lnl.engine import RunConfig, Schedule, run_id
from lnl.plans.settings import (  # noqa: F401  (the settings, as data; re-exported)
    BOOK, FOUNDATIONS_TUTORIAL, FOUNDATIONS_REPLICATION, BASELINES_TUTORIAL, BASELINE_ARMS, WRONG_TAU,
    BASELINES_REPLICATION, MIXNN_TUTORIAL, MIXNN_ARMS, MIXNN_ABLATIONS, MIXNN_REPLICATION, ALR_ARMS,
    ALR_REPLICATION, ALR_TUTORIAL, IEG_ARMS, PROBE_ONLY, IEG_REPLICATION, IEG_TUTORIAL, SANM_LADDER,
    SANM_RATIOS, SANM_TARGETS, SANM_REPLICATION, SANM_TUTORIAL, LEADERBOARD, LEADERBOARD_ARMS, RUN_OVERRIDES,
    RATE_SETTINGS, OPTIONS, SETTINGS, DETECTION,
)
from lnl.profiles import PROFILES

TIERS = ("headline", "more seeds", "ablations+", "sweeps")
EXTRAS = ("features", "soft_labels", "weights", "scores", "heldout_probs")   # side outputs computed from a trained
# network (lnl.campaign)


@dataclass(frozen=True)
class Planned:
    """One run of a page's plan.

    ``key`` is how the page indexes it (e.g. ``(arm, noise, rate, seed)``); ``label`` says what it
    is in words. ``per_sample`` keeps every epoch's per-sample losses (``<run-id>.npz``),
    ``keep_state`` the trained networks (pages on the same machine restore them); ``extras`` names
    what a campaign computes from the trained network before it drops it (:data:`EXTRAS`), since a
    campaign never brings weights back.
    """

    page: str
    profile: str
    key: tuple
    label: str
    tier: int
    config: RunConfig
    per_sample: bool = False
    keep_state: bool = False
    extras: tuple[str, ...] = ()

    @property
    def run_id(self) -> str:
        return run_id(self.config)

    @property
    def part(self) -> str:
        """The book part (``mixnn`` of ``mixnn/replication``): records live in ``records/<part>``."""
        return self.page.split("/")[0]


def mixnn_grid(rates, seeds, ablation_seeds, kinds=("symmetric",), ablation_rates=None, uniform_ce=None,
               asymmetric=(), skip_arms=()):
    """MixNN replication runs as ``(arm, noise kind, rate, seeds)``: CE and MixNN at every rate (all
    ``seeds`` at the top rate, else ``ablation_seeds``); the ablations and Mixup at ``ablation_rates``
    (default: the top rate); MixNN w/o label correction at every rate (claim 4); CE under the other
    noise convention at the rates ``uniform_ce`` (None: the top rate; ``()``: none); CE and MixNN under asymmetric noise at
    the rates ``asymmetric``. Arms in ``skip_arms`` are left out."""
    runs = [(arm, kind, r, seeds if r == rates[-1] else ablation_seeds)
            for kind in kinds for r in rates for arm in ("CE", "MixNN")]
    for r in ablation_rates or rates[-1:]:
        runs += [(arm, kinds[0], r, ablation_seeds) for arm in MIXNN_ABLATIONS if arm != "MixNN"]
    runs += [("MixNN w/o label correction", kinds[0], r, ablation_seeds) for r in rates
             if r not in (ablation_rates or rates[-1:])]
    if "symmetric-uniform" not in kinds:
        runs += [("CE", "symmetric-uniform", r, ablation_seeds)
                 for r in (rates[-1:] if uniform_ce is None else uniform_ce)]
    runs += [(arm, "asymmetric", r, ablation_seeds) for r in asymmetric for arm in ("CE", "MixNN")]
    return [run for run in runs if run[0] not in skip_arms]


def settings(page: str, profile: str, **overrides: Any) -> dict[str, Any]:
    """A copy of ``page``'s settings at ``profile``, with what the plan derives from them.

    ``overrides`` are the page's papermill parameters that change its runs (``None`` keeps the
    profile's value): ``seed`` (tutorials, Foundations), ``main_seeds`` (the replications' headline
    seeds), ``ablation_seeds`` (MixNN replication), :data:`RUN_OVERRIDES` and ``noise_rates``
    (:func:`map_rates`; a rate the page does not plan is left alone here, and refused by
    :func:`lnl.book.setup`).
    """
    if page not in SETTINGS:
        raise ValueError(f"Unknown page '{page}'; pages with a plan: {', '.join(SETTINGS)}.")
    if profile not in PROFILES:
        raise ValueError(f"Unknown profile '{profile}'; choose one of: {', '.join(PROFILES)}.")
    unknown = set(overrides) - set(OPTIONS[page]) - set(RUN_OVERRIDES) - {"noise_rates"}
    if unknown:
        raise ValueError(f"Unknown plan option(s) {', '.join(sorted(unknown))} for {page}; "
                         f"it takes {', '.join((*OPTIONS[page], *RUN_OVERRIDES, 'noise_rates'))}.")
    S = copy.deepcopy(SETTINGS[page][profile])
    S["off_plan"] = _override_runs(S, overrides)
    if overrides.get("noise_rates") is not None:
        S["off_plan"]["noise_rates"] = map_rates(S, overrides["noise_rates"])
    S["run_overrides"] = {f: overrides[f] for f in (*RUN_OVERRIDES, "noise_rates")
                          if overrides.get(f) is not None}   # for the runs a page reads from another page's plan
    S["seed"] = overrides.get("seed") if overrides.get("seed") is not None else 0
    if page == "mixnn/replication":             # its runs are a grid over arms, rates and seeds
        for key, field in (("main_seeds", "seeds"), ("ablation_seeds", "ablation_seeds")):
            if overrides.get(key) is not None:
                S["grid"][field] = tuple(overrides[key])
        S["runs"] = mixnn_grid(**S["grid"])
    if (page in ("baselines/replication", "alr/replication", "ieg/replication", "sanm/replication", "leaderboard")
            and overrides.get("main_seeds") is not None):
        S["seeds"] = tuple(overrides["main_seeds"])
    return S


def _override_runs(S: dict[str, Any], overrides: dict[str, Any]) -> dict[str, tuple[Any, list[Any]]]:
    """Set each of :data:`RUN_OVERRIDES` given in ``overrides`` in every run setting of ``S`` (its
    ``run``, or each experiment's); return ``{field: (value, the plan's values)}`` of what changed."""
    runs = [S["run"]] if "run" in S else [e["run"] for e in S.get("experiments", [])]
    changed = {}
    for field in RUN_OVERRIDES:
        value = overrides.get(field)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{field} must be a whole number of at least 1 (or None for the plan's), got {value!r}.")
        planned = list(dict.fromkeys(r.get(field) for r in runs))
        if planned != [value]:
            changed[field] = (value, planned)
        for r in runs:
            r[field] = value
    return changed


def rate_map(noise_rates: Any) -> dict[float, float]:
    """``noise_rates`` ({the plan's rate: the rate to run}, or its YAML text as papermill's ``-p``
    passes it) checked: every rate a number in [0, 1)."""
    import yaml

    given = yaml.safe_load(noise_rates) if isinstance(noise_rates, str) else noise_rates
    if not isinstance(given, dict) or not given:
        raise ValueError(f"noise_rates must map a planned rate to the rate to run instead, e.g. {{0.8: 0.6}}; "
                         f"got {noise_rates!r}.")
    out = {}
    for old, new in given.items():
        for r in (old, new):
            if isinstance(r, bool) or not isinstance(r, (int, float)) or not 0 <= r < 1:
                raise ValueError(f"noise_rates maps noise rates, numbers in [0, 1); got {r!r} in {noise_rates!r}.")
        out[float(old)] = float(new)
    return out


def map_rates(S: dict[str, Any], noise_rates: Any) -> dict[float, float]:
    """Replace, in the settings :data:`RATE_SETTINGS` of ``S``, each planned rate that
    ``noise_rates`` maps (:func:`rate_map`) with its new rate; return the map. (The runs a page
    reads from another page's plan take the same map there.)"""
    mapping = rate_map(noise_rates)

    def swap(r):
        if isinstance(r, float) and r in mapping:
            return mapping[r]
        if isinstance(r, tuple) and len(r) == 2 and isinstance(r[0], str):     # a (kind, rate) cell
            return (r[0], swap(r[1]))
        if isinstance(r, tuple):
            return tuple(swap(x) for x in r)
        return r

    for name in RATE_SETTINGS:
        *outer, key = name.split(".")
        holder = S[outer[0]] if outer and isinstance(S.get(outer[0]), dict) else (None if outer else S)
        if holder is not None and key in holder:
            holder[key] = swap(holder[key])
    for block in S.get("blocks", ()):                     # the detection page's blocks, named by their cell
        kind, rate = block["cell"]
        if swap(block["cell"]) != block["cell"]:
            block["cell"] = swap(block["cell"])
            block["name"] = block["name"].replace(f"{kind} {rate:g}", f"{kind} {block['cell'][1]:g}")
    return mapping


def off_plan(S: dict[str, Any]) -> str:
    """The sentence a page prints when a parameter overrides its plan (:func:`settings`), else ""."""
    if not S.get("off_plan"):
        return ""
    parts = [f"{RUN_OVERRIDES[f]} {S['off_plan'][f][0]} (the plan's: "
             f"{', '.join('all' if p is None else str(p) for p in S['off_plan'][f][1])})"
             for f in RUN_OVERRIDES if f in S["off_plan"]]
    parts += [f"noise rate {new:g} in place of the plan's {old:g}"
              for old, new in S["off_plan"].get("noise_rates", {}).items()]
    epochs = (" Settings counted in epochs (schedule milestones, warm-ups) keep their planned values."
              if "epochs" in S["off_plan"] else "")
    return ("This page runs off its plan: " + "; ".join(parts) + "." + epochs
            + " The verdicts are those of these runs.")


# ----------------------------------------------------------------------------------------------
# Plans
# ----------------------------------------------------------------------------------------------

def _config(S: dict[str, Any], *, schedule: dict | None = None, **fields: Any) -> RunConfig:
    return RunConfig(schedule=Schedule(**(schedule or S["schedule"])), **{**S["run"], **fields})


def _foundations_tutorial(page: str, profile: str, S: dict[str, Any]) -> list[Planned]:
    seed = S["seed"]
    return [
        Planned(page, profile, ("clean",), "CE, clean labels", 0,
                _config(S, method="ce", noise="none", rate=0.0, seed=seed)),
        Planned(page, profile, ("noisy",), f"CE, {S['noise']} {S['memo_rate']}", 0,
                _config(S, method="ce", noise=S["noise"], rate=S["memo_rate"], seed=seed), per_sample=True),
    ]


def _foundations_replication(page: str, profile: str, S: dict[str, Any]) -> list[Planned]:
    out = []
    for i, exp in enumerate(S["experiments"]):
        tier = 0 if i == len(S["experiments"]) - 1 else 2     # the largest data set first
        for rate in S["rates"]:
            cfg = RunConfig(method="ce", noise=S["noise"], rate=rate, seed=S["seed"],
                            schedule=Schedule(**exp["schedule"]), **exp["run"])
            out.append(Planned(page, profile, (exp["name"], rate), f"CE, {exp['name']}, {S['noise']} {rate}", tier,
                               cfg, per_sample=True))
    exp, seed = S["experiments"][-1], S["seed"] + 1       # a second seed of the largest: the claims' yardstick
    for rate in S["rates"]:
        cfg = RunConfig(method="ce", noise=S["noise"], rate=rate, seed=seed, schedule=Schedule(**exp["schedule"]),
                        **exp["run"])
        out.append(Planned(page, profile, ("yardstick", rate), f"CE, {exp['name']}, {S['noise']} {rate}, seed {seed}",
                           1, cfg))
    return out


def _baselines_tutorial(page: str, profile: str, S: dict[str, Any]) -> list[Planned]:
    seed, noise, rate = S["seed"], S["noise"], S["rate"]

    def config(method, params=None):
        return _config(S, method=method, noise=noise, rate=rate, seed=seed, method_params=dict(params or {}))

    # The trained networks of the three methods are kept: the page restores them for the selection,
    # the targets and the co-divide on real batches. Nothing of them is needed on a GPU section.
    return [Planned(page, profile, ("ce",), f"CE, {noise} {rate}", 0, config("ce")),
            Planned(page, profile, ("coteaching",), f"Co-teaching, {noise} {rate}", 0,
                    config("coteaching", S["coteaching"]), keep_state=True),
            Planned(page, profile, ("elr",), f"ELR, {noise} {rate}", 0, config("elr", S["elr"]), keep_state=True),
            Planned(page, profile, ("dividemix",), f"DivideMix, {noise} {rate}", 0,
                    config("dividemix", S["dividemix"]), keep_state=True)]


def baseline_config(S: dict[str, Any], arm: str, kind: str, rate: float, seed: int) -> RunConfig:
    """The run of ``arm`` (a key of :data:`BASELINE_ARMS`, or :data:`WRONG_TAU`) in one noise cell
    of the Baselines replication: the profile's settings of its method, those of the noise kind
    (``by_noise``), and at the ``paper`` profile DivideMix's Table 7 preset of the cell."""
    method = "coteaching" if arm == WRONG_TAU else BASELINE_ARMS[arm]
    params = {**S.get(method, {}), **S["by_noise"].get(kind, {}).get(method, {})}
    if arm == WRONG_TAU:
        params["tau"] = S["wrong_tau"]
    if method == "dividemix" and S.get("dividemix_presets"):
        params = {"preset": f"c10-{'asym' if kind.startswith('asym') else 'sym'}{round(100 * rate)}"}
    return _config(S, method=method, noise=kind, rate=rate, seed=seed, method_params=params)


def _baselines_replication(page: str, profile: str, S: dict[str, Any]) -> list[Planned]:
    out = []
    (head_kind, head_rate), *others = S["cells"]
    for seed in S["seeds"]:                    # the headline cell: every arm, every seed
        for arm in (*BASELINE_ARMS, WRONG_TAU):
            tier = (2 if arm == WRONG_TAU else 0) if seed == S["seeds"][0] else (2 if arm == WRONG_TAU else 1)
            out.append(Planned(page, profile, (arm, head_kind, head_rate, seed),
                               f"{arm}, {head_kind} {head_rate}, seed {seed}", tier,
                               baseline_config(S, arm, head_kind, head_rate, seed)))
    for kind, rate in others:                 # the other cells: every arm at the cells' seeds
        for seed in S["cell_seeds"]:
            for arm in S.get("cell_arms", BASELINE_ARMS):
                out.append(Planned(page, profile, (arm, kind, rate, seed), f"{arm}, {kind} {rate}, seed {seed}",
                                   2, baseline_config(S, arm, kind, rate, seed)))
    return out


def _mixnn_tutorial(page: str, profile: str, S: dict[str, Any]) -> list[Planned]:
    seed, M = S["seed"], S["mixnn"]
    # Kept as the replication keeps its headline runs, so that the two pages share them.
    out = [Planned(page, profile, ("train", "ce"), f"CE, {S['noise']} {S['train_rate']}", 0,
                   _config(S, method="ce", noise=S["noise"], rate=S["train_rate"], seed=seed),
                   keep_state=True, extras=("features",)),
           Planned(page, profile, ("train", "mixnn"), f"MixNN, {S['noise']} {S['train_rate']}", 0,
                   _config(S, method="mixnn", noise=S["noise"], rate=S["train_rate"], seed=seed,
                           method_params=dict(M)),
                   keep_state=True, extras=("features", "soft_labels"))]
    out += [Planned(page, profile, ("warmup", rate), f"CE warm-up ({M['warmup']} epochs), {S['noise']} {rate}", 2,
                    _config(S, schedule=S["warmup_schedule"], method="ce", noise=S["noise"], rate=rate, seed=seed,
                            epochs=M["warmup"]),
                    keep_state=True, extras=("features",))
            for rate in S["rep_rates"]]
    return out


def _mixnn_replication(page: str, profile: str, S: dict[str, Any]) -> list[Planned]:
    def config(arm, kind, rate, seed, **params):
        return mixnn_config(S, arm, kind, rate, seed, **params)

    out = []
    for arm, kind, rate, seeds in S["runs"]:
        for seed in seeds:
            main = arm in ("CE", "MixNN")                 # Table I's cells; the rest are Table IV's
            keep = main and kind in S["grid"].get("kinds", ("symmetric",)) and seed == 0   # tutorial shares
            extras = ("features", "soft_labels") if arm == "MixNN" else ("features",)
            out.append(Planned(page, profile, (arm, kind, rate, seed), f"{arm}, {kind} {rate}, seed {seed}",
                               (0 if seed == 0 else 1) if main else 2, config(arm, kind, rate, seed),
                               keep_state=keep, extras=extras if keep else ()))
    for param, values in S["sweeps"].items():
        for v in values:
            out.append(Planned(page, profile, ("sweep", param, v), f"MixNN, {param} = {v}, symmetric "
                               f"{S['sweep_rate']}, seed 0", 3,
                               config("MixNN", "symmetric", S["sweep_rate"], 0, **{param: v})))
    return out


def alr_config(S: dict[str, Any], arm: str, kind: str, rate: float, seed: int, **params: Any) -> RunConfig:
    """The run of ``arm`` (a key of :data:`ALR_ARMS`) in one noise cell of the ALR chapter; ``params``
    override ALR's settings (the λ ablation, the sweeps)."""
    method = ALR_ARMS[arm]
    mp = {"alr": {**S["alr"], **({"entropy_weight": 0.0} if arm == "LR" else {}), **params},
          "elr": S["elr"], "ce": {}}[method]
    return _config(S, method=method, noise=kind, rate=rate, seed=seed, method_params=dict(mp))


def _borrowed(p: Planned, **fields: Any) -> Planned:
    """A run of another page's plan that a page reads as it is (the same config: trained once),
    without what that page keeps of it."""
    return replace(p, tier=2, per_sample=False, keep_state=False, extras=(), **fields)


def _alr_tutorial(page: str, profile: str, S: dict[str, Any]) -> list[Planned]:
    kind, rate, seed = S["cells"][0][0], S["tutorial_rate"], S["seed"]
    out = [Planned(page, profile, (arm,), f"{arm}, {kind} {rate}, seed {seed}", 0,
                   alr_config(S, arm, kind, rate, seed), keep_state=arm != "CE",
                   extras=("features",) if arm != "CE" else ())
           for arm in ("CE", "LR", "ALR")]
    # Fig. 2: CE's train and test curves at 60 %: the Foundations tutorial's run
    fig2 = next(p for p in plan("foundations/tutorial", profile, **S["run_overrides"]) if p.key == ("noisy",))
    return out + [_borrowed(fig2, page=page, key=("fig2",))]


def _alr_replication(page: str, profile: str, S: dict[str, Any]) -> list[Planned]:
    out = []
    head = S["cells"][0]
    sym = [c for c in S["cells"] if c[0] == head[0]]
    for kind, rate in S["cells"]:
        seeds = S["seeds"] if (kind, rate) in sym else S["cell_seeds"]
        # ELR: only where the Baselines replication runs it, with its seeds (all in its headline cell)
        elr_seeds = (S["seeds"] if (kind, rate) == head else S["cell_seeds"]) if (kind, rate) in S["elr_cells"] else ()
        for seed in seeds:
            for arm in (a for a in ALR_ARMS if a != "ELR" or seed in elr_seeds):
                keep = arm in ("LR", "ALR") and (kind, rate) in sym      # features: clean clusters (claim 4)
                tier = (0 if (kind, rate) in sym else 2) if seed == seeds[0] else 1
                out.append(Planned(page, profile, (arm, kind, rate, seed), f"{arm}, {kind} {rate}, seed {seed}",
                                   tier, alr_config(S, arm, kind, rate, seed), keep_state=keep,
                                   extras=("features",) if keep else ()))
    for lam in S["lambdas"]:                        # the λ ablation (0 is LR, the default ALR)
        for rate in S["lambda_rates"]:
            out.append(Planned(page, profile, ("λ", lam, rate), f"ALR, λ = {lam}, {head[0]} {rate}, seed 0", 2,
                               alr_config(S, "ALR", head[0], rate, S["cell_seeds"][0], entropy_weight=lam)))
    for param, values in S["sweeps"].items():      # sensitivity to α and to the start of phase 2
        for v in values:
            out.append(Planned(page, profile, ("sweep", param, v), f"ALR, {param} = {v}, {head[0]} "
                               f"{S['sweep_rate']}, seed 0", 3,
                               alr_config(S, "ALR", head[0], S["sweep_rate"], 0, **{param: v})))
    # "efficient": MixNN's epoch time against CE's, from the MixNN replication's own runs (where
    # its CE run is one of this page's, as at the smoke profile, it is planned once)
    mine = {p.run_id for p in out}
    return out + [replace(p, page=page, key=("MixNN's protocol",) + p.key)
                  for p in mixnn_cost_runs(profile, **S["run_overrides"]).values() if p.run_id not in mine]


def mixnn_cost_runs(profile: str, **run_overrides: Any) -> dict[str, Planned]:
    """``{"CE": ..., "MixNN": ...}``: the MixNN replication's seed-0 runs of both at its top rate,
    whose epoch times the ALR replication compares (claim "efficient"); ``run_overrides`` as the
    ALR page's (:data:`RUN_OVERRIDES`)."""
    mixnn = plan("mixnn/replication", profile, **run_overrides)
    top = max(p.key[2] for p in mixnn if p.key[0] == "MixNN")
    keys = {arm: (arm, mixnn[0].key[1], top, 0) for arm in ("CE", "MixNN")}
    found = {p.key: _borrowed(p) for p in mixnn}
    return {arm: found[key] for arm, key in keys.items()}


def ieg_config(S: dict[str, Any], arm: str, kind: str, rate: float, seed: int, **fields: Any) -> RunConfig:
    """The run of ``arm`` (a key of :data:`IEG_ARMS`, an ablation row ``"IEG-k"``/``"EG"``, or
    :data:`PROBE_ONLY`) in one noise cell of the IEG chapter; ``fields`` override run settings
    (``probe_per_class`` for the probe-size sweep)."""
    if arm == PROBE_ONLY:                     # CE on probe_per_class clean images per class, nothing else,
        return _config(S, method="ce", noise="none", rate=0.0, seed=seed, batch_size=probe_only_batch(S),
                       train_per_class=S["run"]["probe_per_class"], probe_per_class=0, **fields)
    method, params = IEG_ARMS.get(arm, ("ieg", {"ablation": arm}))
    mp = {**(S["ieg"] if method == "ieg" else {}), **params}
    return _config(S, method=method, noise=kind, rate=rate, seed=seed, method_params=mp, **fields)


def probe_only_batch(S: dict[str, Any]) -> int:
    """The batch size at which CE on the probe alone takes as many steps per epoch as IEG on the
    noisy set (at least 8 images: a BatchNorm needs a batch), so that the reference is not short of
    updates."""
    r = S["run"]
    classes = 100 if "100" in r["dataset"] else 10
    per_class = r["train_per_class"] or {"digits": 135}.get(r["dataset"], 5000)
    steps = max(1, (per_class - r["probe_per_class"]) * classes // r["batch_size"])
    return max(8, r["probe_per_class"] * classes // steps)


def _ieg_replication(page: str, profile: str, S: dict[str, Any]) -> list[Planned]:
    out = []
    (kind, top), *others = S["cells"]
    for seed in S["seeds"]:                    # Table 1's 80 %: every arm, every seed; the probe alone
        for arm in (*IEG_ARMS, PROBE_ONLY):
            keep = arm in ("L2R", "IEG") and seed == S["seeds"][0]   # ω* over training (the tutorial)
            out.append(Planned(page, profile, (arm, kind, top, seed), f"{arm}, {kind} {top}, seed {seed}",
                               0 if seed == S["seeds"][0] else 1, ieg_config(S, arm, kind, top, seed),
                               keep_state=keep, extras=("weights",) if keep else ()))
    for k, rate in others:
        for seed in S["cell_seeds"]:
            for arm in S["cell_arms"]:
                keep = arm == "IEG" and rate == S["tutorial_rate"] and seed == 0
                out.append(Planned(page, profile, (arm, k, rate, seed), f"{arm}, {k} {rate}, seed {seed}", 2,
                                   ieg_config(S, arm, k, rate, seed), keep_state=keep,
                                   extras=("weights",) if keep else ()))
    seed0 = S["seeds"][0]
    for n in S["probe_sizes"]:                 # Table 2's trend: fewer trusted images per class
        out.append(Planned(page, profile, ("probe", n), f"IEG, {n} probe images per class, {kind} {top}, "
                           f"seed {seed0}", 2, ieg_config(S, "IEG", kind, top, seed0, probe_per_class=n)))
    for row in S["ladder"] + S["more_ablations"]:   # Table 7 (IEG-1 is L2R, IEG-5 is IEG) and Table 6's EG
        out.append(Planned(page, profile, ("ablation", row), f"{row}, {kind} {top}, seed {seed0}",
                           2 if row in S["ladder"] else 3, ieg_config(S, row, kind, top, seed0)))
    return out


def _ieg_tutorial(page: str, profile: str, S: dict[str, Any]) -> list[Planned]:
    """The replication's runs that the tutorial reads: IEG and L2R at the top rate (their weights over
    training) and IEG at the tutorial's rate (the paper's Fig. 2)."""
    rep = plan("ieg/replication", profile, **S["run_overrides"])
    kind, top = S["cells"][0]
    want = {("IEG", kind, top, S["seeds"][0]): ("IEG", top), ("L2R", kind, top, S["seeds"][0]): ("L2R", top),
            ("IEG", kind, S["tutorial_rate"], S["cell_seeds"][0]): ("IEG", S["tutorial_rate"])}
    return [replace(p, page=page, key=want[p.key], tier=0) for p in rep if p.key in want]


def sanm_config(S: dict[str, Any], arm: str, kind: str, rate: float, seed: int, **sanm: Any) -> RunConfig:
    """The run of ``arm`` in one noise cell of the SANM chapter: the host (``"CE"``,
    ``"DivideMix"``), SANM on it (``"SANM(CE)"``, ...; ``sanm`` overrides SANM's settings: a ladder
    rung, a ratio control), or the host with clean labels (``"<host>, clean labels"``). At the
    ``paper`` profile DivideMix takes the cell's Table 7 preset (the clean-label run: ``rate``'s)."""
    host = S["host"]
    params = dict(S["host_params"])
    if host == "dividemix" and S.get("dividemix_presets"):
        params = {"preset": f"c10-sym{round(100 * rate)}"}
    if arm.endswith("clean labels"):
        return _config(S, method=host, noise="none", rate=0.0, seed=seed, method_params=params)
    if arm.startswith("SANM"):
        return _config(S, method=f"sanm-{host}", noise=kind, rate=rate, seed=seed,
                       method_params={**params, **S["sanm"], **sanm})
    return _config(S, method=host, noise=kind, rate=rate, seed=seed, method_params=params)


def sanm_arms(S: dict[str, Any]) -> tuple[str, str]:
    """(host arm, SANM arm) of a profile: ("CE", "SANM(CE)") or ("DivideMix", "SANM(DivideMix)")."""
    host = {"ce": "CE", "dividemix": "DivideMix"}[S["host"]]
    return host, f"SANM({host})"


def _sanm_replication(page: str, profile: str, S: dict[str, Any]) -> list[Planned]:
    out = []
    host, arm = sanm_arms(S)
    (kind, top), *others = S["cells"]
    for seed in S["seeds"]:                   # Table 6 / Table 1's headline cell, every seed
        for a in (host, arm):
            keep = seed == S["seeds"][0]     # the tutorial's activation maps and reconstructions
            out.append(Planned(page, profile, (a, kind, top, seed), f"{a}, {kind} {top}, seed {seed}",
                               0 if seed == S["seeds"][0] else 1, sanm_config(S, a, kind, top, seed), keep_state=keep))
    for k, rate in others:
        for seed in S["cell_seeds"]:
            for a in (host, arm):
                out.append(Planned(page, profile, (a, k, rate, seed), f"{a}, {k} {rate}, seed {seed}", 1,
                                   sanm_config(S, a, k, rate, seed)))
    seed0 = S["seeds"][0]
    clean = f"{host}, clean labels"           # Fig. 1: the same network trained on clean labels
    out.append(Planned(page, profile, (clean,), f"{clean}, seed {seed0}", 1,
                       sanm_config(S, clean, kind, top, seed0), keep_state=True))   # the headline's settings
    for rung in SANM_LADDER:                  # Table 5: +AMG, +NLR, (+SMR = SANM)
        out.append(Planned(page, profile, ("ladder", rung), f"{host} + {rung.upper()}, {kind} {top}, seed {seed0}", 2,
                           sanm_config(S, arm, kind, top, seed0, components=rung)))
    for ratio in SANM_RATIOS:                 # Fig. 2 / 4: fixed and random mask ratios
        out.append(Planned(page, profile, ("ratio", ratio), f"{arm}, {ratio} ratio, {kind} {top}, seed {seed0}", 2,
                           sanm_config(S, arm, kind, top, seed0, ratio=ratio)))
    if S["host"] == "ce":                     # NLR on the given label: DivideMix's targets are its predictions
        for target in SANM_TARGETS:
            out.append(Planned(page, profile, ("target", target), f"{arm}, NLR target={target}, {kind} {top}, "
                               f"seed {seed0}", 2, sanm_config(S, arm, kind, top, seed0, target=target)))
    return out


def _sanm_tutorial(page: str, profile: str, S: dict[str, Any]) -> list[Planned]:
    """The replication's runs the tutorial reads: the host and SANM at the headline cell, and the host
    with clean labels (Fig. 1), each with its trained networks."""
    host, arm = sanm_arms(S)
    kind, top = S["cells"][0]
    want = {(host, kind, top, S["seeds"][0]), (arm, kind, top, S["seeds"][0]), (f"{host}, clean labels",)}
    return [replace(p, page=page, tier=0) for p in plan("sanm/replication", profile, **S["run_overrides"])
            if p.key in want]


def leaderboard_config(profile: str, arm: str, seed: int, **run_overrides: Any) -> RunConfig:
    """The run of ``arm`` (one of :data:`LEADERBOARD_ARMS`) at ``seed`` on the leaderboard's protocol
    at ``profile``: the Baselines replication's headline cell, with the settings the method's own
    chapter gives it at that profile (``LEADERBOARD[profile]["notes"]`` names them). A run a chapter
    plans in that cell is the same config, hence the same run id: trained once."""
    base = settings("baselines/replication", profile, **run_overrides)
    kind, rate = base["cells"][0]
    if arm in BASELINE_ARMS:
        return baseline_config(base, arm, kind, rate, seed)
    if arm.startswith("SANM("):
        host = {"SANM(CE)": "ce", "SANM(DivideMix)": "dividemix"}[arm]
        sanm = settings("sanm/replication", profile, **run_overrides)
        host_params = baseline_config(base, "DivideMix", kind, rate, seed).method_params if host == "dividemix" else {}
        params = {**host_params, **(sanm["sanm"] if sanm["host"] == host else {})}
        return _config(base, method=f"sanm-{host}", noise=kind, rate=rate, seed=seed, method_params=params)
    if arm == "MixNN":
        params = settings("mixnn/replication", profile, **run_overrides)["mixnn"]
        return _config(base, method="mixnn", noise=kind, rate=rate, seed=seed, method_params=dict(params))
    if arm == "IEG":
        ieg = settings("ieg/replication", profile, **run_overrides)
        return _config(base, method="ieg", noise=kind, rate=rate, seed=seed, method_params=dict(ieg["ieg"]),
                       probe_per_class=ieg["run"]["probe_per_class"])
    if arm == "ALR":
        params = settings("alr/replication", profile, **run_overrides)["alr"]
        return _config(base, method="alr", noise=kind, rate=rate, seed=seed, method_params=dict(params))
    raise ValueError(f"Unknown leaderboard arm '{arm}'; choose one of: {', '.join(LEADERBOARD_ARMS)}.")


CHAPTER_PAGES = ("baselines/replication", "alr/replication", "sanm/replication", "mixnn/replication",
                 "ieg/replication")       # the chapters whose runs the leaderboard may share


def _leaderboard(page: str, profile: str, S: dict[str, Any]) -> list[Planned]:
    """Every method of the book at the Baselines replication's headline cell and seeds: the runs a
    chapter already plans there are borrowed (same configs: trained once, tier 2 as the chapters'
    other borrowed runs), the rest are the leaderboard's own (seed 0 first)."""
    ro = S["run_overrides"]
    base = settings("baselines/replication", profile, **ro)
    seeds = S.get("seeds") or base["seeds"]
    kind, rate = base["cells"][0]
    chapters = {p.run_id for name in CHAPTER_PAGES for p in plan(name, profile, **ro)}
    out = []
    for seed in seeds:
        for arm in S["arms"]:
            cfg = leaderboard_config(profile, arm, seed, **ro)
            shared = run_id(cfg) in chapters
            out.append(Planned(page, profile, (arm, seed), f"{arm}, {kind} {rate}, seed {seed}",
                               2 if shared else (0 if seed == seeds[0] else 1), cfg))
    return out


def mixnn_config(S: dict[str, Any], arm: str, kind: str, rate: float, seed: int, **params: Any) -> RunConfig:
    """The run of ``arm`` (a key of :data:`MIXNN_ARMS`) in one noise cell of the MixNN replication."""
    method, arm_params = MIXNN_ARMS[arm]
    mp = {**(S["mixnn"] if method == "mixnn" else {}), **arm_params, **params}
    return _config(S, method=method, noise=kind, rate=rate, seed=seed, method_params=mp)


_OWN_METHODS = {"CE": "ce", "Co-teaching": "coteaching", "ELR": "elr", "DivideMix": "dividemix",
                "SANM(DivideMix)": "sanm-dividemix", "ALR": "alr", "MixNN": "mixnn", "IEG": "ieg"}


def detection_arm_config(S: dict[str, Any], block: dict[str, Any], arm: str, profile: str) -> RunConfig:
    """The run of ``arm`` in one block of the detection page: on a chapter's protocol, that
    chapter's config function at the block's noise cell (the same run as the chapter's, trained
    once); on the page's own protocol (``"own"``, CIFAR-10N), the page's run settings with the
    method's from ``block["params"]``."""
    kind, rate = block["cell"]
    seed, protocol = S["seed"], block["protocol"]
    if protocol != "own":
        page = f"{protocol}/replication"
        if arm.startswith("SANM"):
            page = "sanm/replication"
        elif arm == "ALR":
            page = "alr/replication"
        T = settings(page, profile, **S["run_overrides"])
        make = {"baselines/replication": baseline_config, "alr/replication": alr_config,
                "sanm/replication": sanm_config, "ieg/replication": ieg_config,
                "mixnn/replication": mixnn_config}[page]
        return make(T, arm, kind, rate, seed)
    method = _OWN_METHODS[arm]
    key = method.replace("sanm-", "") if method == "sanm-dividemix" else method
    params = dict(block["params"].get(key, {}))
    if method == "sanm-dividemix":
        params = {**block["params"].get("dividemix", {}), **block["params"].get("sanm", {})}
    return _config(S, method=method, noise=kind, rate=0.0, label_set=rate, seed=seed, method_params=params,
                   probe_per_class=block.get("probe_per_class", 0))


def _detection(page: str, profile: str, S: dict[str, Any]) -> list[Planned]:
    """Each block's arms (kept: the page ranks the training samples by their trained state; a
    campaign brings the scores back as extras) and its K fold runs of CE (their held-out
    probabilities: cleanlab's input)."""
    from lnl.detect import fold_config          # cleanlab's fold k: the block's CE on all but fold k

    out = []
    for b, block in enumerate(S["blocks"]):
        kind, rate = block["cell"]
        for arm in block["arms"]:
            out.append(Planned(page, profile, (block["name"], arm), f"{arm}, {block['name']}, seed {S['seed']}",
                               0 if b == 0 else 2, detection_arm_config(S, block, arm, profile), keep_state=True,
                               extras=("scores",)))
        ce = detection_arm_config(S, block, "CE", profile)
        folds = block.get("folds", S["folds"])
        for k in range(1, folds + 1):
            out.append(Planned(page, profile, (block["name"], "cleanlab", k),
                               f"CE fold {k} of {folds}, {block['name']}, seed {S['seed']}", 0 if b == 0 else 2,
                               fold_config(ce, k, folds), keep_state=True, extras=("heldout_probs",)))
    return out


BUILDERS: dict[str, Callable[[str, str, dict[str, Any]], list[Planned]]] = {
    "foundations/tutorial": _foundations_tutorial,
    "foundations/replication": _foundations_replication,
    "baselines/tutorial": _baselines_tutorial,
    "baselines/replication": _baselines_replication,
    "mixnn/tutorial": _mixnn_tutorial,
    "mixnn/replication": _mixnn_replication,
    "alr/tutorial": _alr_tutorial,
    "alr/replication": _alr_replication,
    "ieg/tutorial": _ieg_tutorial,
    "ieg/replication": _ieg_replication,
    "sanm/tutorial": _sanm_tutorial,
    "sanm/replication": _sanm_replication,
    "leaderboard": _leaderboard,
    "detection/index": _detection,
}


def plan(page: str, profile: str, **overrides: Any) -> list[Planned]:
    """The runs of ``page`` at ``profile`` in priority order: by tier, then as declared."""
    S = settings(page, profile, **overrides)
    return sorted(BUILDERS[page](page, profile, S), key=lambda p: p.tier)   # stable within a tier


def unique(runs: list[Planned]) -> list[Planned]:
    """``runs`` with each config once (two pages may plan the same run): the first keeps its place,
    its tier is the best of both and it keeps what any of them keeps."""
    by_id: dict[str, Planned] = {}
    for p in runs:
        q = by_id.get(p.run_id)
        by_id[p.run_id] = p if q is None else replace(
            q, tier=min(q.tier, p.tier), per_sample=q.per_sample or p.per_sample,
            keep_state=q.keep_state or p.keep_state, extras=tuple(dict.fromkeys(q.extras + p.extras)))
    return sorted(by_id.values(), key=lambda p: p.tier)


def pages() -> list[str]:
    """Every page with a plan, in book order."""
    return list(BUILDERS)


def pages_of(selection: str) -> list[str]:
    """Pages named by a comma-separated list of pages (``mixnn/replication``) or parts (``mixnn``);
    ``all`` names every page."""
    if selection.strip() == "all":
        return pages()
    out = []
    for name in (s.strip().strip("/") for s in selection.split(",") if s.strip()):
        hits = [p for p in BUILDERS if p == name or p.split("/")[0] == name]
        if not hits:
            raise ValueError(f"No page or part '{name}' has a plan; choose from: "
                             f"{', '.join(sorted(set(p.split('/')[0] for p in BUILDERS) | set(BUILDERS)))}.")
        out += [p for p in hits if p not in out]
    return out
