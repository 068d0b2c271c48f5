"""Where the data lives: platformdirs' user data folder, overridden by CONGRESS_DATA_DIR or --data-dir;
the user's cache folder for throw-away copies."""

from __future__ import annotations

import os
from pathlib import Path

from congress_desktop import APP_ID

DB_FILENAME = "congress.sqlite3"


def data_dir(override: str | os.PathLike | None = None) -> Path:
    if override:
        return Path(override).expanduser().resolve()
    env = os.environ.get("CONGRESS_DATA_DIR")
    if env:
        return Path(env).expanduser().resolve()
    return default_data_dir()


def default_data_dir() -> Path:
    """The local per-user folder (also where a database found on a network share is moved to)."""
    from platformdirs import user_data_dir  # here, not at the top: only this path needs it (start-up)

    # appauthor=False: no extra vendor folder on Windows (%LOCALAPPDATA%\congress-desktop).
    return Path(user_data_dir(APP_ID, appauthor=False, roaming=False))


def cache_dir() -> Path:
    """The user's own cache folder (not the data folder: nothing here needs a backup)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir(APP_ID, appauthor=False))


def db_path(folder: Path) -> Path:
    return folder / DB_FILENAME


def log_dir(folder: Path) -> Path:
    return folder / "logs"
