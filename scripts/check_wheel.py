"""Fail when a built wheel lacks the package data shadowlens needs at run time."""

from __future__ import annotations

import sys
import zipfile

REQUIRED_SUFFIXES = (
    "shadowlens/grammars/common.lark",
    "shadowlens/grammars/cef.lark",
    "shadowlens/py.typed",
)


def main(path: str) -> int:
    names = set(zipfile.ZipFile(path).namelist())
    missing = [s for s in REQUIRED_SUFFIXES if not any(n.endswith(s) for n in names)]
    lark_files = sorted(n for n in names if n.endswith(".lark"))
    print(f"{path}: {len(names)} files, grammars: {', '.join(lark_files)}")
    if missing:
        print("missing from the wheel: " + ", ".join(missing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
