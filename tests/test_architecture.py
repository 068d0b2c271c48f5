"""The layering holds: the core never imports Qt or the GUI; the GUI never touches the storage layer;
core/ imports no area; an area's rules import only core's plain helpers and other areas' rules.

Two independent checks: import-linter's contracts from pyproject.toml, and a plain scan of every
import statement (so a turned arrow fails even if the linter's configuration is changed)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CORE_MUST_NOT = ("PySide6", "shiboken6", "ui")
GUI_MUST_NOT = ("congress_desktop.core.store", "sqlalchemy", "alembic")
AREAS = ("deputies", "places", "visits", "grids", "votes", "duty", "sync", "backups")
CORE_NEVER = tuple(f"congress_desktop.{a}" for a in (*AREAS, "demo", "commands", "cli"))
# the pure rules of each area: integers, strings and reasons, no database, no files
RULES = ("deputies/rules.py", "places/rules.py", "visits/rules.py", "visits/opinion_rules.py", "grids/rules.py",
         "votes/tally.py", "duty/rules.py")
RULES_MUST_NOT = ("congress_desktop.core.store", "congress_desktop.core.context", "sqlalchemy", "PySide6", "ui",
                  *(f"congress_desktop.{a}.{m}" for a in AREAS
                    for m in ("service", "records", "evaluation", "opinions", "report", "importing", "printing")))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, *, top_level_only: bool = False) -> list[tuple[int, str]]:
    """(line, absolute module) for every import in the file; relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    nodes = tree.body if top_level_only else ast.walk(tree)
    out = []
    for node in nodes:
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.append((node.lineno, mod))
            out += [(node.lineno, f"{mod}.{a.name}") for a in node.names]  # from x import store
    return out


def violations(folder: str, forbidden: tuple[str, ...], *, top_level_only: bool = False) -> list[str]:
    found: dict[str, str] = {}  # one report per import statement
    where = ROOT / folder
    for path in sorted(where.rglob("*.py")) if where.is_dir() else [where]:
        for line, mod in imports_of(path, top_level_only=top_level_only):
            if any(mod == f or mod.startswith(f + ".") for f in forbidden):
                found.setdefault(f"{path.relative_to(ROOT)}:{line}", mod)
    return [f"{where} imports {mod}" for where, mod in found.items()]


def test_core_never_imports_qt_or_the_gui():
    assert violations("congress_desktop", CORE_MUST_NOT) == []


def test_gui_never_imports_the_storage_layer():
    assert violations("ui", GUI_MUST_NOT) == []


def test_core_imports_no_area():
    assert violations("congress_desktop/core", CORE_NEVER) == []


@pytest.mark.parametrize("rules", RULES)
def test_an_areas_rules_import_only_plain_helpers_and_other_rules(rules):
    assert violations(f"congress_desktop/{rules}", RULES_MUST_NOT) == []


def test_launcher_loads_qt_only_when_needed():
    """The command-line path must work without Qt: no module-level Qt import in ui/__init__ or the launcher."""
    for name in ("ui/__init__.py", "ui/launcher.py"):
        bad = [m for _, m in imports_of(ROOT / name, top_level_only=True) if m.split(".")[0] in ("PySide6", "shiboken6")]
        assert bad == [], f"{name} imports {bad} at module level"


def test_scan_catches_a_turned_arrow(tmp_path, monkeypatch):
    """The scanner itself works: an import of the store from ui/ is found."""
    fake = tmp_path / "ui" / "pages"
    fake.mkdir(parents=True)
    (fake / "bad.py").write_text("from congress_desktop.core import store\nfrom sqlalchemy import select\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert len(violations("ui", GUI_MUST_NOT)) == 2


def test_import_linter_contracts_pass():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("import-linter is not installed (pip install -e .[dev])")
    r = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, encoding="utf-8",
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "broken" not in r.stdout.lower().replace("0 broken", "")
