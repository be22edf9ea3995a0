"""Packaging: the top-level templates/, static/ and migrations/ folders ship inside the lsweb package.

They stay where the repository keeps them; the build maps them to lsweb.templates, lsweb.static and
lsweb.migrations (wheel, sdist and editable installs alike), found at run time with importlib.resources.
"""

from pathlib import Path

from setuptools import find_packages, setup

DATA = {"lsweb.templates": "templates", "lsweb.static": "static", "lsweb.migrations": "migrations"}


def data_packages() -> list[str]:
    """Each data folder and its sub-folders (named as packages, so setuptools keeps every file)."""
    names = []
    for package, folder in DATA.items():
        for path in [Path(folder), *sorted(Path(folder).rglob("*"))]:
            if path.is_dir() and path.name != "__pycache__":
                names.append(".".join([package, *path.relative_to(folder).parts]))
    return names


setup(
    packages=find_packages(include=["lsweb", "lsweb.*"]) + data_packages(),
    package_dir=DATA,
    package_data={name: ["*"] for name in data_packages()} | {"lsweb.protocol": ["*.txt"]},
    exclude_package_data={"": ["*.pyc"]},
)
