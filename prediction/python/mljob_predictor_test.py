"""mljob_predictor.py run as the shard worker runs it: `/usr/bin/python3 -c SOURCE CONFIG_JSON`, with
batches written to its stdin and replies read from its stdout, for each predictor kind (sklearn,
TorchScript, custom prediction routine). The models are built here in a temporary folder.

    /usr/bin/python3 prediction/python/mljob_predictor_test.py
"""
import contextlib
import io
import json
import math
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import unittest

PYTHON = "/usr/bin/python3"
HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "mljob_predictor.py"), encoding="utf-8") as f:
    SOURCE = f.read()
TIMEOUT = 60
TOLERANCE = 1e-6


class Server:
    """One predictor server process, read line by line with a timeout."""

    def __init__(self, config, cwd=None):
        self.process = subprocess.Popen([PYTHON, "-c", SOURCE, json.dumps(config)], cwd=cwd,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines = queue.Queue()
        self.stderr_chunks = []
        self.readers = [threading.Thread(target=self._read_stdout, daemon=True),
                        threading.Thread(target=self._read_stderr, daemon=True)]
        for reader in self.readers:
            reader.start()

    def _read_stdout(self):
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _read_stderr(self):
        self.stderr_chunks.append(self.process.stderr.read())

    @property
    def stderr(self):
        return b"".join(self.stderr_chunks).decode("utf-8", "replace")

    def line(self):
        """The next line of stdout, parsed."""
        raw = self.lines.get(timeout=TIMEOUT)
        if raw is None:
            self.process.wait(TIMEOUT)
            for reader in self.readers:
                reader.join(TIMEOUT)
            raise AssertionError(f"stdout ended (status {self.process.returncode}); stderr:\n{self.stderr}")
        assert raw.endswith(b"\n"), raw
        return json.loads(raw)

    def ready(self):
        return self.line()

    def batch(self, instances):
        """(header, predictions) of one batch."""
        self.process.stdin.write(json.dumps(instances).encode("utf-8") + b"\n")
        self.process.stdin.flush()
        header = self.line()
        return header, [self.line() for _ in range(header["count"])]

    def send(self, raw):
        self.process.stdin.write(raw)
        self.process.stdin.flush()

    def close(self):
        """Closes stdin (EOF); the exit status and whatever stdout held that was not read."""
        self.process.stdin.close()
        status = self.process.wait(TIMEOUT)
        for reader in self.readers:
            reader.join(TIMEOUT)
        self.process.stdout.close()
        self.process.stderr.close()
        rest = []
        while True:
            item = self.lines.get_nowait()
            if item is None:
                return status, rest
            rest.append(item)


def load_error(config, cwd=None):
    """(status, the {"error"} message, stderr) of a server that must fail to load."""
    server = Server(config, cwd)
    line = server.line()
    status, rest = server.close()
    assert rest == [], rest
    assert set(line) == {"error"}, line
    return status, line["error"], server.stderr


def plain(value):
    """numpy values as the JSON the server writes (NaN and infinities as None)."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class Case(unittest.TestCase):
    def assertClose(self, expected, actual, where="prediction"):
        if isinstance(expected, dict):
            self.assertEqual(sorted(expected), sorted(actual), where)
            for k in expected:
                self.assertClose(expected[k], actual[k], f"{where}[{k!r}]")
        elif isinstance(expected, list):
            self.assertIsInstance(actual, list, where)
            self.assertEqual(len(expected), len(actual), where)
            for i, (e, a) in enumerate(zip(expected, actual)):
                self.assertClose(e, a, f"{where}[{i}]")
        elif isinstance(expected, float):
            self.assertIsInstance(actual, (int, float), where)
            self.assertAlmostEqual(expected, actual, delta=TOLERANCE * max(1.0, abs(expected)), msg=where)
        else:
            self.assertEqual(expected, actual, where)

    def assertErrors(self, header, count, expected):
        """header counts count instances and fails exactly those of expected {index: message start}."""
        self.assertEqual(count, header["count"])
        self.assertEqual(sorted(expected), [i for i, _ in header["errors"]], header)
        for i, text in header["errors"]:
            self.assertTrue(text.startswith(expected[i]), f"instance {i}: {text!r} (expected {expected[i]!r}...)")

    def assertClean(self, server):
        """EOF ends the server with status 0, and stdout held nothing but the protocol."""
        status, rest = server.close()
        self.assertEqual([], rest, "stdout held more than the protocol")
        self.assertEqual(0, status, server.stderr)


INSTANCES = [[0.5, -1.0, 2.0, 0.25], [1.5, 0.0, -0.5, -2.0], [-0.3, 0.7, 0.1, 1.1], [2.0, 2.0, -1.0, 0.0],
             [0.0, 0.0, 0.0, 0.0]]

NOISY_STEP = '''\
import os

from sklearn.base import BaseEstimator, TransformerMixin


class Noisy(BaseEstimator, TransformerMixin):
    """A pipeline step that prints, on sys.stdout and on fd 1 itself."""

    def fit(self, x, y=None):
        return self

    def fit_transform(self, x, y=None):  # training is quiet
        return x

    def transform(self, x):
        print("noisy transform of", len(x), "rows")
        os.write(1, b"noisy write to fd 1\\n")
        return x
'''


class SklearnTest(Case):
    @classmethod
    def setUpClass(cls):
        import joblib
        import numpy
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline

        cls.tmp = tempfile.mkdtemp(prefix="mljob_predictor_test.")
        rng = numpy.random.RandomState(0)
        x = rng.normal(size=(300, 4))
        y = numpy.argmax(x[:, :3] + 0.2 * rng.normal(size=(300, 3)), axis=1)
        cls.model = LogisticRegression(max_iter=500).fit(x, y)
        cls.model_dir = os.path.join(cls.tmp, "lr")
        os.makedirs(cls.model_dir)
        joblib.dump(cls.model, os.path.join(cls.model_dir, "model.joblib"))

        cls.modules = os.path.join(cls.tmp, "modules")
        os.makedirs(cls.modules)
        with open(os.path.join(cls.modules, "noisy_step.py"), "w") as f:
            f.write(NOISY_STEP)
        sys.path.insert(0, cls.modules)
        try:
            import noisy_step
            pipeline = Pipeline([("noisy", noisy_step.Noisy()), ("lr", LogisticRegression(max_iter=500))]).fit(x, y)
        finally:
            sys.path.remove(cls.modules)
        cls.noisy_dir = os.path.join(cls.tmp, "noisy")
        os.makedirs(cls.noisy_dir)
        joblib.dump(pipeline, os.path.join(cls.noisy_dir, "model.pkl"))
        cls.empty_dir = os.path.join(cls.tmp, "empty")
        os.makedirs(cls.empty_dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def config(self, model_dir, **extra):
        return {"predictor": "sklearn", "modelDir": model_dir, "signatureName": "", "threads": 1, **extra}

    def test_batches_and_bad_instances(self):
        import numpy
        server = Server(self.config(self.model_dir))
        self.assertEqual({"ready": True, "predictor": "sklearn", "signature": "predict"}, server.ready())
        header, predictions = server.batch(INSTANCES)
        self.assertErrors(header, len(INSTANCES), {})
        self.assertEqual(self.model.predict(numpy.asarray(INSTANCES)).tolist(), predictions)

        batch = [INSTANCES[0], ["a", "b", "c", "d"], [1.0, 2.0, 3.0], INSTANCES[1]]
        header, predictions = server.batch(batch)
        self.assertErrors(header, 4, {1: "ValueError: ", 2: "ValueError: X has 3 features"})
        expected = self.model.predict(numpy.asarray([INSTANCES[0], INSTANCES[1]])).tolist()
        self.assertEqual([expected[0], None, None, expected[1]], predictions)

        header, predictions = server.batch([])
        self.assertEqual(({"count": 0, "errors": []}, []), (header, predictions))
        self.assertClean(server)

    def test_signature_and_nan(self):
        import numpy
        server = Server(self.config(self.model_dir, signatureName="predict_log_proba"))
        self.assertEqual("predict_log_proba", server.ready()["signature"])
        # Overflowing decision values: a row of NaN, and a row with -inf.
        batch = [INSTANCES[0], [1e308, -1e308, 1e308, 1e308], [1e300, 1e300, 0.0, 0.0]]
        header, predictions = server.batch(batch)
        self.assertErrors(header, 3, {})
        with numpy.errstate(all="ignore"):
            expected = plain(self.model.predict_log_proba(numpy.asarray(batch)))
        self.assertIn(None, expected[1])
        self.assertIn(None, expected[2])
        self.assertClose(expected, predictions)
        self.assertClean(server)

    def test_prints_do_not_reach_the_protocol(self):
        server = Server(self.config(self.noisy_dir, pythonPath=[self.modules]))
        self.assertEqual("sklearn", server.ready()["predictor"])
        header, predictions = server.batch(INSTANCES[:2])
        self.assertErrors(header, 2, {})
        self.assertEqual(2, len(predictions))
        self.assertClean(server)
        self.assertIn("noisy transform of 2 rows", server.stderr)
        self.assertIn("noisy write to fd 1", server.stderr)

    def test_missing_model_file(self):
        status, error, _ = load_error(self.config(self.empty_dir))
        self.assertEqual(1, status)
        self.assertIn("model.joblib: no such file in " + self.empty_dir, error)
        self.assertIn("model.pkl", error)

    def test_missing_signature(self):
        status, error, _ = load_error(self.config(self.model_dir, signatureName="transform"))
        self.assertEqual(1, status)
        for word in ("transform", "LogisticRegression", "predict_proba", "decision_function"):
            self.assertIn(word, error)


TORCH_MODEL = '''\
from typing import Dict, Tuple

import torch


class Mlp(torch.nn.Module):
    """4 -> 8 -> 3, with methods exported besides forward."""

    def __init__(self):
        super().__init__()
        self.hidden = torch.nn.Linear(4, 8)
        self.out = torch.nn.Linear(8, 3)

    def forward(self, x):
        print("forward of", x.size(0), "rows")
        return self.out(torch.relu(self.hidden(x)))

    @torch.jit.export
    def embed(self, x):
        return torch.relu(self.hidden(x))

    @torch.jit.export
    def pair(self, x) -> Tuple[torch.Tensor, torch.Tensor]:
        h = torch.relu(self.hidden(x))
        return self.out(h), h

    @torch.jit.export
    def named(self, x) -> Dict[str, torch.Tensor]:
        h = torch.relu(self.hidden(x))
        return {"logits": self.out(h), "embedding": h}
'''


class TorchScriptTest(Case):
    @classmethod
    def setUpClass(cls):
        import torch

        cls.tmp = tempfile.mkdtemp(prefix="mljob_predictor_test.")
        with open(os.path.join(cls.tmp, "torch_mlp.py"), "w") as f:
            f.write(TORCH_MODEL)
        sys.path.insert(0, cls.tmp)
        try:
            import torch_mlp
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                cls.module = torch.jit.script(torch_mlp.Mlp().eval())
        finally:
            sys.path.remove(cls.tmp)
        cls.model_dir = os.path.join(cls.tmp, "mlp")
        os.makedirs(cls.model_dir)
        torch.jit.save(cls.module, os.path.join(cls.model_dir, "model.pt"))
        cls.empty_dir = os.path.join(cls.tmp, "empty")
        os.makedirs(cls.empty_dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def config(self, **extra):
        return {"predictor": "torchscript", "modelDir": self.model_dir, "signatureName": "", "threads": 1, **extra}

    def expected(self, method, instances):
        import torch
        with torch.no_grad(), contextlib.redirect_stdout(io.StringIO()):  # forward prints
            return getattr(self.module, method)(torch.tensor(instances, dtype=torch.float32))

    def test_forward_bad_instances_nan_and_prints(self):
        server = Server(self.config())
        self.assertEqual({"ready": True, "predictor": "torchscript", "signature": "forward"}, server.ready())
        header, predictions = server.batch(INSTANCES)
        self.assertErrors(header, len(INSTANCES), {})
        self.assertClose(self.expected("forward", INSTANCES).tolist(), predictions)

        batch = [INSTANCES[0], "abcd", [1.0, 2.0, 3.0], [1e39, 0.0, 0.0, 0.0]]  # 1e39: inf in float32
        header, predictions = server.batch(batch)
        self.assertErrors(header, 4, {1: "ValueError: ", 2: "RuntimeError: mat1 and mat2 shapes cannot be multiplied"})
        self.assertEqual([None] * 3, predictions[3])
        self.assertEqual([None, None], predictions[1:3])
        self.assertClose(self.expected("forward", INSTANCES[:1]).tolist()[0], predictions[0])
        self.assertClean(server)
        self.assertIn("forward of 5 rows", server.stderr)

    def test_exported_methods(self):
        servers = {name: Server(self.config(signatureName=name)) for name in ("embed", "pair", "named")}
        for name, server in servers.items():
            self.assertEqual(name, server.ready()["signature"])
            header, predictions = server.batch(INSTANCES)
            self.assertErrors(header, len(INSTANCES), {})
            output = self.expected(name, INSTANCES)
            if name == "embed":
                expected = output.tolist()
                self.assertEqual(8, len(predictions[0]))
            elif name == "pair":
                expected = [list(row) for row in zip(output[0].tolist(), output[1].tolist())]
            else:
                expected = [{"logits": a, "embedding": b}
                            for a, b in zip(output["logits"].tolist(), output["embedding"].tolist())]
            self.assertClose(expected, predictions, name)
            self.assertClean(server)

    def test_missing_model_file(self):
        status, error, _ = load_error(dict(self.config(), modelDir=self.empty_dir))
        self.assertEqual(1, status)
        self.assertIn("model.pt: no such file in " + self.empty_dir, error)

    def test_missing_method(self):
        status, error, _ = load_error(self.config(signatureName="serving_default"))
        self.assertEqual(1, status)
        self.assertIn("serving_default", error)
        for name in ("forward", "embed", "pair", "named"):
            self.assertIn(name, error.split("its methods are")[1])


CUSTOM_PREDICTOR = '''\
import json
import os
import sys


class Predictor:
    def __init__(self, settings):
        self.scale = settings["scale"]
        self.drop_last = settings.get("drop_last", False)

    @classmethod
    def from_path(cls, model_dir):
        print("from_path of", model_dir)
        with open(os.path.join(model_dir, "settings.json")) as f:
            return cls(json.load(f))

    def predict(self, instances, **kwargs):
        print("predict of", len(instances), "instances")
        os.write(1, b"predict wrote to fd 1\\n")
        predictions = []
        for x in instances:
            if x == "nan":
                predictions.append(float("nan"))
            elif x == "inf":
                predictions.append({"a": [1.0, float("inf")], "b": -float("inf")})
            elif x == "numpy":
                import numpy
                predictions.append(numpy.array([numpy.float32(1.5), numpy.nan]))
            elif x == "stdin":
                predictions.append(len(sys.stdin.read()))
            else:
                predictions.append(sum(x) * self.scale)
        return predictions[:-1] if self.drop_last else predictions
'''


class CustomTest(Case):
    CLASS = "test_routine.predictor.Predictor"

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mljob_predictor_test.")
        cls.package = os.path.join(cls.tmp, "package")
        os.makedirs(os.path.join(cls.package, "test_routine"))
        with open(os.path.join(cls.package, "test_routine", "__init__.py"), "w") as f:
            f.write("")
        with open(os.path.join(cls.package, "test_routine", "predictor.py"), "w") as f:
            f.write(CUSTOM_PREDICTOR)
        cls.model_dir = cls.model(os.path.join(cls.tmp, "model"), {"scale": 3.0})
        cls.dropping_dir = cls.model(os.path.join(cls.tmp, "dropping"), {"scale": 1.0, "drop_last": True})
        cls.empty_dir = os.path.join(cls.tmp, "empty")
        os.makedirs(cls.empty_dir)
        # A folder whose json.py would break the server if the current folder were on sys.path.
        cls.shadowing = os.path.join(cls.tmp, "shadowing")
        os.makedirs(cls.shadowing)
        with open(os.path.join(cls.shadowing, "json.py"), "w") as f:
            f.write("raise SystemExit('the current folder shadowed the json module')\n")

    @staticmethod
    def model(folder, settings):
        os.makedirs(folder)
        with open(os.path.join(folder, "settings.json"), "w") as f:
            json.dump(settings, f)
        return folder

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def config(self, **extra):
        return {"predictor": "custom", "modelDir": self.model_dir, "predictionClass": self.CLASS,
                "pythonPath": [self.package], "signatureName": "", "threads": 0, **extra}

    def test_batches_bad_instances_nan_and_prints(self):
        server = Server(self.config(), cwd=self.shadowing)
        self.assertEqual({"ready": True, "predictor": "custom", "signature": "predict"}, server.ready())
        header, predictions = server.batch(INSTANCES)
        self.assertErrors(header, len(INSTANCES), {})
        self.assertClose([sum(x) * 3.0 for x in INSTANCES], predictions)

        header, predictions = server.batch(["nan", "inf", "numpy", "stdin", [1, 2, 3, 4]])
        self.assertErrors(header, 5, {})
        self.assertEqual([None, {"a": [1.0, None], "b": None}, [1.5, None], 0, 30.0], predictions)

        header, predictions = server.batch([[1, 1, 1, 1], "abc", [2, 2, 2, 2], None])
        self.assertErrors(header, 4, {1: "TypeError: unsupported operand", 3: "TypeError: "})
        self.assertEqual([12.0, None, 24.0, None], predictions)

        self.assertClean(server)
        self.assertIn("from_path of " + self.model_dir, server.stderr)
        self.assertIn("predict of 5 instances", server.stderr)
        self.assertIn("predict wrote to fd 1", server.stderr)

    def test_count_mismatch_fails_the_batch(self):
        server = Server(self.config(modelDir=self.dropping_dir))
        server.ready()
        header, predictions = server.batch(INSTANCES[:3])
        self.assertErrors(header, 3, {i: "the predictor returned 2 predictions for 3 instances" for i in range(3)})
        self.assertEqual([None] * 3, predictions)
        self.assertClean(server)

    def test_load_errors(self):
        cases = [
            (self.config(predictionClass="test_routine.nowhere.Predictor"),
             ["test_routine.nowhere.Predictor", "cannot import module test_routine.nowhere", "ModuleNotFoundError"]),
            (self.config(predictionClass="test_routine.predictor.Missing"),
             ["test_routine.predictor.Missing", "has no Missing"]),
            (self.config(modelDir=self.empty_dir),
             ["Predictor.from_path", "FileNotFoundError", os.path.join(self.empty_dir, "settings.json")]),
            (self.config(signatureName="serving_default"), ["serving_default", "custom prediction routine"]),
            (self.config(modelDir=os.path.join(self.tmp, "nowhere")), ["no such folder"]),
            (dict(self.config(), predictor="tensorflow"), ["tensorflow", "sklearn, torchscript, custom"]),
        ]
        for config, words in cases:
            status, error, _ = load_error(config)
            self.assertEqual(1, status, error)
            for word in words:
                self.assertIn(word, error)

    def test_a_line_that_is_not_a_batch(self):
        for raw in (b'{"instances": []}\n', b"[1, 2\n"):
            server = Server(self.config())
            server.ready()
            server.send(raw)
            self.assertEqual({"error"}, set(server.line()))
            status, rest = server.close()
            self.assertEqual((1, []), (status, rest))


class OutputTest(Case):
    """Strings and other JSON values pass through; the reply is ASCII JSON, one value a line."""

    def test_text_instances(self):
        tmp = tempfile.mkdtemp(prefix="mljob_predictor_test.")
        try:
            os.makedirs(os.path.join(tmp, "echo_routine"))
            with open(os.path.join(tmp, "echo_routine", "__init__.py"), "w") as f:
                f.write(textwrap.dedent('''\
                    class Echo:
                        @classmethod
                        def from_path(cls, model_dir):
                            return cls()

                        def predict(self, instances, **kwargs):
                            return [{"text": x, "bytes": x.encode("utf-8")} for x in instances]
                    '''))
            server = Server({"predictor": "custom", "modelDir": tmp, "predictionClass": "echo_routine.Echo",
                             "pythonPath": [tmp]})
            server.ready()
            texts = ["caf\u00e9 \u2603", "line\nbreak\ttab", "\U0001f600", ""]
            header, predictions = server.batch(texts)
            self.assertErrors(header, len(texts), {})
            import base64
            self.assertEqual([{"text": t, "bytes": {"b64": base64.b64encode(t.encode("utf-8")).decode()}}
                              for t in texts], predictions)
            self.assertClean(server)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
