"""The shape of the code: core imports no domain, and no two modules import each other.

Checked by reading the source (every import statement, including those inside functions), so
a loop or a reach into a domain is caught before anyone has to untangle it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ENGAGE = Path(__file__).resolve().parents[2] / "engage"
DOMAINS = sorted(
    p.name
    for p in ENGAGE.iterdir()
    if (p / "__init__.py").exists() and p.name not in {"core", "migrations"}
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ENGAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The engage modules ``path`` imports, at any depth of the file."""
    found = set()
    package = (
        _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    )
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1]
                    + ([base] if base else [])
                )
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "engage" or name.startswith("engage.")}


MODULES = {_module_name(p): p for p in ENGAGE.rglob("*.py") if "migrations" not in p.parts}
GRAPH = {
    name: {target for target in _imports(path) if target in MODULES and target != name}
    for name, path in MODULES.items()
}


def test_core_imports_no_domain():
    reaching = {
        (name, target)
        for name, targets in GRAPH.items()
        if name.startswith("engage.core")
        for target in targets
        if target.split(".")[1] in DOMAINS
    }
    assert not reaching, f"core must not import a domain: {sorted(reaching)}"


@pytest.mark.parametrize("domain", ["payments"])
def test_a_domain_imports_only_core_and_people(domain: str):
    reaching = {
        (name, target)
        for name, targets in GRAPH.items()
        if name.split(".")[1:2] == [domain]
        for target in targets
        if target.split(".")[1] in DOMAINS and target.split(".")[1] not in {domain, "people"}
    }
    assert not reaching, f"{domain} reaches into other domains: {sorted(reaching)}"


def test_no_two_modules_import_each_other():
    """No loop among modules. A package importing its own modules at the bottom of its
    ``__init__`` (so their routes register on its blueprint) is how Flask blueprints work, and
    is left out."""

    def edges(name: str) -> set[str]:
        return {t for t in GRAPH[name] if not t.startswith(name + ".") and t != "engage"}

    loops = []
    for start in GRAPH:
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for target in edges(node):
                if target == start:
                    loops.append(path + [target])
                elif target not in seen:
                    seen.add(target)
                    stack.append((target, path + [target]))
    assert not loops, f"import loops: {loops[:5]}"
