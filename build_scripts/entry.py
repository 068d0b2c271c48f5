"""Frozen entry point: the same launcher as the console script."""

import sys

from ui.launcher import main

if __name__ == "__main__":
    sys.exit(main())
