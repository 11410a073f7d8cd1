#!/usr/bin/python3
"""Fails when a C++ file is not as clang-format (.clang-format at the top) writes it.

Every .cc and .h under the component folders is checked with Debian 12's clang-format; the
files that differ are named, with the command that fixes them. Applied once to the whole tree,
so a difference is always a change someone made.
"""
import concurrent.futures
import os
import pathlib
import subprocess
import sys

FOLDERS = ["base", "tiers", "core", "metrics", "prediction", "tuner", "report", "jobs", "study", "bridge", "plugin", "bench", "fuzz",
           "tests"]


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[2])
    files = sorted(p for folder in FOLDERS for p in (root / folder).rglob("*") if p.suffix in {".cc", ".h"})
    def formatted_differently(path: pathlib.Path) -> bool:
        formatted = subprocess.run(["clang-format", "--style=file", str(path)], capture_output=True, check=True).stdout
        return formatted != path.read_bytes()

    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        differ = [path.relative_to(root) for path, bad in zip(files, pool.map(formatted_differently, files)) if bad]
    for path in differ:
        print(f"{path}: not as clang-format writes it (fix: clang-format -i {path})")
    print(f"check_format: {len(files)} files read, {len(differ)} not formatted")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
