"""mljob's predictor server: the Python half of a batch prediction shard.

The shard worker (C++) embeds this file's text and runs it as

    PYTHON -c "<this source>" CONFIG_JSON

CONFIG_JSON is one argument: {"predictor": "sklearn" | "torchscript" | "custom", "modelDir": "/path",
"predictionClass": "module.Class" (custom only), "pythonPath": ["/folder", ...], "signatureName": "",
"threads": N}. Only the standard library is imported here; numpy, joblib and torch are imported when a
predictor of their kind is loaded. The file is ASCII and stays far below Linux's 128 KiB limit on one
argument.

Protocol, UTF-8 lines (JSON is written ASCII-only, so a line never holds a raw newline):
  * The real stdout (fd 1) is kept for the protocol; fd 1 and sys.stdout then point at stderr, and
    stdin (fd 0) is kept likewise with fd 0 and sys.stdin pointing at /dev/null: whatever user code or
    a library prints or reads never touches the protocol.
  * After loading the model, one line: {"ready":true,"predictor":KIND,"signature":NAME} (NAME: the
    method called), or {"error":"MESSAGE"} and exit status 1.
  * Then per line read, a JSON array of instances (one batch), the reply: a header line
    {"count":N,"errors":[[INDEX,"MESSAGE"],...]} and exactly N lines, each the JSON of one prediction
    (null for an instance that failed), written at once and flushed. EOF: exit status 0. A line that is
    not a JSON array is a fault of the worker: {"error":"MESSAGE"} instead of a header, exit status 1.
  * The batch is predicted in one call; if that raises, each instance is predicted alone (a batch of
    one), so that only the bad instances fail, each with its own "ExceptionType: message". A
    predictor that returns another number of predictions than instances fails all of the batch's
    instances with that message. NaN and infinities in predictions become null.
"""
import sys

# `python -c` puts the current folder first on sys.path: a json.py there must not replace the
# standard library's, nor any file there a user's module.
if sys.path and sys.path[0] == "":
    del sys.path[0]

import base64
import importlib
import json
import math
import os
import traceback

KINDS = ("sklearn", "torchscript", "custom")
SKLEARN_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function", "transform",
                   "score_samples")
MESSAGE_LIMIT = 2000
TORCHSCRIPT_TRACE = "The following operation failed in the TorchScript interpreter"


class LoadError(Exception):
    """A model that cannot be served; its text is the {"error"} line."""


def describe(exc):
    """'ExceptionType: message', on one line of at most MESSAGE_LIMIT characters. TorchScript's
    errors carry the script's traceback first and the error itself on their last line."""
    text = str(exc)
    name = type(exc).__name__
    if TORCHSCRIPT_TRACE in text:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        text = lines[-1] if lines else text
        if text.startswith(name + ": "):
            text = text[len(name) + 2:]
    text = f"{name}: {text}" if text else name
    text = " ".join(text.split())
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT - 3] + "..."


def json_default(value):
    """numpy arrays and scalars, torch tensors (tolist) and bytes (AI Platform's {"b64": ...})."""
    tolist = getattr(value, "tolist", None)
    if tolist is not None:
        return tolist()
    if isinstance(value, (bytes, bytearray)):
        return {"b64": base64.b64encode(value).decode("ascii")}
    raise TypeError(f"a prediction holds a {type(value).__name__}, which has no JSON form")


def finite(value):
    """value with every NaN and infinity replaced by None (JSON has no such numbers)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int)):
        return value
    tolist = getattr(value, "tolist", None)
    return finite(tolist()) if tolist is not None else value


ENCODE = json.JSONEncoder(separators=(",", ":"), allow_nan=False, default=json_default).encode


def rows(result):
    """A predictor's result as a list with one item per instance."""
    if isinstance(result, list):
        return result
    if not hasattr(result, "tolist") and hasattr(result, "toarray"):  # a scipy sparse matrix
        result = result.toarray()
    if hasattr(result, "tolist"):
        result = result.tolist()
    if isinstance(result, tuple):
        result = list(result)
    if not isinstance(result, list):
        raise TypeError(f"the predictor returned a {type(result).__name__}, not a list of predictions")
    return result


