"""What is computed from a trained network before its weights go.

A GPU slot sends back records and a few small files, never weights. So a campaign (and anything
else that trains where the weights cannot stay) computes at the end of each run what a page needs
from the trained network (:func:`write_extras`: a feature sample, the corrected labels, IEG's meta
weights, a method's clean scores, held-out probabilities) and keeps per-sample losses at half their
bytes (:func:`shrink_per_sample`), then deletes the trained state (:func:`execute`). Pages read the extras back with :func:`read_extras`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import numpy as np

from lnl import records

FEATURE_SAMPLE = 5000             # extras "features": this many training samples ...
FEATURE_DIMS = 64                 # ... projected on their first principal components (t-SNE input)


def execute(planned: Any, work: str | Path) -> dict[str, Any]:
    """Train ``planned`` into ``work/<part>/`` (resuming a checkpoint there), write its extras and
    a float16 copy of its per-sample losses, and delete its trained state and checkpoint."""
    from lnl import runner

    out = Path(work) / planned.part
    keep = planned.keep_state or bool(planned.extras)
    rec = runner.run(planned.config, out=out, resume=True, per_sample=planned.per_sample, keep_state=keep,
                     progress=False)
    path = out / f"{rec['run_id']}.json"
    if planned.extras:
        write_extras(path, planned.extras)
    if planned.per_sample:
        shrink_per_sample(path.with_suffix(".npz"))
    if keep:
        path.with_suffix(".state.pt").unlink(missing_ok=True)
        rec.pop("state_file", None)
        records.write_json_atomic(path, rec)
    return rec


def write_extras(record_path: str | Path, extras: Iterable[str]) -> Path:
    """``<run-id>.extras.npz`` beside the record, from its trained state:

    - ``features``: a fixed sample of :data:`FEATURE_SAMPLE` training samples (``feature_idx``),
      their penultimate features projected on the first :data:`FEATURE_DIMS` principal components
      (``features``, float16), with their given and true labels;
    - ``soft_labels``: the method's soft labels ``t`` as their argmax and max (MixNN's eq. 14);
    - ``weights``: IEG's meta step, :func:`meta_weights` (ω*·B of every sample after each
      epoch, the last λ* and pseudo label);
    - ``scores``: the method's clean ``score`` of every training sample, its ``predicted`` class and
      ``p_clean`` where it has one (:func:`lnl.detect.method_scores`);
    - ``heldout_probs``: a cross-validation run's predicted probabilities of its held-out fold
      (:func:`lnl.detect.fold_probs`).
    """
    import torch

    from lnl import runner

    record_path = Path(record_path)
    r = runner.restore(record_path)
    arrays: dict[str, np.ndarray] = {"given": np.asarray(r.prep.labels), "true": np.asarray(r.prep.true)}
    extras = set(extras)
    if "features" in extras:
        _, emb = r.ctx.train_features(r.method.net)
        pick = np.sort(np.random.default_rng(0).permutation(len(emb))[:FEATURE_SAMPLE])
        x = emb[torch.as_tensor(pick, device=emb.device)].float()
        x = x - x.mean(0)
        q = min(FEATURE_DIMS, *x.shape)
        _, _, v = torch.linalg.svd(x, full_matrices=False)
        arrays["feature_idx"] = pick
        arrays["features"] = (x @ v[:q].T).cpu().numpy().astype(np.float16)
    if "soft_labels" in extras:
        t = getattr(r.method, "t", None)
        if t is None:
            raise ValueError(f"{record_path.name}: the method keeps no soft labels t.")
        arrays["t_argmax"] = t.argmax(1).cpu().numpy().astype(np.int16)
        arrays["t_max"] = t.max(1).values.float().cpu().numpy().astype(np.float16)
    if "scores" in extras:                   # the method's clean score of every training sample (lnl detect)
        from lnl.detect import method_scores

        mine = method_scores(r)
        arrays["score"] = mine["score"].astype(np.float32)
        arrays["predicted"] = mine["probs"].argmax(1).astype(np.int16)
        if mine["p_clean"] is not None:
            arrays["p_clean"] = np.asarray(mine["p_clean"], dtype=np.float32)
    if "heldout_probs" in extras:            # a fold run's out-of-sample probabilities (cleanlab's input)
        from lnl.detect import fold_probs

        arrays["heldout_probs"] = fold_probs(r).astype(np.float32)
    if "weights" in extras:
        arrays.update({k: v for k, v in meta_weights(r).items() if k not in arrays})
    out = record_path.with_name(f"{record_path.stem}.extras.npz")
    with records.atomic_path(out) as tmp:
        np.savez_compressed(tmp, **arrays)
    return out


def read_extras(record_path: str | Path) -> dict[str, np.ndarray] | None:
    path = Path(record_path)
    path = path.with_name(f"{path.stem}.extras.npz")
    if not path.exists():
        return None
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def shrink_per_sample(npz: Path) -> None:
    """Per-sample losses as float16: half the bytes, far below what a GMM fit can tell apart."""
    with np.load(npz) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["loss"] = arrays["loss"].astype(np.float16)
    with records.atomic_path(npz) as tmp:
        np.savez_compressed(tmp, **arrays)


def meta_weights(source: Any) -> dict[str, np.ndarray]:
    """IEG's meta step over a finished run: ``omega_trace [E, N]`` (ω*·B of every training sample
    after each epoch; 1 is the uniform weight 1/B), the last ``lam`` (λ*) and ``pseudo`` (the
    pseudo label's arg-max), with the ``given`` and ``true`` labels. ``source`` is a restored run
    (:func:`lnl.runner.restore`) or the path of a record whose kept state, or whose campaign extras
    (:func:`write_extras`), hold them."""
    from lnl import runner

    if isinstance(source, (str, Path)):
        extras = read_extras(source)
        if extras is not None and "omega_trace" in extras:
            return {k: extras[k] for k in ("omega_trace", "lam", "pseudo", "given", "true")}
        source = runner.restore(source)
    m = source.method
    if not hasattr(m, "omega_trace"):
        raise ValueError(f"Run {source.record['run_id']} is not an IEG run: it keeps no meta-step weights.")
    return {"omega_trace": m.omega_trace.float().cpu().numpy().astype(np.float16),
            "lam": m.lam.cpu().numpy().astype(np.int8), "pseudo": m.pseudo.cpu().numpy().astype(np.int16),
            "given": np.asarray(source.prep.labels), "true": np.asarray(source.prep.true)}
