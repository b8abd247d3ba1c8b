"""One file per method, each reading like its paper's Algorithm box.

``METHODS`` maps the name used by ``lnl run --method`` to the method class. It is the one list of
methods: ``lnl run --help``, the campaigns' estimates and the book's colours read each class's
``summary``, ``cost`` and ``colour`` (:class:`lnl.engine.Method`) from it.
"""

from lnl.methods.alr import ALR
from lnl.methods.ce import CE
from lnl.methods.coteaching import Coteaching
from lnl.methods.dividemix import DivideMix
from lnl.methods.elr import ELR
from lnl.methods.ieg import IEG
from lnl.methods.mixnn import MixNN
from lnl.methods.mixup import Mixup
from lnl.methods.sanm import with_sanm

METHODS = {"ce": CE, "mixup": Mixup, "mixnn": MixNN, "coteaching": Coteaching, "elr": ELR,
           "dividemix": DivideMix, "alr": ALR, "ieg": IEG,
           "sanm-ce": with_sanm(CE), "sanm-dividemix": with_sanm(DivideMix),   # SANM plugged into a host
           "sanm-coteaching": with_sanm(Coteaching), "sanm-elr": with_sanm(ELR)}

__all__ = ["METHODS", "ALR", "CE", "Coteaching", "DivideMix", "ELR", "IEG", "Mixup", "MixNN"]
