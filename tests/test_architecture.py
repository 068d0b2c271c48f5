"""The layering holds: the core never imports Qt or the GUI; the GUI never touches the storage layer;
core/ imports no area; an area's rules import only core's plain helpers and other areas' rules.

Two independent checks: import-linter's contracts from pyproject.toml, and a plain scan of every
import statement (so a turned arrow fails even if the linter's configuration is changed)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CORE_MUST_NOT = ("PySide6", "shiboken6", "ui")
GUI_MUST_NOT = ("congress_desktop.core.store", "sqlalchemy", "alembic")
AREAS = ("deputies", "places", "visits", "grids", "votes", "duty", "sync", "backups")
CORE_NEVER = tuple(f"congress_desktop.{a}" for a in (*AREAS, "demo", "commands", "cli"))
# the pure rules of each area: integers, strings and reasons, no database, no files
RULES = ("deputies/rules.py", "places/rules.py", "visits/rules.py", "visits/opinion_rules.py", "grids/rules.py",
         "votes/tally.py", "votes/rules.py", "votes/vocab.py", "duty/rules.py")
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


def layer_contracts() -> list[dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]


def _level_of(level: dict[str, int], mod: str) -> int | None:
    for m, i in level.items():
        if mod == m or mod.startswith(m + "."):
            return i
    return None


def layer_breaks(contract: dict) -> list[str]:
    """Every import by which a module of a lower layer reaches a module of a higher one (the scan's own
    reading of an import-linter ``layers`` contract; siblings joined by ':' or '|' may import each other)."""
    found = []
    for container in contract["containers"]:
        folder = ROOT / container.replace(".", "/")
        level = {}
        for i, layer in enumerate(contract["layers"]):
            for name in layer.replace("|", ":").split(":"):
                level[f"{container}.{name.strip()}"] = i  # 0 is the top
        for path in sorted(folder.rglob("*.py")):
            mine = _level_of(level, module_name(path))
            if mine is None:
                continue
            for line, mod in imports_of(path):
                theirs = _level_of(level, mod)
                if theirs is not None and theirs < mine:
                    found.append(f"{path.relative_to(ROOT)}:{line} imports {mod}")
    return found


def test_every_area_and_the_core_has_its_layers():
    named = {c for contract in layer_contracts() for c in contract["containers"]}
    assert named == {f"congress_desktop.{a}" for a in (*AREAS, "core")}


@pytest.mark.parametrize("contract", layer_contracts(), ids=lambda c: c["containers"][0])
def test_no_lower_layer_imports_a_higher_one(contract):
    assert layer_breaks(contract) == []


def test_the_layer_scan_sees_a_turned_arrow(tmp_path, monkeypatch):
    area = tmp_path / "congress_desktop" / "grids"
    area.mkdir(parents=True)
    (area / "rules.py").write_text("from congress_desktop.grids.service import assign\n")
    (area / "service.py").write_text("from congress_desktop.grids import rules\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    contract = {"containers": ["congress_desktop.grids"], "layers": ["service", "rules"]}
    assert layer_breaks(contract) == ["congress_desktop/grids/rules.py:1 imports congress_desktop.grids.service",
                                      "congress_desktop/grids/rules.py:1 imports congress_desktop.grids.service.assign"]
