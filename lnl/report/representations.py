"""What a trained network holds beyond its accuracy: features, meta weights and where it looks.

:func:`trained_features` reads (or computes) a finished run's penultimate features, and
:func:`clean_cluster_score` / :func:`clean_cluster_of` measure how tightly the clean samples cluster
by class (ALR's Fig. 5 as a number). :func:`meta_weights` and :func:`relabel_breakdown` read IEG's meta
step over a run; :func:`activation_focus` and :func:`focus_table` measure SANM's Figure 1, the share
of activation mass in the image's centre.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np

from lnl.extras import meta_weights, read_extras, write_extras  # noqa: F401  (meta_weights: re-exported)


def trained_features(record_path: str | Path) -> dict[str, np.ndarray]:
    """Penultimate features of a fixed sample of a finished run's training images, on their first
    principal components, with their given and true labels: the run's ``extras`` as a GPU campaign
    brings them back (:func:`lnl.extras.write_extras`), computed here from its kept state when
    they are not there yet."""
    extras = read_extras(record_path)
    if extras is None or "features" not in extras:
        write_extras(record_path, ["features"])
        extras = read_extras(record_path)
    return {"features": extras["features"].astype(np.float32), "given": extras["given"][extras["feature_idx"]],
            "true": extras["true"][extras["feature_idx"]], "idx": extras["feature_idx"]}


def clean_cluster_of(record: Mapping[str, Any], folder: str | Path) -> float:
    """:func:`clean_cluster_score` of a finished run whose record (and kept state or extras) is in
    ``folder``, drawn with the run's seed."""
    features = trained_features(Path(folder) / f"{record['run_id']}.json")
    return clean_cluster_score(features, seed=record["config"]["seed"])


def clean_cluster_score(features: Mapping[str, np.ndarray], seed: int = 0, points: int | None = 2000) -> float:
    """How tightly the *clean* training samples cluster by class in feature space (ALR's Fig. 5 as
    a number): the silhouette score (Euclidean, −1 to 1, higher is tighter and better separated)
    of the correctly labelled samples among ``features`` (:func:`trained_features`), grouped by
    their label; at most ``points`` of them, drawn with ``seed``."""
    from sklearn.metrics import silhouette_score

    clean = np.flatnonzero(features["given"] == features["true"])
    if points is not None and len(clean) > points:
        clean = np.sort(np.random.default_rng(seed).choice(clean, points, replace=False))
    return float(silhouette_score(features["features"][clean], features["true"][clean]))


def relabel_breakdown(weights: Mapping[str, np.ndarray]):
    """What IEG's meta re-labelling did with each group of training samples at its last step, from
    :func:`meta_weights`: per group (``clean``, ``mislabelled``) the number of samples, the share
    whose λ* kept the given label (λ* = 1), the share whose pseudo label g is the true label, and
    the share whose target ỹ of L_λ* (eq. 5: the given label where λ* = 1, else g) is the true
    label. For mislabelled samples the last is the share of wrong labels repaired."""
    import pandas as pd

    lam, pseudo = np.asarray(weights["lam"]), np.asarray(weights["pseudo"])
    given, true = np.asarray(weights["given"]), np.asarray(weights["true"])
    if not (lam.shape == pseudo.shape == given.shape == true.shape):
        raise ValueError(f"lam, pseudo, given and true must have one length, got {lam.size}, {pseudo.size}, "
                         f"{given.size} and {true.size}.")
    target = np.where(lam > 0, given, pseudo)
    shares = {"λ* keeps the given label": lam > 0, "pseudo label g is true": pseudo == true,
              "target ỹ is true": target == true}
    rows = {}
    for group, mask in (("clean", given == true), ("mislabelled", given != true)):
        n = int(mask.sum())
        rows[group] = {"samples": n, **{name: float(hit[mask].mean()) if n else float("nan")
                                        for name, hit in shares.items()}}
    return pd.DataFrame.from_dict(rows, orient="index")


def activation_focus(net, x, y, form: str = "cam", centre: float = 0.5) -> dict[str, np.ndarray]:
    """The paper's Figure 1 as numbers: for images ``x`` with true labels ``y``, each image's share of
    activation mass in the central box (:func:`lnl.walkthrough.sanm.centre_share`, of the predicted
    class's map: ``form`` as :func:`lnl.methods.sanm.activation_map`) and whether the network
    (eval mode) predicts it right. Returns ``{"share", "correct"}`` arrays ``[B]``."""
    import torch

    from lnl.engine import eval_mode
    from lnl.methods.sanm import activation_map
    from lnl.walkthrough.sanm import centre_share

    with eval_mode(net):
        with torch.no_grad():
            out = net(x, features=True)
        share = centre_share(activation_map(net, out, form), tuple(x.shape[-2:]), centre)
    correct = out.logits.argmax(1).cpu() == torch.as_tensor(y).cpu()
    return {"share": share.cpu().numpy(), "correct": correct.numpy()}


def focus_table(networks: Mapping[str, Any], x, y, form: str = "cam", centre: float = 0.5):
    """One row per network (``{name: net}``): the mean central share of activation mass over all
    images, over those it predicts right and over those it predicts wrong, and its accuracy on them."""
    import pandas as pd

    rows = []
    for name, net in networks.items():
        f = activation_focus(net, x, y, form, centre)
        s, ok = f["share"], f["correct"]
        rows.append({"network": name, "central share": s.mean(),
                     "right": s[ok].mean() if ok.any() else float("nan"),
                     "wrong": s[~ok].mean() if (~ok).any() else float("nan"), "accuracy": ok.mean()})
    return pd.DataFrame(rows).set_index("network")
