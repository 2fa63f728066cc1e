"""The tree shows the pipeline: stage packages, no import circles, thin CLI and web layers over the public API."""

from __future__ import annotations

import ast
from pathlib import Path

import podrender

PACKAGE = Path(podrender.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, *, type_checking: bool = False) -> set[str]:
    """podrender modules `path` imports, anywhere in it (functions too); TYPE_CHECKING blocks only if asked."""
    tree = ast.parse(path.read_text())
    skip: set[int] = set()
    if not type_checking:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("podrender"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("podrender"))
    return found


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def test_no_import_circles() -> None:
    modules = all_modules()
    graph = {name: {m for m in imports(path) if m in modules and m != name} for name, path in modules.items()}
    graph.pop("podrender")  # the public API: every name is loaded lazily, by __getattr__
    for name in graph:
        graph[name].discard("podrender")
    circles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert circles == []


def test_at_most_ten_modules_sit_directly_in_the_package() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 10, top
    stages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert {"input", "speech", "engines", "audio", "runner", "output", "cli", "web"} <= stages


def test_the_cli_and_the_web_use_only_the_public_api() -> None:
    for layer in ("cli", "web"):
        for path in (PACKAGE / layer).glob("*.py"):
            used = imports(path, type_checking=True)
            outside = {m for m in used if m != "podrender" and not m.startswith(f"podrender.{layer}")}
            if layer == "cli":
                outside.discard("podrender.web.app")  # `serve` starts the web layer
            assert outside == set(), f"{path.name} imports {sorted(outside)}"


def test_every_public_name_loads() -> None:
    for name in podrender.__all__:
        assert getattr(podrender, name) is not None, name
