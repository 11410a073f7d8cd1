"""Models, packages and input files for batch prediction's cluster tests and benchmark.

Import it by putting this folder on sys.path (tests/cluster's tests and bench/ alike); it imports no
other test module and nothing outside the standard library until a helper needs it (numpy, sklearn
and joblib for sklearn models, torch for TorchScript models, crcmod for TFRecord files).

score_directly() computes the predictions mljob should produce in this one Python process, loading
the model with joblib, torch or the predictor class itself, never through mljob's predictor server;
first_difference() compares them with mljob's output with a tolerance.
"""
import gzip as gzip_module
import csv
import importlib
import json
import math
import os
import random
import struct
import sys

FEATURES = 4
CLASSES = 3


# -- models ----------------------------------------------------------------------------------------

def make_sklearn_model(folder, seed=0):
    """folder/model.joblib: a LogisticRegression on 4 numeric features and 3 classes (0, 1, 2),
    trained on synthetic data drawn with seed. Returns the file's path."""
    import joblib
    import numpy
    from sklearn.linear_model import LogisticRegression

    rng = numpy.random.RandomState(seed)
    x = rng.normal(size=(600, FEATURES))
    weights = rng.normal(size=(FEATURES, CLASSES))
    y = numpy.argmax(x @ weights + 0.3 * rng.normal(size=(600, CLASSES)), axis=1)
    model = LogisticRegression(max_iter=1000).fit(x, y)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.joblib")
    joblib.dump(model, path)
    return path


def make_torchscript_model(folder, seed=0):
    """folder/model.pt: an MLP 4 -> 16 -> 3 (ReLU between) with weights drawn with seed, saved with
    torch.jit.save(torch.jit.script(...)). The global torch RNG is left as it was. Returns the path."""
    import torch

    class Mlp(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = torch.nn.Linear(FEATURES, 16)
            self.out = torch.nn.Linear(16, CLASSES)

        def forward(self, x):
            return self.out(torch.relu(self.hidden(x)))

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        module = torch.jit.script(Mlp().eval())
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.pt")
    torch.jit.save(module, path)
    return path


PREDICTOR_SOURCE = '''\
"""A custom prediction routine for mljob's tests: the sum of an instance's values, times a scale."""
import json
import os
import time


class ScalingPredictor:
    def __init__(self, scale, delay):
        self.scale = scale
        self.delay = delay

    @classmethod
    def from_path(cls, model_dir):
        with open(os.path.join(model_dir, "scale.json")) as f:
            settings = json.load(f)
        return cls(float(settings["scale"]), float(settings.get("delay", 0.0)))

    def predict(self, instances, **kwargs):
        if self.delay > 0:
            time.sleep(self.delay)
        # A TEXT instance is a line, "1.5,2,...": its values are read from it.
        return [sum(float(v) for v in x.split(",")) * self.scale if isinstance(x, str) else sum(x) * self.scale
                for x in instances]
'''

SETUP_SOURCE = '''\
from setuptools import setup

setup(name="my_predictor", version="0.1", packages=["my_predictor"], py_modules=[])
'''

PREDICTION_CLASS = "my_predictor.predictor.ScalingPredictor"


def make_custom_package(folder):
    """folder/pkg: a Python package folder (setup.py, my_predictor/__init__.py, my_predictor/predictor.py)
    whose my_predictor.predictor.ScalingPredictor (PREDICTION_CLASS) is a custom prediction routine:
    from_path(model_dir) reads model_dir/scale.json ({"scale": S, "delay": D}, see make_custom_model) and
    predict(instances, **kwargs) returns [sum(x) * S for x in instances], sleeping D seconds per call first.
    Returns folder/pkg, the folder to put on the predictor's pythonPath (or to package with setup.py)."""
    package = os.path.join(folder, "pkg")
    module = os.path.join(package, "my_predictor")
    os.makedirs(module, exist_ok=True)
    files = {os.path.join(package, "setup.py"): SETUP_SOURCE,
             os.path.join(module, "__init__.py"): '"""mljob\'s test prediction routine."""\n',
             os.path.join(module, "predictor.py"): PREDICTOR_SOURCE}
    for path, text in files.items():
        with open(path, "w") as f:
            f.write(text)
    return package


def make_custom_model(folder, scale=2.0, delay=0.0):
    """folder/scale.json for ScalingPredictor: its scale, and the seconds each predict call sleeps
    (so that a test can kill a shard midway). Returns the file's path."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "scale.json")
    with open(path, "w") as f:
        json.dump({"scale": scale, "delay": delay}, f)
    return path


# -- input files -----------------------------------------------------------------------------------

def make_instances(n, seed=0):
    """n instances, each a list of 4 floats (normal, rounded to 6 decimals so that every text form
    of them reads back exactly)."""
    rng = random.Random(seed)
    return [[round(rng.gauss(0.0, 1.0), 6) for _ in range(FEATURES)] for _ in range(n)]


def write_json_lines(path, instances):
    """One instance a line, as JSON (the JSON data format)."""
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(instance, separators=(",", ":")) + "\n" for instance in instances)
    return path


def write_text_lines(path, lines):
    """One string a line, as is (the TEXT data format)."""
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(line + "\n" for line in lines)
    return path


def write_csv(path, instances):
    """One instance a row of comma-separated values, no header."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerows(instances)
    return path


_crc32c = None


def masked_crc32c(data):
    """TFRecord's checksum: CRC-32C, rotated right by 15 bits and offset by 0xa282ead8."""
    import crcmod.predefined

    global _crc32c
    if _crc32c is None:
        _crc32c = crcmod.predefined.mkCrcFun("crc-32c")
    crc = _crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord_bytes(payloads):
    """TFRecord framing of payloads, independent of mljob: per record, its length (uint64 little
    endian), the masked CRC-32C of those 8 bytes (uint32), the payload and the payload's masked CRC."""
    chunks = []
    for payload in payloads:
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        length = struct.pack("<Q", len(payload))
        chunks += [length, struct.pack("<I", masked_crc32c(length)), payload,
                   struct.pack("<I", masked_crc32c(payload))]
    return b"".join(chunks)


def write_tfrecord(path, payloads, gzip=False):
    """A TFRecord file of payloads (bytes; a str is written as UTF-8); gzip=True: the TF_RECORD_GZIP
    form, the same bytes through Python's gzip module."""
    data = tfrecord_bytes(payloads)
    if gzip:
        with gzip_module.open(path, "wb") as f:
            f.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)
    return path


