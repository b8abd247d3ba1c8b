"""lnl: learning with noisy labels, the library under the book.

One module per concern: :mod:`lnl.data` (data sets), :mod:`lnl.noise` (noise models),
:mod:`lnl.models` (networks), :mod:`lnl.engine` (the training loop and its hooks),
:mod:`lnl.runner` (a run by its config: the engine handed the method the config names),
:mod:`lnl.gmm` (clean probability from per-sample losses), :mod:`lnl.knn` (nearest neighbours),
:mod:`lnl.records` (run records), :mod:`lnl.methods` (one module per paper or baseline),
:mod:`lnl.sources` and :mod:`lnl.provenance` (where each setting comes from),
:mod:`lnl.cli` (the ``lnl`` command), and for the book :mod:`lnl.book` and :mod:`lnl.plot`.
"""

__version__ = "0.1.0"
