"""The program's data files (fonts, icons, styles, help), found beside this module both in a source
checkout and in the frozen build (build_scripts/congress_desktop.spec collects them beside it)."""

from pathlib import Path

FOLDER = Path(__file__).resolve().parent


def path(*parts: str) -> Path:
    """resources.path("fonts", "wqy-microhei.ttc"): a plain file path (cheaper at start-up than
    importlib.resources, which the window would otherwise load before its first paint)."""
    return FOLDER.joinpath(*parts)
