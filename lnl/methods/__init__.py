"""One file per method, each reading like its paper's Algorithm box.

``METHODS`` maps the name used by ``lnl run --method`` to the method class.
"""

from lnl.methods.ce import CE
from lnl.methods.mixnn import MixNN
from lnl.methods.mixup import Mixup

METHODS = {"ce": CE, "mixup": Mixup, "mixnn": MixNN}

__all__ = ["METHODS", "CE", "Mixup", "MixNN"]
