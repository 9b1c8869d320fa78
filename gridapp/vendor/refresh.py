"""Refresh the npm-vendored front-end files listed in manifest.json (``make vendor``):
``npm pack NAME@VERSION`` into a temporary folder, copy the listed files, check their SHA-256.

A package may name the ``dir`` it goes to (default its name; the workbox modules share one,
which the service worker loads them from). A ``files`` entry maps a file of the package to a name
here, or to ``{"to": name, "from": line}``:
the file's text from that line on (e.g. only the licence section of a README, without its usage
examples that point at public CDNs)."""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def excerpt(text: str, first_line: str) -> str:
    """``text`` from the line equal to ``first_line`` on; SystemExit when there is no such line."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.rstrip("\r\n") == first_line]
    if not starts:
        raise SystemExit(f"no line {first_line!r} to start the excerpt at")
    return "".join(lines[starts[0]:])


def main() -> None:
    """Fetch every package of the manifest and verify the files against the recorded hashes."""
    manifest = json.loads((HERE / "manifest.json").read_text("utf-8"))
    for pkg in manifest["packages"]:
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run(["npm", "pack", f"{pkg['name']}@{pkg['version']}"], cwd=tmp, check=True,
                                 capture_output=True, text=True).stdout.strip().splitlines()[-1]
            with tarfile.open(Path(tmp) / out) as tar:
                tar.extractall(tmp, filter="data")
            dest = HERE / pkg.get("dir", pkg["name"])  # "dir": several packages in one folder (workbox)
            dest.mkdir(exist_ok=True)
            for src, target in pkg["files"].items():
                if isinstance(target, str):
                    shutil.copyfile(Path(tmp) / "package" / src, dest / target)
                else:
                    text = (Path(tmp) / "package" / src).read_text("utf-8")
                    (dest / target["to"]).write_text(excerpt(text, target["from"]), "utf-8")
        for name, digest in pkg.get("sha256", {}).items():
            actual = hashlib.sha256((dest / name).read_bytes()).hexdigest()
            if actual != digest:
                raise SystemExit(f"{pkg['name']}/{name}: sha256 {actual} != manifest {digest}")
        print(f"{pkg['name']} {pkg['version']}: ok")


if __name__ == "__main__":
    main()
