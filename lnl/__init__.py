"""lnl: learning with noisy labels, the library under the book.

One module per concern: :mod:`lnl.data` (data sets), :mod:`lnl.noise` (noise models),
:mod:`lnl.models` (networks), :mod:`lnl.engine` (the training loop and its hooks),
:mod:`lnl.gmm` (clean probability from per-sample losses), :mod:`lnl.knn` (nearest neighbours),
:mod:`lnl.records` (run records), :mod:`lnl.methods` (one file per paper or baseline),
:mod:`lnl.cli` (the ``lnl`` command), and for the book :mod:`lnl.book` and :mod:`lnl.plot`.
"""

__version__ = "0.1.0"
