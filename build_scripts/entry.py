"""Frozen entry point: the same launcher as the console script."""

import os
import sys

if os.environ.get("CONGRESS_REPORT_SHOWN") == "1" and sys.stdout is not None:  # start-up benchmarks
    import time

    print(f"PHASE entry {time.time():.6f}", flush=True)

from ui.launcher import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