# -- configuration ---------------------------------------------------------------------------------

def read_config(argv):
    if len(argv) != 2:
        raise LoadError("usage: python -c SOURCE CONFIG_JSON (one argument, the configuration)")
    try:
        config = json.loads(argv[1])
    except ValueError as e:
        raise LoadError(f"CONFIG_JSON is not JSON: {e}")
    if not isinstance(config, dict):
        raise LoadError("CONFIG_JSON is not a JSON object")
    kind = config.get("predictor")
    if kind not in KINDS:
        raise LoadError(f"predictor {json.dumps(kind)}: not one of {', '.join(KINDS)}")
    model_dir = config.get("modelDir")
    if not isinstance(model_dir, str) or not model_dir:
        raise LoadError("modelDir: missing (the folder of the model)")
    path = config.get("pythonPath", [])
    if path is None:
        path = []
    if not isinstance(path, list) or not all(isinstance(p, str) for p in path):
        raise LoadError("pythonPath: not a list of folders")
    signature = config.get("signatureName") or ""
    if not isinstance(signature, str):
        raise LoadError("signatureName: not a string")
    threads = config.get("threads") or 0
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 0:
        raise LoadError(f"threads {json.dumps(threads)}: not a count (0 leaves the default)")
    if threads > 0 and hasattr(os, "sched_getaffinity"):
        # No more threads than the CPUs this process may run on: a worker's machine type may
        # promise more CPUs than a node without CPU binding has, and oversubscribed BLAS or
        # torch threads are slower than fewer.
        threads = min(threads, len(os.sched_getaffinity(0)))
    prediction_class = config.get("predictionClass") or ""
    if not isinstance(prediction_class, str):
        raise LoadError("predictionClass: not a string")
    return {"predictor": kind, "modelDir": model_dir, "pythonPath": path, "signatureName": signature,
            "threads": threads, "predictionClass": prediction_class}


def import_for(kind, module):
    try:
        return importlib.import_module(module)
    except Exception as e:
        raise LoadError(f"{kind}: cannot import {module}: {describe(e)}")


# -- sklearn ---------------------------------------------------------------------------------------

def load_sklearn(config):
    model_dir = config["modelDir"]
    for name in ("model.joblib", "model.pkl"):
        path = os.path.join(model_dir, name)
        if os.path.isfile(path):
            break
    else:
        raise LoadError(f"model.joblib: no such file in {model_dir} (an sklearn model is model.joblib or "
                        f"model.pkl, saved with joblib)")
    signature = config["signatureName"] or "predict"
    numpy = import_for("sklearn", "numpy")
    joblib = import_for("sklearn", "joblib")
    try:
        model = joblib.load(path)
    except Exception as e:
        traceback.print_exc()
        raise LoadError(f"{name}: cannot be loaded from {model_dir}: {describe(e)}")
    if signature not in SKLEARN_METHODS or not hasattr(model, signature):
        has = [m for m in SKLEARN_METHODS if hasattr(model, m)]
        raise LoadError(f"signatureName {json.dumps(signature)}: {name}'s estimator {type(model).__name__} has no "
                        f"method {signature} that can be a signature; it has {', '.join(has) or 'none'} (a "
                        f"signature is one of {', '.join(SKLEARN_METHODS)}; empty: predict)")
    method = getattr(model, signature)
    asarray = numpy.asarray

    def predict(instances):
        return rows(method(asarray(instances)))

    return predict, signature


# -- TorchScript -----------------------------------------------------------------------------------

