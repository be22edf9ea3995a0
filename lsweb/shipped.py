"""The folders that ship inside the package: templates/, static/ and migrations/.

The repository keeps them at its top level; the build (setup.py) maps them to the data packages
lsweb.templates, lsweb.static and lsweb.migrations, in the wheel, the sdist and editable installs
alike. The app finds them with importlib.resources, so an installed lsweb runs from any folder.
"""

from __future__ import annotations

import warnings
from functools import cache
from importlib import resources
from pathlib import Path

FOLDERS = ("templates", "static", "migrations")


@cache
def folder(name: str) -> Path:
    """The real folder behind a shipped data package (Flask and Alembic need a path on disk)."""
    if name not in FOLDERS:
        raise ValueError(f"not a shipped folder: {name}")
    try:
        return Path(str(resources.files(f"lsweb.{name}")))
    except ModuleNotFoundError:
        # An editable install made before the folders became data packages: the checkout still has them.
        checkout = Path(__file__).resolve().parent.parent / name
        if not (checkout / "__init__.py").is_file():
            raise
        warnings.warn(f"lsweb.{name} is not installed as a package: reinstall lsweb (make .venv/.installed-dev)",
                      stacklevel=2)
        return checkout

