"""The house reads top-down: cli -> watch -> app -> features -> domain, with
the adapters used by the application layer (docs/architecture.md).

Checked from the source, so a new import that points upward, or closes a
cycle, fails here before it confuses the next reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ppsjournal"

LAYERS = {
    "domain": {
        "errors",
        "names",
        "dates",
        "layout",
        "settings",
        "schedule",
        "note",
        "tasks",
        "properties",
        "money",
        "ledger",
        "model",
        "index",
        "output",
        "answers",
    },
    "features": {
        "partners",
        "week",
        "leads",
        "followups",
        "needs",
        "calendar",
        "invite",
        "report",
        "report_html",
        "doctor",
        "history",
        "publish",
        "mergebase",
    },
    "adapters": {"vault", "store", "templates", "mail", "caldav_sync", "git"},
    "app": {"app", "actions", "vault_setup", "sync"},
    "watch": {"watch"},
}
# What each layer may import (besides itself).
ALLOWED = {
    "domain": {"domain"},
    "features": {"domain"},
    "adapters": {"domain", "adapters"},
    "app": {"domain", "features", "adapters"},
    "watch": {"app", "domain"},
    "cli": {"cli", "watch", "app", "features", "domain", "adapters"},
}
# Imports inside a function, allowed outside cli/ only to put off a heavy
# library (icalendar behind calendar, jinja2 and friends) until it is needed.
LATE_OK = {
    ("app", "calendar"),
    ("invite", "calendar"),
    ("app", "publish"),
    ("app", "caldav_sync"),
    ("sync", "calendar"),
    ("sync", "invite"),
}


def _layer(module: str) -> str:
    if module.startswith("cli"):
        return "cli"
    for layer, members in LAYERS.items():
        if module in members:
            return layer
    raise AssertionError(f"ppsjournal/{module}.py belongs to no layer: add it to LAYERS")


def _imports() -> dict[str, tuple[set[str], set[str]]]:
    """module -> (imported at the top, imported inside a function), both ppsjournal modules."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).with_suffix("").as_posix().replace("/", ".")
        if rel in ("__init__", "__main__"):
            continue
        rel = rel.removesuffix(".__init__")
        top: set[str] = set()
        late: set[str] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module == "ppsjournal":
                    names = [a.name for a in node.names]
                elif node.module.startswith("ppsjournal."):
                    names = [node.module.removeprefix("ppsjournal.")]
            elif isinstance(node, ast.Import):
                names = [
                    a.name.removeprefix("ppsjournal.")
                    for a in node.names
                    if a.name.startswith("ppsjournal.")
                ]
            names = [n for n in names if n != "__version__"]
            if not names or _in_type_checking(tree, node):
                continue
            at_top = getattr(node, "col_offset", 0) == 0
            (top if at_top else late).update(n for n in names if n != rel)
        found[rel] = (top, late)
    return found


def _in_type_checking(tree: ast.Module, node: ast.AST) -> bool:
    for block in tree.body:
        if (
            isinstance(block, ast.If)
            and isinstance(block.test, ast.Name)
            and block.test.id == "TYPE_CHECKING"
            and any(node is n for n in ast.walk(block))
        ):
            return True
    return False


def test_every_import_points_down_the_layers():
    wrong = []
    for module, (top, late) in sorted(_imports().items()):
        mine = _layer(module)
        for target in sorted(top | late):
            theirs = _layer(target)
            if theirs != mine and theirs not in ALLOWED[mine]:
                wrong.append(f"{module} ({mine}) imports {target} ({theirs})")
    assert wrong == []


def test_no_import_inside_a_function_outside_the_cli():
    wrong = [
        f"{module} imports {target} inside a function"
        for module, (_, late) in sorted(_imports().items())
        if not module.startswith("cli")
        for target in sorted(late)
        if (module, target) not in LATE_OK
    ]
    assert wrong == []


def test_no_import_cycle():
    graph = {m: top for m, (top, _) in _imports().items()}
    seen: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(m: str, path: list[str]) -> None:
        seen[m] = 1
        for n in sorted(graph.get(m, ())):
            if seen.get(n) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path, m, n]))
            if n not in seen:
                visit(n, [*path, m])
        seen[m] = 2

    for m in sorted(graph):
        if m not in seen:
            visit(m, [])


# The write actions live in the application layer (actions.py): a command
# parses, calls and prints. ppsj week still writes from cli/week.py.
WRITES = {"create", "update_keys", "writing", "lock"}  # names only the vault and Builder use
VAULT_WRITES = {"write", "replace", "remove"}  # on a vault (str.replace is not a write)
WRITES_OK = {"week"}


def _on_vault(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "vault") or (
        isinstance(node, ast.Attribute) and node.attr == "vault"
    )


def test_the_cli_leaves_writing_notes_to_the_app_layer():
    wrong = []
    for path in sorted((PACKAGE / "cli").glob("*.py")):
        if path.stem in WRITES_OK:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            attr = node.func.attr
            if attr in WRITES or (attr in VAULT_WRITES and _on_vault(node.func.value)):
                wrong.append(f"cli/{path.name}:{node.lineno} calls .{attr}()")
    assert wrong == []
