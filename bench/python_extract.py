"""The baseline: the same extraction as metrics_extraction_bench, written with Python's `re`
the way a SageMaker-style collector would: line by line, srun's "RANK: " label taken off, every
match of every definition a datapoint whose first group must read as a number."""
import json
import re
import resource
import sys
import time

DEFINITIONS = [  # the same three as bench/metrics_extraction_bench.cc
    ("train:loss", r"loss: ([0-9\.]+)"),
    ("train:accuracy", r"accuracy: ([0-9\.]+)"),
    ("validation:loss", r"val_loss=([0-9.eE+-]+)"),
]
LABEL = re.compile(rb"^ *[0-9]+: ")


def main(path):
    compiled = [(name, re.compile(regex)) for name, regex in DEFINITIONS]
    datapoints, total, size = 0, 0.0, 0
    started = time.perf_counter()
    with open(path, "rb") as log:
        for raw in log:
            size += len(raw)
            label = LABEL.match(raw)
            line = raw[label.end() if label else 0:].rstrip(b"\n").decode("utf-8", "replace")
            for _name, regex in compiled:
                for match in regex.finditer(line):
                    try:
                        value = float(match.group(1))
                    except ValueError:
                        continue
                    datapoints += 1
                    total += value
    seconds = time.perf_counter() - started
    print(json.dumps({"impl": "python re", "bytes": size, "seconds": seconds, "mb_per_s": size / seconds / 1e6,
                      "datapoints": datapoints, "sum": total,
                      "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


if __name__ == "__main__":
    main(sys.argv[1])
