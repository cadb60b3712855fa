"""The import graph of the project's packages: who imports whom, and the cycles.

``python -m kalytera.import_graph`` prints one line per package with the packages it
imports, then every cycle (none, when the layers point one way: apps import
``kalytera``, ``kalytera`` imports no app). Read from the source with ``ast``, so imports
inside functions count too, and nothing is imported to draw the graph. Migrations and
tests are left out: they are not layers.
"""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "kalytera"
SKIPPED_DIRECTORIES = {"migrations", "tests", "__pycache__"}


def packages(root: Path = ROOT) -> list[str]:
    """The project package and the apps: top-level directories with an ``apps.py``."""
    return sorted(path.parent.name for path in root.glob("*/apps.py"))


def _imported_names(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def graph(root: Path = ROOT) -> dict[str, set[str]]:
    """For each package, the other project packages its modules import."""
    known = set(packages(root))
    edges: dict[str, set[str]] = {name: set() for name in known}
    for name in known:
        for path in (root / name).rglob("*.py"):
            if SKIPPED_DIRECTORIES & set(path.relative_to(root).parts):
                continue
            for module in _imported_names(path.read_text()):
                target = module.split(".")[0]
                if target in known and target != name:
                    edges[name].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every elementary cycle, each once, starting from its smallest name."""
    found: list[list[str]] = []

    def walk(start: str, node: str, path: list[str]) -> None:
        for nxt in sorted(edges.get(node, ())):
            if nxt == start:
                found.append([*path, start])
            elif nxt > start and nxt not in path:
                walk(start, nxt, [*path, nxt])

    for start in sorted(edges):
        walk(start, start, [start])
    return found


def main() -> int:
    edges = graph()
    for name in sorted(edges):
        print(f"{name} -> {', '.join(sorted(edges[name])) or '(nothing)'}")
    found = cycles(edges)
    for cycle in found:
        print("cycle: " + " -> ".join(cycle))
    if not found:
        print("no cycles")
    return 1 if found or edges.get(PROJECT) else 0


if __name__ == "__main__":
    sys.exit(main())
