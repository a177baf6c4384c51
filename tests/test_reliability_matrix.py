"""RELIABILITY.md cannot rot: every test it names exists, every row has the three columns."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MATRIX = REPO / "RELIABILITY.md"
HEADER = ["fault or input", "expected behaviour", "test that proves it"]
#: ``tests/test_x.py::test_name`` with an optional parametrize id ``[id]``.
REFERENCE = re.compile(r"(tests/[\w/]+\.py)::(\w+)(?:\[([^\]\s]+)\])?")


def _cells(line: str) -> list[str]:
    """The cells of a Markdown table row (``\\|`` is a pipe inside a cell)."""
    inner = line.strip()[1:-1]
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", inner)]


def _tables() -> list[list[list[str]]]:
    tables: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for line in MATRIX.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("|"):
            if current is None:
                current = []
                tables.append(current)
            current.append(_cells(line))
        else:
            current = None
    return tables


def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test")}


def test_every_table_has_the_three_columns_and_every_row_names_a_test() -> None:
    tables = _tables()
    assert len(tables) >= 7
    for table in tables:
        assert table[0] == HEADER, table[0]
        assert set("".join(table[1])) <= set("-: "), table[1]  # the separator row
        assert len(table) > 2, table[0]
        for row in table[2:]:
            assert len(row) == 3, row
            assert all(row), row
            assert REFERENCE.search(row[2]), row


def test_every_referenced_test_exists() -> None:
    text = MATRIX.read_text(encoding="utf-8")
    references = REFERENCE.findall(text)
    assert len(references) > 100
    missing = []
    for file, name, param in sorted(set(references)):
        path = REPO / file
        if not path.is_file() or name not in _test_functions(path):
            missing.append(f"{file}::{name}")
        elif param and param not in path.read_text(encoding="utf-8"):
            missing.append(f"{file}::{name}[{param}]")
    assert not missing, missing


def test_the_fragments_are_gone() -> None:
    assert not sorted(p.name for p in REPO.glob("RELIABILITY.*.md"))
