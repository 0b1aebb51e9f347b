"""The lockfiles stay in step with what they lock: requirements.lock pins every Python dependency of
pyproject.toml (dev extras included) at a version it allows, and package-lock.json records exactly
the front-end dependencies of package.json at versions their ranges allow. A dependency added or
raised without `make lock` (or `npm install`) fails here, not on an operator's audit."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def _locked_python() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"not a pin: {line!r}"
            pins[canonicalize_name(name)] = version
    return pins


def _python_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(text) for text in project["dependencies"] + project["optional-dependencies"]["dev"]]


def test_every_python_dependency_is_pinned_at_a_version_pyproject_allows() -> None:
    pins = _locked_python()
    wrong = {}
    for requirement in _python_requirements():
        version = pins.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            wrong[requirement.name] = (str(requirement.specifier), version)
    assert wrong == {}


def test_the_python_lock_pins_each_package_once_and_not_the_project_itself() -> None:
    lines = [line for line in (ROOT / "requirements.lock").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    names = [canonicalize_name(line.partition("==")[0]) for line in lines]
    assert len(names) == len(set(names))
    assert "seing" not in names


def _caret_allows(spec: str, version: str) -> bool:
    """npm's ``^x.y.z`` (what package.json uses): same major version (same minor under 1.0), not lower."""
    wanted = [int(part) for part in re.fullmatch(r"\^(\d+)\.(\d+)\.(\d+)", spec).groups()]
    found = [int(part) for part in re.match(r"(\d+)\.(\d+)\.(\d+)", version).groups()]
    fixed = 1 if wanted[0] > 0 else 2
    return found[:fixed] == wanted[:fixed] and found >= wanted


def test_the_npm_lock_records_exactly_the_dependencies_of_package_json() -> None:
    manifest = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    root = lock["packages"][""]
    for section in ("dependencies", "devDependencies"):
        assert root.get(section, {}) == manifest.get(section, {}), section
        for name, spec in manifest.get(section, {}).items():
            locked = lock["packages"][f"node_modules/{name}"]
            assert _caret_allows(spec, locked["version"]), (name, spec, locked["version"])
            assert locked["integrity"].startswith("sha512-"), name
            assert locked.get("dev", False) == (section == "devDependencies"), name
