"""The test suite's own rule: test modules never import each other.

Shared helpers live in modules that are not tests (tests/ui/harness.py, tests/strategies.py,
…), so a test file can be moved, split or deleted without breaking its neighbours.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def imported_modules(source: str, package: str) -> list[str]:
    """Every module the code in `source` (a module of `package`) imports, as dotted names."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}".rstrip(".")
            # `from tests.ui import test_x` imports a module by its name.
            found += [base, *(f"{base}.{alias.name}" for alias in node.names)]
    return found


def package_of(path: Path) -> str:
    """The dotted package a file under tests/ belongs to."""
    return ".".join(path.relative_to(TESTS.parent).parent.parts)


def is_test_module(module: str) -> bool:
    """Whether a dotted name is one of the suite's test modules."""
    return module.startswith("tests.") and module.rsplit(".", 1)[-1].startswith("test_")


def test_no_test_module_imports_another() -> None:
    offences = [
        f"{path.relative_to(TESTS.parent)} imports {module}"
        for path in sorted(TESTS.rglob("test_*.py"))
        for module in imported_modules(path.read_text(), package_of(path))
        if is_test_module(module)
    ]
    assert not offences, "move what they share into a helper module:\n" + "\n".join(offences)


def test_the_rule_sees_each_way_of_importing_a_test_module() -> None:
    # So that the rule above cannot pass by seeing nothing.
    source = (
        "from tests.ui.test_run_view import x\n"
        "from tests.ui import test_json_view\n"
        "import tests.test_cli\n"
        "from .test_palette import y\n"
        "from ..test_notify import z\n"
        "from tests.ui.harness import settle\n"
        "from . import pane_app\n"
    )
    caught = {m for m in imported_modules(source, "tests.ui") if is_test_module(m)}
    assert caught == {
        "tests.ui.test_run_view",
        "tests.ui.test_json_view",
        "tests.test_cli",
        "tests.ui.test_palette",
        "tests.test_notify",
    }
