"""Layers that point one way: no module imports from a layer above its own (README, "How it works").

Read from the source with `ast`, so an import hidden inside a function (the lazy imports that keep
an idle run light) counts too; only `if TYPE_CHECKING:` blocks are left out, since they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import syndicate

SRC = Path(syndicate.__file__).parent

# Bottom to top. A module may import from its own layer and the ones before it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("syndicate", "__init__", "model", "errors", "settings", "jsonplan", "_terminal", "netguard"),  # the shared vocabulary
    ("compose", "watch"),  # pure composition; feeds to Dispatch
    ("config",),  # TOML to settings (checks templates with compose)
    ("store", "store_postgres"),  # the state (SQLite; PostgreSQL for several hosts)
    ("platforms",),  # one adapter per network, behind platforms/base.py
    ("delivery", "audience"),  # intake, outbox, engine, budget, opening publishers; snapshots and replies
    ("commands", "preview"),  # what each command does; renderers of a plan
    ("cli", "__main__"),  # argument parsing
)
RANK = {name: i for i, names in enumerate(LAYERS) for name in names}


def _unit(module: str) -> str:
    """The layer unit of a dotted module name: syndicate.delivery.engine -> delivery."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _imports(tree: ast.Module) -> list[tuple[int, str]]:
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_only.update(id(n) for child in node.body for n in ast.walk(child))
    found = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return [(line, name) for line, name in found if name == "syndicate" or name.startswith("syndicate.")]


def test_every_module_belongs_to_a_layer() -> None:
    units = {_unit(".".join(("syndicate", *p.relative_to(SRC).with_suffix("").parts))) for p in SRC.rglob("*.py")}
    assert units - set(RANK) == set()


def test_imports_point_down_only() -> None:
    upward = []
    for path in sorted(SRC.rglob("*.py")):
        module = ".".join(("syndicate", *path.relative_to(SRC).with_suffix("").parts))
        here = RANK[_unit(module)]
        for line, imported in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if RANK[_unit(imported)] > here:
                upward.append(f"{path.relative_to(SRC)}:{line} imports {imported}")
    assert upward == []
