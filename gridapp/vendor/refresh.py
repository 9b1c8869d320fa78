"""Refresh the npm-vendored front-end files listed in manifest.json (``make vendor``):
``npm pack NAME@VERSION`` into a temporary folder, copy the listed files, check their SHA-256."""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    """Fetch every package of the manifest and verify the files against the recorded hashes."""
    manifest = json.loads((HERE / "manifest.json").read_text("utf-8"))
    for pkg in manifest["packages"]:
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run(["npm", "pack", f"{pkg['name']}@{pkg['version']}"], cwd=tmp, check=True,
                                 capture_output=True, text=True).stdout.strip().splitlines()[-1]
            with tarfile.open(Path(tmp) / out) as tar:
                tar.extractall(tmp, filter="data")
            dest = HERE / pkg["name"]
            dest.mkdir(exist_ok=True)
            for src, name in pkg["files"].items():
                shutil.copyfile(Path(tmp) / "package" / src, dest / name)
        for name, digest in pkg.get("sha256", {}).items():
            actual = hashlib.sha256((dest / name).read_bytes()).hexdigest()
            if actual != digest:
                raise SystemExit(f"{pkg['name']}/{name}: sha256 {actual} != manifest {digest}")
        print(f"{pkg['name']} {pkg['version']}: ok")


if __name__ == "__main__":
    main()
