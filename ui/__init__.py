"""The PySide6 face of congress-desktop (乡镇人大工作台).

Importing this package must not import Qt: the launcher (``ui.launcher``) hands subcommands to the
headless core without loading PySide6. Only services (the area services (``congress_desktop.<area>.service`` and friends)) are called from
here, never the storage layer.
"""
