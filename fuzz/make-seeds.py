"""Raw seed inputs for every fuzz target, from the real documents the project already holds: the
conformance corpus (shared/conformance: real job specs, SageMaker requests, FfDL manifests and
metric regexes from public sample repositories), tests/specs, the sample catalogs, Slurm output
recorded from the local cluster (core/testdata), and TensorBoard events made by the independent
encoder of metrics/tensorboard_event_test.py. fuzz/merge-corpus reduces them with -merge=1 into
fuzz/corpus/; only that reduced corpus is committed.

    /usr/bin/python3 fuzz/make-seeds.py CONFORMANCE_DIR OUT_DIR
"""
import glob
import gzip
import json
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "metrics"))
import tensorboard_event_test as events  # noqa: E402  (the independent encoder)


class Seeds:
    def __init__(self, out):
        self.out = out
        self.counts = {}

    def add(self, target, data):
        if isinstance(data, str):
            data = data.encode()
        folder = os.path.join(self.out, target)
        os.makedirs(folder, exist_ok=True)
        n = self.counts.get(target, 0)
        self.counts[target] = n + 1
        with open(os.path.join(folder, f"seed-{n:05d}"), "wb") as f:
            f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def escaped(text):
    """A FuzzedDataProvider random-length string as it is read back: '\\' doubled, then ended by '\\' and
    another byte."""
    return text.replace("\\", "\\\\") + "\\\n"


def front_doors(seeds, conformance):
    for path in glob.glob(os.path.join(conformance, "aiplatform", "**", "*.*"), recursive=True):
        if "/schema/" not in path and path.endswith((".yaml", ".yml", ".json")):
            seeds.add("job_spec_fuzzer", read(path))
            seeds.add("hyperparameter_spec_fuzzer", read(path))
    for path in glob.glob(os.path.join(ROOT, "tests", "specs", "**", "*.yaml"), recursive=True):
        seeds.add("job_spec_fuzzer", read(path))
    for path in glob.glob(os.path.join(conformance, "sagemaker", "extracted", "**", "*.json"), recursive=True):
        target = "hyperparameter_spec_fuzzer" if "HyperParameterTuningJob" in path else "sagemaker_training_fuzzer"
        seeds.add(target, read(path))
    for path in glob.glob(os.path.join(conformance, "ffdl", "**", "*.y*ml"), recursive=True):
        seeds.add("ffdl_manifest_fuzzer", read(path))
    for path in (os.path.join(ROOT, "etc", "tiers.yaml"), os.path.join(ROOT, "contrib", "cluster", "tiers.yaml")):
        seeds.add("tier_catalog_fuzzer", read(path))


def regexes(conformance):
    """Every metric regex of the corpus: SageMaker's MetricDefinitions and FfDL's evaluation_metrics."""
    found = []
    definitions = os.path.join(conformance, "sagemaker", "metric-definitions",
                               "amazon-sagemaker-examples.metric_definitions.json")
    for entry in json.loads(read(definitions)):
        found += [d["Regex"] for d in entry.get("MetricDefinitions", []) if isinstance(d.get("Regex"), str)]
    for path in glob.glob(os.path.join(conformance, "ffdl", "**", "*.y*ml"), recursive=True):
        text = read(path).decode("utf-8", "replace")
        found += [line.split(":", 1)[1].strip().strip("'\"") for line in text.splitlines()
                  if line.strip().startswith("regex:")]
    return found


def metrics(seeds, conformance):
    patterns = regexes(conformance)
    for i, regex in enumerate(patterns):
        seeds.add("python_regex_fuzzer", bytes([i % 4]) + regex.encode())
    log = "".join(f"{rank}: epoch={e} loss={1 / (e + 1):.4f} accuracy: {e / 10}\n" for e in range(5) for rank in (0, 1))
    for regex in patterns[:40]:
        definitions = {"MetricDefinitions": [{"Name": "m", "Regex": regex}]}
        seeds.add("log_extractor_fuzzer", escaped(json.dumps(definitions)) + log)
    ffdl = {"evaluation_metrics": {"type": "optimizer", "in": "$JOB_STATE_DIR/logs",
                                   "line_lookahead": 4,
                                   "eventTypes": {"train": {"pattern": r"Step (?P<iteration>\d+) loss=(?P<loss>\S+)"}}}}
    seeds.add("log_extractor_fuzzer", escaped(json.dumps(ffdl)) + "0: Step 3 loss=0.5\n1: Step 4 loss=0.25\n")
    seeds.add("log_extractor_fuzzer", escaped("null") + log)
    framed = b""
    for step, how in enumerate(("simple_value", "float_val", "tensor_content_double", "int64_val")):
        event = events.scalar_event(step, "loss", 0.5 + step, how)
        seeds.add("event_decoder_fuzzer", event)
        framed += events.record(event)
    for cut in (0, 128, 255):
        seeds.add("tfrecord_reader_fuzzer", bytes([cut]) + framed)


