"""``python -m pykernels ...``: the ``pykernels`` command (handy with a source tree on PYTHONPATH)."""
import sys

from pykernels.cli import main

sys.exit(main())
