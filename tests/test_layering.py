"""The architecture, checked: no import cycles, boto3 only in the adapters, no storage detail in the
domain, one composition root, and the size and complexity gates that keep modules readable."""

from __future__ import annotations

import ast
import graphlib
import re
from collections import defaultdict
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "layers" / "helpdesk" / "helpdesk"
MAX_MODULE_LINES = 300
STORAGE_LITERALS = re.compile(r"^(TICKET#|ENTRY#|DUE#|INBOUND#|MSGID#|SENDER#|ACCOUNTS?#?|POLICY#|SMSLIMIT#|META$)")
CONDITION_WORDS = ("attribute_exists", "attribute_not_exists", "ConditionExpression", "UpdateExpression",
                   "KeyConditionExpression", "list_append(")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, ast.Module]:
    return {_module_name(p): ast.parse(p.read_text(encoding="utf-8")) for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_blocks(tree: ast.Module) -> set[int]:
    """Line numbers inside `if TYPE_CHECKING:` blocks (type-only imports cannot form a cycle at run time)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _imports(tree: ast.Module) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, node.lineno))
    return found


def _graph(modules: dict[str, ast.Module]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for name, tree in modules.items():
        typing_only = _type_checking_blocks(tree)
        for target, line in _imports(tree):
            if line in typing_only or not target.startswith("helpdesk"):
                continue
            while target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in modules and target != name:
                graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One import cycle, if there is any (graphlib reports the first it meets)."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        return [sorted(set(exc.args[1]))]
    return []


def test_the_domain_has_no_import_cycles():
    assert _cycles(_graph(_modules())) == []


def test_the_cycle_check_finds_a_cycle_when_there_is_one():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_only_the_adapters_import_boto3_or_botocore():
    offenders = [f"{name}:{line} imports {target}" for name, tree in _modules().items()
                 if not name.startswith("helpdesk.adapters")
                 for target, line in _imports(tree) if target.split(".")[0] in ("boto3", "botocore")]
    assert offenders == []


def _strings(tree: ast.Module) -> list[tuple[str, int]]:
    return [(node.value, node.lineno) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def test_domain_code_never_sees_keys_or_condition_expressions():
    offenders = []
    for name, tree in _modules().items():
        if name.startswith("helpdesk.adapters"):
            continue
        for text, line in _strings(tree):
            if STORAGE_LITERALS.match(text) or any(word in text for word in CONDITION_WORDS):
                offenders.append(f"{name}:{line}: {text[:60]!r}")
    assert offenders == []


def test_every_subpackage_says_what_it_owns():
    for init in PACKAGE.rglob("__init__.py"):
        if init.parent.name == "__pycache__":
            continue
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc.splitlines()[0]) > 20, f"{init.relative_to(ROOT)} needs a one-line docstring"


def test_handlers_are_thin_and_go_through_the_one_composition_root():
    for app in sorted((ROOT / "functions").glob("*/app.py")):
        tree = ast.parse(app.read_text(encoding="utf-8"))
        helpdesk_imports = {t for t, _ in _imports(tree) if t.startswith("helpdesk")}
        assert "helpdesk.app" in helpdesk_imports or "helpdesk.app.factory" in helpdesk_imports, app
        assert helpdesk_imports <= {"helpdesk.app", "helpdesk.app.factory", "helpdesk.core.observability",
                                    "helpdesk.intake.batch", "helpdesk.reports.service"}, app
        assert len(app.read_text().splitlines()) < 30, f"{app} is not thin"


def _over_limit(path: Path) -> bool:
    """Over the size limit without a reason written at its top (a docstring line starting 'Size:')."""
    text = path.read_text(encoding="utf-8")
    doc = ast.get_docstring(ast.parse(text)) or ""
    return len(text.splitlines()) > MAX_MODULE_LINES and "Size:" not in doc


def test_modules_stay_small_or_say_why_not():
    roots = [PACKAGE, ROOT / "local" / "helpdesk_local", ROOT / "functions"]
    large = [str(p.relative_to(ROOT)) for root in roots for p in sorted(root.rglob("*.py")) if _over_limit(p)]
    assert large == []


def test_no_function_is_more_complex_than_ten():
    """The complexity gate of `make lint`, in the suite as well, so CI enforces it."""
    import subprocess
    import sys

    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run([str(ruff), "check", "--select", "C90", "--output-format", "concise", "layers",
                             "functions", "local"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]
