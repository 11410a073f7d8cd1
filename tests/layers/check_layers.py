#!/usr/bin/python3
"""Fails when a component includes one above it (the layers of docs/architecture.md).

Every #include "folder/file.h" in a component's C++ files is an edge from that component to
`folder`. An edge to a component that is not in the component's allowed set is an upward (or
sideways) edge and fails the check, naming the file, the line and the rule. Link edges are
checked by CMake itself (check_layer_links in the top CMakeLists.txt).
"""
import pathlib
import re
import sys

# Who may include whom: each component and the components below it that it uses.
ALLOWED = {
    "base": {"base"},
    "tiers": {"base", "tiers"},
    "core": {"base", "tiers", "core"},
    "metrics": {"base", "metrics"},
    "prediction": {"base", "tiers", "core", "metrics", "prediction"},
    "tuner": {"base", "metrics", "tuner"},
    "report": {"base", "metrics", "tuner", "report"},
    "jobs": {"base", "tiers", "core", "metrics", "prediction", "tuner", "report", "jobs"},
    "study": {"base", "tiers", "core", "metrics", "prediction", "tuner", "report", "jobs", "study"},
    "bridge": {"base", "tiers", "core", "metrics", "prediction", "tuner", "report", "jobs", "study", "bridge"},
    # The SPANK plugin stands apart: slurmd loads it, and it links nothing of the rest.
    "plugin": {"plugin"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def edges_of(root: pathlib.Path):
    for component in ALLOWED:
        for path in sorted((root / component).rglob("*")):
            if path.suffix not in {".cc", ".h"}:
                continue
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                match = INCLUDE.match(line)
                if not match:
                    continue
                target = match.group(1).split("/")[0] if "/" in match.group(1) else component
                yield component, path.relative_to(root), number, target, match.group(1)


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[2])
    missing = [c for c in ALLOWED if not (root / c).is_dir()]
    if missing:
        print(f"check_layers: no folder {', '.join(missing)} under {root}", file=sys.stderr)
        return 2
    wrong = [(c, f, n, t, i) for c, f, n, t, i in edges_of(root) if t in ALLOWED and t not in ALLOWED[c]]
    for component, file, number, target, included in wrong:
        print(f"{file}:{number}: includes \"{included}\": {component}/ may use only "
              f"{', '.join(sorted(ALLOWED[component] - {component})) or 'nothing else'}, not {target}/")
    count = sum(1 for _ in edges_of(root))
    print(f"check_layers: {count} includes read, {len(wrong)} against the layers")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