def load_torchscript(config):
    model_dir = config["modelDir"]
    path = os.path.join(model_dir, "model.pt")
    if not os.path.isfile(path):
        raise LoadError(f"model.pt: no such file in {model_dir} (a TorchScript model is model.pt, saved "
                        f"with torch.jit.save)")
    torch = import_for("torchscript", "torch")
    if config["threads"] > 0:
        torch.set_num_threads(config["threads"])
    try:
        module = torch.jit.load(path, map_location="cpu")
        module.eval()
    except Exception as e:
        traceback.print_exc()
        raise LoadError(f"model.pt: cannot be loaded from {model_dir}: {describe(e)}")
    signature = config["signatureName"] or "forward"
    if not module._c._has_method(signature):
        methods = module._c._method_names()
        raise LoadError(f"signatureName {json.dumps(signature)}: model.pt's module has no method {signature}; "
                        f"its methods are {', '.join(methods) or 'none'} (export others with "
                        f"@torch.jit.export)")
    method = getattr(module, signature)
    tensor, float32, no_grad = torch.tensor, torch.float32, torch.no_grad

    def predict(instances):
        inputs = tensor(instances, dtype=float32)
        with no_grad():
            output = method(inputs)
        return torch_rows(output, len(instances))

    return predict, signature


def torch_rows(output, count):
    """A tensor: its rows. A tuple or list of tensors: per instance, a list of their rows. A dict of
    tensors: per instance, a dict of their rows."""
    if isinstance(output, dict):
        keys = list(output)
        parts = [output_part(output[k], f"output {json.dumps(str(k))}", count) for k in keys]
        return [dict(zip(keys, values)) for values in zip(*parts)] if keys else []
    if isinstance(output, (tuple, list)):
        parts = [output_part(v, f"output {i}", count) for i, v in enumerate(output)]
        return [list(values) for values in zip(*parts)] if parts else []
    return rows(output)


def output_part(value, name, count):
    part = value.tolist() if hasattr(value, "tolist") else value
    if not isinstance(part, (list, tuple)):
        raise TypeError(f"{name} is a {type(part).__name__}, not one row per instance")
    if len(part) != count:
        raise ValueError(f"{name} has {len(part)} rows for {count} instances")
    return part


# -- custom prediction routine ---------------------------------------------------------------------

def load_custom(config):
    name = config["predictionClass"]
    if config["signatureName"]:
        raise LoadError(f"signatureName {json.dumps(config['signatureName'])}: a custom prediction routine has "
                        f"no signatures ({name or 'predictionClass'}.predict is called); leave it empty")
    module_name, _, class_name = name.rpartition(".")
    if not module_name or not class_name:
        raise LoadError(f"predictionClass {json.dumps(name)}: not of the form module.ClassName")
    try:
        module = importlib.import_module(module_name)
    except (Exception, SystemExit) as e:
        traceback.print_exc()
        raise LoadError(f"predictionClass {name}: cannot import module {module_name}: {describe(e)} "
                        f"(pythonPath: {', '.join(config['pythonPath']) or 'none'})")
    cls = getattr(module, class_name, None)
    if cls is None:
        raise LoadError(f"predictionClass {name}: module {module_name} "
                        f"({getattr(module, '__file__', None) or 'no file'}) has no {class_name}")
    if not callable(getattr(cls, "from_path", None)):
        raise LoadError(f"predictionClass {name}: {class_name} has no from_path(model_dir) class method")
    try:
        model = cls.from_path(config["modelDir"])
    except (Exception, SystemExit) as e:
        traceback.print_exc()
        raise LoadError(f"predictionClass {name}: {class_name}.from_path({json.dumps(config['modelDir'])}) "
                        f"failed: {describe(e)}")
    method = getattr(model, "predict", None)
    if not callable(method):
        raise LoadError(f"predictionClass {name}: from_path returned a {type(model).__name__}, which has no "
                        f"predict(instances, **kwargs) method")

    def predict(instances):
        return rows(method(instances))

    return predict, "predict"


LOADERS = {"sklearn": load_sklearn, "torchscript": load_torchscript, "custom": load_custom}


# -- serving ---------------------------------------------------------------------------------------

