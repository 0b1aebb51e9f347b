"""Handlers never touch adapters: not by import (import-linter), nor through the container."""

import ast
from pathlib import Path

import entrypoints.web

WEB = Path(entrypoints.web.__file__).parent


def test_no_web_module_reaches_into_the_containers_adapters():
    offenders = []
    for path in sorted(WEB.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "adapters":
                offenders.append(f"{path.relative_to(WEB)}:{node.lineno}")
    assert offenders == [], "use a use case or a Provided port of the UseCases facade instead"