def slurm(seeds):
    selectors = {"sacct": 0, "squeue": 1, "sinfo": 4}
    for path in glob.glob(os.path.join(ROOT, "core", "testdata", "*.txt")):
        name = os.path.basename(path)
        selector = next((n for prefix, n in selectors.items() if name.startswith(prefix)), 2)
        seeds.add("slurm_output_fuzzer", bytes([selector]) + read(path))
    seeds.add("slurm_output_fuzzer", b"\x02361|mljob:alice:job_1\n362|mljob:alice:a|b\n")
    seeds.add("slurm_output_fuzzer", b"\x03361+0|mljob:alice:job_1\n361+1|mljob:alice:job_1\n")
    seeds.add("slurm_output_fuzzer", b"\x051700000000\n")
    seeds.add("slurm_output_fuzzer", b"\x06361_[3-5,7%2]\n361_4")


def plugin(seeds):
    """FuzzedDataProvider takes integers from the end: the selector is the last byte."""
    texts = {0: ["n[1-4,7]", "gpu-a[01-03]-b[1-2],login", "n1"],
             1: ["2(x3),1", "4", "1(x2),2(x4)"],
             2: ["master:1,worker:3;ps:2", "chief:1,worker;evaluator:1", "worker:2"],
             3: ["tf,torch,sagemaker", "tf"], 4: ["23000", "0"], 5: ["1", "0", "yes"],
             6: ["closest", "none", "closest:strict"]}
    for selector, values in texts.items():
        for value in values:
            seeds.add("plugin_parsers_fuzzer", value.encode() + bytes([selector]))
    seeds.add("plugin_parsers_fuzzer", escaped("port_base=20000") + escaped("bind=closest") + "\x07")
    # Name picks (one byte, from the end before the values) and values, for a 2-component job.
    environment = [(1, "2"), (4, "n[1-3]"), (7, "n1"), (8, "n[2-3]"), (12, "1,2"), (13, "master:1;worker:2")]
    data = b""
    for index, value in environment:
        data += escaped(value).encode()
    picks = bytes(index for index, _ in environment)
    seeds.add("plugin_parsers_fuzzer", data + picks[::-1] + b"\x08")


def study(seeds):
    lines = [{"trialId": "1", "value": 0.5}, {"trialId": "2", "step": 1, "value": 0.25},
             {"trialId": "2", "failed": True, "reason": "out of memory"}, {"trialId": "3", "value": 0.9, "final": True}]
    seeds.add("study_protocol_fuzzer", "".join(json.dumps(line) + "\n" for line in lines))
    seeds.add("study_protocol_fuzzer", "\n".join(json.dumps({"trialId": str(i), "value": i / 10}) for i in range(1, 9)))


def prediction(seeds):
    """Format (last byte), then begin and length (two bytes each, from the end), then the file."""
    def tail(fmt, begin, length):
        return struct.pack("<H", length) + struct.pack("<H", begin) + bytes([fmt])
    lines = "".join(json.dumps({"x": [i, i / 2]}) + "\n" for i in range(20)).encode()
    seeds.add("prediction_records_fuzzer", lines + tail(0, 0, 4000))
    seeds.add("prediction_records_fuzzer", lines + tail(0, 37, 200))
    seeds.add("prediction_records_fuzzer", b"a line\nanother\r\n\n" + tail(1, 0, 100))
    seeds.add("prediction_records_fuzzer", b"1,2,3\n\"a,b\",4,5\n" + tail(2, 0, 100))
    records = b"".join(events.record(json.dumps({"x": [i]}).encode()) for i in range(8))
    seeds.add("prediction_records_fuzzer", records + tail(3, 0, 4000))
    seeds.add("prediction_records_fuzzer", records + tail(3, 30, 100))
    seeds.add("prediction_records_fuzzer", gzip.compress(records) + tail(4, 0, 0))


def main():
    conformance, out = sys.argv[1], sys.argv[2]
    seeds = Seeds(out)
    front_doors(seeds, conformance)
    metrics(seeds, conformance)
    slurm(seeds)
    plugin(seeds)
    study(seeds)
    prediction(seeds)
    for target, count in sorted(seeds.counts.items()):
        print(f"{target}: {count} seeds")


if __name__ == "__main__":
    main()