class Server:
    def __init__(self, predict, reader, writer):
        self.predict, self.reader, self.writer = predict, reader, writer
        self.batches = 0
        self.logged = False

    def serve(self):
        for line in self.reader:
            self.batches += 1
            try:
                instances = json.loads(line)
            except ValueError as e:
                return self.fatal(f"batch {self.batches}: the line is not JSON ({e})")
            if not isinstance(instances, list):
                kind = {dict: "an object", str: "a string", bool: "a boolean", type(None): "null"}.get(
                    type(instances), "a number")
                return self.fatal(f"batch {self.batches}: the line is {kind}, not a JSON array of instances")
            self.writer.write(self.reply(instances).encode("utf-8"))
            self.writer.flush()
        return 0

    def reply(self, instances):
        count = len(instances)
        errors = []
        predictions = []
        if count:
            try:
                predictions = self.predict(instances)
            except Exception as e:
                self.log(e, count)
                predictions = self.one_by_one(instances, errors)
            else:
                if len(predictions) != count:
                    text = mismatch(len(predictions), count)
                    errors = [[i, text] for i in range(count)]
                    predictions = [None] * count
        try:
            lines = [ENCODE(p) for p in predictions]
        except Exception:
            lines = self.encode_each(predictions, errors)
        if errors:
            errors.sort()
        lines.insert(0, ENCODE({"count": count, "errors": errors}))
        lines.append("")
        return "\n".join(lines)

    def one_by_one(self, instances, errors):
        predictions = [None] * len(instances)
        predict = self.predict
        for i, instance in enumerate(instances):
            try:
                one = predict([instance])
            except Exception as e:
                errors.append([i, describe(e)])
                continue
            if len(one) != 1:
                errors.append([i, mismatch(len(one), 1)])
            else:
                predictions[i] = one[0]
        return predictions

    def encode_each(self, predictions, errors):
        lines = []
        for i, p in enumerate(predictions):
            try:
                lines.append(ENCODE(p))
                continue
            except ValueError:  # NaN or an infinity
                pass
            except Exception as e:
                errors.append([i, describe(e)])
                lines.append("null")
                continue
            try:
                lines.append(ENCODE(finite(p)))
            except Exception as e:
                errors.append([i, describe(e)])
                lines.append("null")
        return lines

    def log(self, exc, count):
        if self.logged:
            return
        self.logged = True
        sys.stderr.write(f"mljob_predictor: batch {self.batches}: predicting its {count} instances at once "
                         f"failed, so each is predicted alone (later failures are not logged here):\n")
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
        sys.stderr.flush()

    def fatal(self, text):
        sys.stderr.write(f"mljob_predictor: {text}\n")
        self.writer.write((ENCODE({"error": text}) + "\n").encode("utf-8"))
        self.writer.flush()
        return 1


def mismatch(got, count):
    return f"the predictor returned {got} prediction{'s' if got != 1 else ''} for {count} " \
           f"instance{'s' if count != 1 else ''}"


def take_protocol_streams():
    """The protocol's own copies of stdin and stdout; fd 0 becomes /dev/null and fd 1 stderr."""
    sys.stdout.flush()
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    reader = os.fdopen(os.dup(0), "rb")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdin = open(os.devnull)
    return reader, out


def main(argv):
    reader, writer = take_protocol_streams()
    try:
        try:
            config = read_config(argv)
            if not os.path.isdir(config["modelDir"]):
                raise LoadError(f"modelDir {config['modelDir']}: no such folder")
            for folder in reversed(config["pythonPath"]):
                sys.path.insert(0, folder)
            if config["threads"] > 0:
                for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
                    os.environ[name] = str(config["threads"])
            predict, signature = LOADERS[config["predictor"]](config)
        except LoadError as e:
            text = str(e)
            sys.stderr.write(f"mljob_predictor: {text}\n")
            writer.write((ENCODE({"error": text}) + "\n").encode("utf-8"))
            writer.flush()
            return 1
        ready = {"ready": True, "predictor": config["predictor"], "signature": signature}
        writer.write((ENCODE(ready) + "\n").encode("utf-8"))
        writer.flush()
        return Server(predict, reader, writer).serve()
    except BrokenPipeError:
        sys.stderr.write("mljob_predictor: the worker closed the reply pipe\n")
        try:
            writer.close()
        except OSError:
            pass
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
