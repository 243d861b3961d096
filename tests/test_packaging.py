"""The wheel carries the framework's data directories, and an installed copy finds them.

``pyproject.toml`` force-includes the top-level ``static/``, ``app_skeleton/`` and
``migrations/`` into ``mvcpy/`` so that a plain ``pip install mvcpy-web`` (not only an editable
install from a checkout) can render its error pages and run ``mvcpy new``.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.e2e._servers import run_in_group
from tests.e2e._wheel import clean_env, site_packages, with_test_dependencies

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

REPO_ROOT = Path(__file__).resolve().parents[1]
RESOURCE_DIRS = ("static", "app_skeleton", "migrations", "docs")
#: What hatchling leaves out of a wheel: caches and bytecode.
IGNORED_PARTS = {"__pycache__", ".DS_Store"}
IGNORED_SUFFIXES = (".pyc", ".pyo")


def source_files(name: str) -> set[str]:
    """Return the files of top-level directory ``name`` as wheel paths under ``mvcpy/``."""
    root = REPO_ROOT / name
    files = set()
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if not path.is_file() or IGNORED_PARTS & set(relative.parts):
            continue
        if path.suffix in IGNORED_SUFFIXES:
            continue
        files.add(f"mvcpy/{name}/{relative.as_posix()}")
    return files


@pytest.fixture(scope="module")
def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


@pytest.mark.parametrize("name", RESOURCE_DIRS)
def test_wheel_carries_the_resource_directory(wheel_names: set[str], name: str) -> None:
    expected = source_files(name)
    assert expected, f"{name}/ has no files in the source tree, so the wheel cannot carry it"
    missing = expected - wheel_names
    assert not missing, f"the wheel lacks {sorted(missing)}"
    # Carried inside the package, not as a stray top-level directory.
    assert not any(n.startswith(f"{name}/") for n in wheel_names)


def test_wheel_has_the_package_and_the_console_script(wheel: Path, wheel_names: set[str]) -> None:
    for module in (
        "__init__.py",
        "app.py",
        "cli/__init__.py",
        "config/loader.py",
        "components.py",
        "_resources.py",
        "routing/router.py",
        "i18n/component.py",
        "translations/fr/LC_MESSAGES/mvcpy.mo",  # mvcpy's French, compiled
    ):
        assert f"mvcpy/{module}" in wheel_names
    with zipfile.ZipFile(wheel) as archive:
        entry_points = next(n for n in wheel_names if n.endswith(".dist-info/entry_points.txt"))
        text = archive.read(entry_points).decode()
    assert "mvcpy = mvcpy.cli:main" in text


# Runs in the fresh venv with the standard library only (the wheel's dependencies are
# not installed there): it locates the package without importing it, and loads
# ``mvcpy/_resources.py`` (stdlib-only) straight from the file.
_STDLIB_PROBE = r"""
import importlib.metadata, importlib.util, json, sys
spec = importlib.util.find_spec("mvcpy")
package = spec.submodule_search_locations[0]
loader_spec = importlib.util.spec_from_file_location("_probe_resources", package + "/_resources.py")
resources = importlib.util.module_from_spec(loader_spec)
loader_spec.loader.exec_module(resources)
print(json.dumps({
    "prefix": sys.prefix,
    "base_prefix": sys.base_prefix,
    "path": sys.path,
    "package": package,
    "version": importlib.metadata.version("mvcpy-web"),
    "record": [str(f) for f in importlib.metadata.files("mvcpy-web")],
    "dirs": {
        n: str(resources.resource_dir(n))
        for n in ("static", "app_skeleton", "migrations", "docs")
    },
}))
"""


def test_installed_wheel_finds_its_resources(fresh_venv: Path) -> None:
    python = fresh_venv / "bin" / "python"
    result = run_in_group(
        [str(python), "-I", "-c", _STDLIB_PROBE], 60, env=clean_env(), cwd=fresh_venv
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout)

    assert Path(probe["prefix"]) == fresh_venv
    assert not any(p.startswith(str(REPO_ROOT)) for p in probe["path"]), probe["path"]
    assert not any(
        "site-packages" in p and not p.startswith(str(fresh_venv)) for p in probe["path"]
    )
    package = Path(probe["package"])
    assert package.is_relative_to(fresh_venv)
    assert package.parent.name == "site-packages"

    record = set(probe["record"])
    for name in RESOURCE_DIRS:
        found = Path(probe["dirs"][name])
        assert found == package / name, f"{name} resolved to {found}, not inside the install"
        expected = source_files(name)
        assert expected, f"{name}/ has no files in the source tree"
        for wheel_path in expected:
            assert wheel_path in record, f"{wheel_path} is not in the installed RECORD"
            installed = package.parent / wheel_path
            source = REPO_ROOT / wheel_path.removeprefix("mvcpy/")
            assert installed.read_bytes() == source.read_bytes(), wheel_path
    assert (fresh_venv / "bin" / "mvcpy").is_file()


# Runs in the fresh venv with the test environment's site-packages appended after the
# venv's own (with_test_dependencies: the wheel's copy of mvcpy comes first, its
# dependencies come from the test environment). Renders the error page from the install.
_IMPORT_PROBE = r"""
import json, sys, tempfile
import mvcpy
from mvcpy import App
from mvcpy._resources import resource_dir
from mvcpy.testing import TestClient
with tempfile.TemporaryDirectory() as root:
    app = App(root_path=root, env="test")
    app.get("/", lambda ctx: {"ok": True})
    with TestClient(app) as client:
        page = client.get("/missing", headers={"accept": "text/html"})
print(json.dumps({
    "file": mvcpy.__file__,
    "version": mvcpy.__version__,
    "static": str(resource_dir("static")),
    "status": page.status_code,
    "content_type": page.headers["content-type"],
    "body": page.text,
}))
"""


def test_installed_wheel_imports_and_renders_its_error_page(fresh_venv: Path) -> None:
    installed = site_packages(fresh_venv)
    with with_test_dependencies(fresh_venv):
        python = fresh_venv / "bin" / "python"
        result = run_in_group(
            [str(python), "-I", "-c", _IMPORT_PROBE], 60, env=clean_env(), cwd=fresh_venv
        )
        assert result.returncode == 0, result.stderr
        probe = json.loads(result.stdout)
        version = run_in_group(
            [str(fresh_venv / "bin" / "mvcpy"), "version"], 60, env=clean_env(), cwd=fresh_venv
        )
    assert Path(probe["file"]).is_relative_to(installed / "mvcpy")
    assert Path(probe["static"]) == installed / "mvcpy" / "static"
    assert probe["status"] == 404
    assert probe["content_type"].startswith("text/html")
    assert "404" in probe["body"]
    assert "<html" in probe["body"].lower()
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith(f"mvcpy {probe['version']} ")
