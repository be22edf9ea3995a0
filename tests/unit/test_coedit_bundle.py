"""The co-editing client's vendored bundle is the one its build files describe, and nothing is missing
from what the browser loads (no CDN, no Node at run time)."""

import hashlib
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"


def test_the_client_imports_a_bundle_that_is_there_and_listed_with_its_hash():
    shim = (STATIC / "js" / "coedit" / "yjs.js").read_text()
    name = re.search(r'from "\.\./\.\./vendor/(lsweb-coedit-[\d.]+\.min\.js)"', shim).group(1)
    bundle = STATIC / "vendor" / name
    version = json.loads((ROOT / "frontend" / "package.json").read_text())["version"]
    assert name == f"lsweb-coedit-{version}.min.js"
    readme = (STATIC / "vendor" / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith(f"| `{name}`"))
    assert hashlib.sha256(bundle.read_bytes()).hexdigest() in row


def test_the_lockfile_pins_what_package_json_names():
    package = json.loads((ROOT / "frontend" / "package.json").read_text())
    lock = json.loads((ROOT / "frontend" / "package-lock.json").read_text())
    for name, version in {**package["dependencies"], **package["devDependencies"]}.items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version


def test_every_module_the_client_imports_is_served_from_static():
    folder = STATIC / "js" / "coedit"
    for module in folder.glob("*.js"):
        for target in re.findall(r'from "(\.[^"]+)"', module.read_text()):
            assert (module.parent / target).resolve().is_file(), f"{module.name} imports {target}"
