"""Explicit randomness: every draw takes a generator derived from (run seed, purpose).

Nothing in ``lnl`` uses the global ``random``/``np.random`` state. A purpose is a short string
(``"noise"``, ``"order"``, ``"augment"``, ``"mixup"``) plus, where the draw repeats, the epoch, so
that an epoch's randomness depends only on the seed and the epoch number. That is what makes a
resumed run identical to an uninterrupted one without saving generator states.
"""

from __future__ import annotations

import hashlib

import numpy as np
import torch


def derive_seed(seed: int, *purpose: object) -> int:
    """A 63-bit seed from the run seed and a purpose, stable across processes and platforms."""
    text = "/".join([str(int(seed)), *map(str, purpose)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> 1


def torch_generator(seed: int, *purpose: object, device: str | torch.device = "cpu") -> torch.Generator:
    """A ``torch.Generator`` on ``device`` seeded from ``(seed, *purpose)``."""
    g = torch.Generator(device=device)
    g.manual_seed(derive_seed(seed, *purpose))
    return g


def numpy_generator(seed: int, *purpose: object) -> np.random.Generator:
    """A ``numpy.random.Generator`` seeded from ``(seed, *purpose)``."""
    return np.random.default_rng(derive_seed(seed, *purpose))
