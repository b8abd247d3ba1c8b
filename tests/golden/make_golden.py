"""Write ``engine_records.json``: the records that CE, Mixup and MixNN must keep, bit for bit, through
changes to the engine (``tests/test_engine.py::test_records_are_bit_identical_to_the_golden_ones``).

    python -m tests.golden.make_golden          # only after a change that is meant to alter records

The runs are tiny (digits, an MLP, a few epochs) but take every path a record depends on: the data
set's crop and flip (switched on for digits here), shuffling, dropped last batches, Mixup's draws,
MixNN's warm-up, GMM, kNN and label correction in both variants, and per-sample losses.
"""

from __future__ import annotations

import functools
import hashlib
import json
import platform
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from lnl import data as lnl_data
from lnl import runner
from lnl.engine import RunConfig

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "engine_records.json"

BASE = dict(dataset="digits", noise="symmetric", rate=0.4, epochs=4, batch_size=64, lr=0.05, seed=0,
            device="cpu")
MIXNN = dict(warmup=1, e_s=3, K=1, knn_backend="exact")
CASES = {
    "ce": RunConfig(method="ce", **BASE),
    "mixup": RunConfig(method="mixup", **BASE),
    "mixnn-paper": RunConfig(method="mixnn", **BASE, method_params=MIXNN),
    "mixnn-code": RunConfig(method="mixnn", **BASE, method_params={**MIXNN, "variant": "code", "t_every": 1}),
}


def digits_with_crop_and_flip() -> lnl_data.Dataset:
    return replace(lnl_data.load("digits"), augment=("crop", "flip"))


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@functools.lru_cache(maxsize=None)
def arithmetic() -> str:
    """A fingerprint of this machine's float arithmetic on one thread, as the smoke runs use it: a
    hash of a matrix product, a convolution and its gradient, and elementwise exp and tanh, with
    torch's version. The BLAS and convolution kernels a processor selects (or the environment
    forces: ``ONEDNN_MAX_CPU_ISA``, ``MKL_CBWR``, ``ATEN_CPU_CAPABILITY``) change these in the last
    bits, and a trained network's numbers with them; two machines with the same fingerprint train
    the same numbers bit for bit, so the golden tests are exact only there."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        g = torch.Generator().manual_seed(0)
        a, b = torch.randn(257, 513, generator=g), torch.randn(513, 129, generator=g)
        x, w = torch.randn(8, 3, 32, 32, generator=g), torch.randn(16, 3, 3, 3, generator=g, requires_grad=True)
        y = torch.nn.functional.conv2d(x, w)
        (gw,) = torch.autograd.grad((y * y).sum(), w)
        parts = [a @ b, y.detach(), gw, torch.exp(a * 0.1), torch.tanh(a)]
        digest = hashlib.sha256(b"".join(p.contiguous().numpy().tobytes() for p in parts)).hexdigest()[:16]
    finally:
        torch.set_num_threads(threads)
    return f"torch {torch.__version__}, {digest}"


def essence(record: dict, folder: Path) -> dict:
    """What must not change: history, summary (less wall time), noise, and the per-sample losses."""
    out = {"run_id": record["run_id"], "history": record["history"], "noise": record["noise"],
           "summary": {k: v for k, v in record["summary"].items() if k != "wall_time_s"}}
    if record.get("per_sample_file"):
        loss = np.load(folder / record["per_sample_file"])["loss"]
        out["per_sample_sha256"] = hashlib.sha256(np.ascontiguousarray(loss).tobytes()).hexdigest()
    return json.loads(json.dumps(out))


def compute() -> dict:
    torch.set_num_threads(1)
    ds = digits_with_crop_and_flip()
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, cfg in CASES.items():
            rec = runner.run(cfg, out=tmp, dataset=ds, per_sample=True, progress=False)
            out[name] = essence(rec, Path(tmp))
    return out


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps({"cpu": cpu_model(), "torch": torch.__version__, "arithmetic": arithmetic(),
                                  "records": compute()}, indent=1) + "\n")
    print(f"wrote {GOLDEN}")
