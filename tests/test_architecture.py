"""The import contract of DESIGN.md's layout, read from the source (every import, lazy ones too).

- Packages form layers; a package imports only packages below it (crypto imports nothing of ours).
- A context reaches another context only through that context's ``service`` façade.
- Nothing but the `sunbid demo` command (web/cli.py) imports the demo package.
- Audit kinds are named constants in each package's ``events.py``, named after their values.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Bottom first; packages on one line share a layer and may not import each other.
LAYERS: list[tuple[str, ...]] = [
    ("crypto",),
    ("core",),
    ("credit", "catalog"),
    ("experts",),
    ("bidding",),
    ("guarantees",),
    ("evaluation",),
    ("disputes", "integrity", "contracts"),
    ("publication",),
    ("demo",),
    ("web",),
]
LAYER = {package: level for level, packages in enumerate(LAYERS) for package in packages}
# Bounded contexts: others see only their façade. crypto and core are libraries every context uses.
CONTEXTS = {
    "credit",
    "catalog",
    "experts",
    "bidding",
    "guarantees",
    "evaluation",
    "disputes",
    "integrity",
    "contracts",
    "publication",
}
# The top wires everything: web builds the app from every context's parts, demo drives the contexts.
WIRING = {"web", "demo"}
# The one production module that may import demo: the `sunbid demo` command.
DEMO_ENTRY = Path("web/cli.py")


def project_imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, dotted module) for every import in the file that names one of our packages."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from bidding import service` names the module bidding.service.
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def sources() -> Iterator[tuple[str, Path]]:
    for package in LAYER:
        folder = ROOT / package
        if folder.is_dir():
            for path in sorted(folder.rglob("*.py")):
                if ".venv" not in path.parts:
                    yield package, path


def violations() -> list[str]:
    found: list[str] = []
    for package, path in sources():
        where = path.relative_to(ROOT)
        for line, module in project_imports(path):
            target = module.split(".")[0]
            if target not in LAYER or target == package:
                continue
            if LAYER[target] >= LAYER[package]:
                found.append(f"{where}:{line} imports {module}: {target} is not below {package}")
            elif target == "demo" and where != DEMO_ENTRY:
                found.append(f"{where}:{line} imports {module}: only {DEMO_ENTRY} imports demo")
            elif target in CONTEXTS and package not in WIRING and not module.startswith(f"{target}.service"):
                found.append(f"{where}:{line} imports {module}: other contexts see only {target}.service")
    return found


def test_every_import_respects_the_layers_and_the_facades() -> None:
    assert violations() == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from bidding import tenders\n", "other contexts see only bidding.service"),
        ("import publication.api\n", "publication is not below evaluation"),
        ("def late():\n    from experts.draw import DrawRules\n", "other contexts see only experts.service"),
    ],
)
def test_the_contract_catches_a_bad_import(
    tmp_path: Path, source: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checker itself: a façade bypass, an upward import and a lazy bypass are each reported."""
    fake_root = tmp_path
    (fake_root / "evaluation").mkdir()
    (fake_root / "evaluation" / "bad.py").write_text(source, encoding="utf-8")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", fake_root)
    assert any(expected in found for found in violations())


# --- audit kinds ----------------------------------------------------------------------------------------

AUDIT_KIND = re.compile(r"[a-z_]+(\.[a-z_]+)+")
EVENT_MODULES = ["core.events", *(f"{context}.events" for context in sorted(CONTEXTS - {"publication"}))]


def literal_audit_kinds() -> list[str]:
    """``audit.append(session, <kind>, ...)`` calls whose kind is spelt out (literal, f-string, sum)."""
    found = []
    for package, path in sources():
        where = path.relative_to(ROOT)
        if package in WIRING:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "append"
                and ast.unparse(node.func.value).endswith("audit")
                and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant | ast.JoinedStr | ast.BinOp)
            ):
                found.append(f"{where}:{node.lineno} appends {ast.unparse(node.args[1])}")
    return found


def test_audit_kinds_are_constants_of_an_events_module() -> None:
    assert literal_audit_kinds() == []


def test_each_audit_kind_constant_is_named_after_its_value_once() -> None:
    """The stored log's kinds cannot drift: changing a value means renaming its constant everywhere."""
    seen: dict[str, str] = {}
    for name in EVENT_MODULES:
        module = importlib.import_module(name)
        for constant, value in vars(module).items():
            if constant.isupper() and isinstance(value, str) and AUDIT_KIND.fullmatch(value):
                assert constant == value.upper().replace(".", "_"), f"{name}.{constant} = {value!r}"
                assert value not in seen, f"{value!r} is defined in {seen[value]} and {name}"
                seen[value] = name
    assert {"notice.published", "credit.deduction_recorded", "experts.draw.committed"} <= set(seen)


# A module is read in one sitting; past this, split it by use case (as evaluation/ was).
MAX_MODULE_LINES = 600


def test_no_module_is_longer_than_one_sitting() -> None:
    long = [
        f"{path.relative_to(ROOT)}: {lines} lines"
        for _, path in sources()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert long == []
