"""congress-desktop (乡镇人大工作台): the headless core.

Nothing under this package imports Qt; the GUI in ``ui/`` calls the area services (``congress_desktop.<area>.service`` and friends).
"""

__version__ = "0.1.0"
APP_NAME = "乡镇人大工作台"
APP_ID = "congress-desktop"