# -- expected predictions --------------------------------------------------------------------------

def plain(value):
    """A prediction as the plain JSON value mljob writes: numpy and torch values through tolist(),
    tuples as lists, NaN and infinities as None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int)):
        return value
    if hasattr(value, "tolist"):
        return plain(value.tolist())
    raise TypeError(f"no JSON form for a {type(value).__name__}")


def score_directly(kind, model_folder, instances, signature="", prediction_class=None, python_path=()):
    """The predictions of instances by the model in model_folder, computed here in one process:
    kind "sklearn" (joblib.load of model.joblib or model.pkl, the method signature or predict on
    numpy.asarray(instances)), "torchscript" (torch.jit.load of model.pt, the method signature or
    forward on a float32 tensor, under no_grad) or "custom" (prediction_class, imported with
    python_path first on sys.path, from_path(model_folder).predict(instances)). One plain JSON value
    per instance (see plain())."""
    if kind == "sklearn":
        import joblib
        import numpy

        path = os.path.join(model_folder, "model.joblib")
        if not os.path.exists(path):
            path = os.path.join(model_folder, "model.pkl")
        model = joblib.load(path)
        result = getattr(model, signature or "predict")(numpy.asarray(instances))
        return plain(result)
    if kind == "torchscript":
        import torch

        module = torch.jit.load(os.path.join(model_folder, "model.pt"), map_location="cpu")
        module.eval()
        with torch.no_grad():
            output = getattr(module, signature or "forward")(torch.tensor(instances, dtype=torch.float32))
        if isinstance(output, dict):
            columns = {k: v.tolist() for k, v in output.items()}
            return [plain({k: columns[k][i] for k in columns}) for i in range(len(instances))]
        if isinstance(output, (tuple, list)):
            columns = [v.tolist() for v in output]
            return [plain([c[i] for c in columns]) for i in range(len(instances))]
        return plain(output.tolist())
    if kind == "custom":
        for folder in reversed(list(python_path)):
            if folder not in sys.path:
                sys.path.insert(0, folder)
        module_name, _, class_name = (prediction_class or PREDICTION_CLASS).rpartition(".")
        cls = getattr(importlib.import_module(module_name), class_name)
        result = cls.from_path(model_folder).predict(instances)
        return plain(result.tolist() if hasattr(result, "tolist") else list(result))
    raise ValueError(f"kind {kind!r}: not sklearn, torchscript or custom")


def first_difference(expected, actual, tolerance=1e-5, where="prediction"):
    """None when actual matches expected (numbers within tolerance, relative to the larger
    magnitude, or absolute below 1); otherwise a sentence naming the first place they differ."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return None if expected == actual else f"{where}: expected {expected!r}, got {actual!r}"
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        scale = max(1.0, abs(expected), abs(actual))
        return None if abs(expected - actual) <= tolerance * scale else \
            f"{where}: expected {expected!r}, got {actual!r}"
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return f"{where}: expected {len(expected)} items, got {len(actual)}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            found = first_difference(e, a, tolerance, f"{where}[{i}]")
            if found:
                return found
        return None
    if isinstance(expected, dict) and isinstance(actual, dict):
        if set(expected) != set(actual):
            return f"{where}: expected keys {sorted(expected)}, got {sorted(actual)}"
        for k in expected:
            found = first_difference(expected[k], actual[k], tolerance, f"{where}[{k!r}]")
            if found:
                return found
        return None
    return None if expected == actual else f"{where}: expected {expected!r}, got {actual!r}"


__all__ = ["make_sklearn_model", "make_torchscript_model", "make_custom_package", "make_custom_model",
           "make_instances", "write_json_lines", "write_text_lines", "write_csv", "write_tfrecord",
           "tfrecord_bytes", "masked_crc32c", "score_directly", "plain", "first_difference",
           "PREDICTION_CLASS"]
