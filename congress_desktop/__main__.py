import sys

from congress_desktop.cli import main

sys.exit(main())
