"""Where a generator writes: the project that ``mvcpy new`` made, found from the cwd."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mvcpy.errors import ConfigurationError

__all__ = ["Project", "find_project"]


@dataclass(frozen=True)
class Project:
    """A project directory (``pyproject.toml``, ``tests/``) and its package (``app.py``)."""

    #: the project directory: tests go to ``root / "tests"``
    root: Path
    #: the package's name, for imports: ``blog``
    package: str

    @property
    def package_dir(self) -> Path:
        """The package directory: ``root / package``."""
        return self.root / self.package

    @property
    def api(self) -> bool:
        """True for a JSON-only project (``mvcpy new --api``): it has no ``views/``."""
        return not (self.package_dir / "views").is_dir()

    def path(self, *parts: str) -> Path:
        """Return a path inside the package."""
        return self.package_dir.joinpath(*parts)

    def require(self, *parts: str) -> Path:
        """Return a path inside the package; refuse when it is missing."""
        path = self.path(*parts)
        if not path.exists():
            shown = "/".join((self.package, *parts))
            raise ConfigurationError(
                f"{shown} is missing: mvcpy generate works in a project made by `mvcpy new`"
            )
        return path


def find_project(cwd: Path) -> Project:
    """Find the project in ``cwd``: a package with ``app.py`` (``MVCPY_APP`` may name it)."""
    from mvcpy.loading import find_app_spec

    try:
        spec = find_app_spec(cwd)
    except ConfigurationError:
        spec = ""
    module = spec.partition(":")[0]
    package, dot, _ = module.partition(".")
    if not dot or not (cwd / package / "app.py").is_file():
        raise ConfigurationError(
            f"no project in {cwd}: run mvcpy generate in the directory that `mvcpy new` "
            "made (the one with pyproject.toml and the package with app.py)"
        )
    return Project(cwd, package)
