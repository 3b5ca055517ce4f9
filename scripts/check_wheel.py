"""Fail when a built wheel lacks the package data shadowlens needs at run time.

Checked: the shared grammar, ``py.typed``, and for every built-in format folder in
the source tree its spec (``NAME.toml``) and the grammar that spec names.
"""

from __future__ import annotations

import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORMATS = ROOT / "src" / "shadowlens" / "formats"
REQUIRED_SUFFIXES = ("shadowlens/grammars/common.lark", "shadowlens/py.typed")


def required() -> list[str]:
    """Wheel paths every install needs: fixed files plus each built-in spec and its grammar."""
    paths = list(REQUIRED_SUFFIXES)
    for spec in sorted(FORMATS.glob("*/*.toml")):
        folder = f"shadowlens/formats/{spec.parent.name}"
        grammar = tomllib.loads(spec.read_text(encoding="utf-8"))["format"]["grammar"]
        paths += [f"{folder}/{spec.name}", f"{folder}/{grammar}"]
    return paths


def main(path: str) -> int:
    names = set(zipfile.ZipFile(path).namelist())
    wanted = required()
    missing = [s for s in wanted if not any(n.endswith(s) for n in names)]
    specs = sorted(n for n in names if n.endswith((".lark", ".toml")))
    print(f"{path}: {len(names)} files, formats: {', '.join(specs)}")
    if len(wanted) <= len(REQUIRED_SUFFIXES):
        print(f"no built-in format specs found under {FORMATS}", file=sys.stderr)
        return 1
    if missing:
        print("missing from the wheel: " + ", ".join(missing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
