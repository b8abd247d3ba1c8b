"""The book's profiles, defined once: how much a page computes, and on what.

=========  ==========================================================================
``smoke``  seconds per notebook: digits or tiny subsets; what CI executes
``cpu``    minutes per notebook on 2 cores: Fashion-MNIST, the CIFAR-10 copy with a small net
``gpu``    CIFAR-10/100 with a reduced schedule, minutes per run on one H100 (lnl.campaign estimates them)
``paper``  the paper's exact protocol
=========  ==========================================================================

In increasing order of cost and fidelity. ``lnl.plans`` declares each page's runs at each of them,
``lnl.book`` resolves ``auto`` to one of them, ``scripts/build_book.py`` builds the book at one.
"""

PROFILES = ("smoke", "cpu", "gpu", "paper")
HARDWARE = {            # what each profile is sized for, as a page's banner says it
    "smoke": "any CPU, seconds",
    "cpu": "2 CPU cores, minutes",
    "gpu": "one GPU (H100 class), minutes per run",
    "paper": "one GPU, hours per run",
}
