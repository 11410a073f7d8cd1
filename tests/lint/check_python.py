#!/usr/bin/python3
"""Fails on what pyflakes finds in the project's Python (ruff.toml's F rules): unused imports
and variables, undefined names, syntax errors. The state folders and builds are left out."""
import pathlib
import subprocess
import sys

SKIP = {"build", ".git", "__pycache__"}


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[2])
    files = [p for p in sorted(root.rglob("*.py"))
             if not any(part in SKIP or part.startswith("build-") for part in p.relative_to(root).parts)]
    result = subprocess.run(["/usr/bin/python3", "-m", "pyflakes", *map(str, files)], capture_output=True, text=True)
    sys.stdout.write(result.stdout + result.stderr)
    print(f"check_python: {len(files)} files read")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
