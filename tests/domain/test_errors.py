"""errors.py is appended to by several features at once; a repeated name would silently shadow one."""

import ast
import inspect
from collections import Counter

import domain.model.errors as errors


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_no_error_class_name_is_defined_twice():
    tree = ast.parse(inspect.getsource(errors))
    names = Counter(node.name for node in tree.body if isinstance(node, ast.ClassDef))
    assert [name for name, count in names.items() if count > 1] == []


def test_every_error_code_is_unique():
    codes = Counter(cls.code for cls in set(_all_subclasses(errors.DomainError)) if "code" in vars(cls))
    assert [code for code, count in codes.items() if count > 1] == []
