import sys

from lnl.cli import main

sys.exit(main())
