"""TensorBoard event files written by an independent encoder come back exactly.

The encoder is protobuf's own Python library (Debian's python3-protobuf) over the messages of
TensorFlow's published event.proto, summary.proto, tensor.proto and tensor_shape.proto (their
field numbers and types, declared here as descriptors because protoc is not installed), with
TFRecord framing whose CRC-32C comes from crcmod. mljob-collect reads the files as it does for a
job and the scalars are read back from the job's metrics.db.

    /usr/bin/python3 tensorboard_event_test.py PATH/TO/mljob-collect
"""
import os
import json
import struct
import subprocess
import sys
import tempfile
import unittest

import crcmod.predefined
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

COLLECT = None
F = descriptor_pb2.FieldDescriptorProto
crc32c = crcmod.predefined.mkCrcFun("crc-32c")


def field(message, name, number, kind, label=F.LABEL_OPTIONAL, type_name=None, oneof=None):
    f = message.field.add(name=name, number=number, type=kind, label=label)
    if type_name:
        f.type_name = type_name
    if oneof is not None:
        f.oneof_index = oneof
    return f


def tensorflow_messages():
    """Event, Summary, SummaryMetadata, TensorProto and TensorShapeProto as TensorFlow declares them."""
    fd = descriptor_pb2.FileDescriptorProto(name="mljob_test_tf_event.proto", package="tensorflow", syntax="proto3")
    data_type = fd.enum_type.add(name="DataType")
    for name, number in [("DT_INVALID", 0), ("DT_FLOAT", 1), ("DT_DOUBLE", 2), ("DT_INT32", 3), ("DT_INT64", 9),
                         ("DT_BOOL", 10)]:
        data_type.value.add(name=name, number=number)
    shape = fd.message_type.add(name="TensorShapeProto")
    dim = shape.nested_type.add(name="Dim")
    field(dim, "size", 1, F.TYPE_INT64)
    field(dim, "name", 2, F.TYPE_STRING)
    field(shape, "dim", 2, F.TYPE_MESSAGE, F.LABEL_REPEATED, ".tensorflow.TensorShapeProto.Dim")
    field(shape, "unknown_rank", 3, F.TYPE_BOOL)
    tensor = fd.message_type.add(name="TensorProto")
    field(tensor, "dtype", 1, F.TYPE_ENUM, type_name=".tensorflow.DataType")
    field(tensor, "tensor_shape", 2, F.TYPE_MESSAGE, type_name=".tensorflow.TensorShapeProto")
    field(tensor, "version_number", 3, F.TYPE_INT32)
    field(tensor, "tensor_content", 4, F.TYPE_BYTES)
    field(tensor, "float_val", 5, F.TYPE_FLOAT, F.LABEL_REPEATED)
    field(tensor, "double_val", 6, F.TYPE_DOUBLE, F.LABEL_REPEATED)
    field(tensor, "int_val", 7, F.TYPE_INT32, F.LABEL_REPEATED)
    field(tensor, "string_val", 8, F.TYPE_BYTES, F.LABEL_REPEATED)
    field(tensor, "int64_val", 10, F.TYPE_INT64, F.LABEL_REPEATED)
    field(tensor, "bool_val", 11, F.TYPE_BOOL, F.LABEL_REPEATED)
    field(tensor, "half_val", 13, F.TYPE_INT32, F.LABEL_REPEATED)
    metadata = fd.message_type.add(name="SummaryMetadata")
    plugin = metadata.nested_type.add(name="PluginData")
    field(plugin, "plugin_name", 1, F.TYPE_STRING)
    field(plugin, "content", 2, F.TYPE_BYTES)
    field(metadata, "plugin_data", 1, F.TYPE_MESSAGE, type_name=".tensorflow.SummaryMetadata.PluginData")
    field(metadata, "display_name", 2, F.TYPE_STRING)
    field(metadata, "summary_description", 3, F.TYPE_STRING)
    field(metadata, "data_class", 4, F.TYPE_INT32)
    summary = fd.message_type.add(name="Summary")
    value = summary.nested_type.add(name="Value")
    value.oneof_decl.add(name="value")
    field(value, "node_name", 7, F.TYPE_STRING)
    field(value, "tag", 1, F.TYPE_STRING)
    field(value, "metadata", 9, F.TYPE_MESSAGE, type_name=".tensorflow.SummaryMetadata")
    field(value, "simple_value", 2, F.TYPE_FLOAT, oneof=0)
    field(value, "obsolete_old_style_histogram", 3, F.TYPE_BYTES, oneof=0)
    field(value, "tensor", 8, F.TYPE_MESSAGE, type_name=".tensorflow.TensorProto", oneof=0)
    field(summary, "value", 1, F.TYPE_MESSAGE, F.LABEL_REPEATED, ".tensorflow.Summary.Value")
    event = fd.message_type.add(name="Event")
    event.oneof_decl.add(name="what")
    field(event, "wall_time", 1, F.TYPE_DOUBLE)
    field(event, "step", 2, F.TYPE_INT64)
    field(event, "file_version", 3, F.TYPE_STRING, oneof=0)
    field(event, "graph_def", 4, F.TYPE_BYTES, oneof=0)
    field(event, "summary", 5, F.TYPE_MESSAGE, type_name=".tensorflow.Summary", oneof=0)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    factory = message_factory.MessageFactory(pool)
    return {name: factory.GetPrototype(pool.FindMessageTypeByName("tensorflow." + name))
            for name in ("Event", "Summary", "TensorProto", "TensorShapeProto", "SummaryMetadata")}


TF = tensorflow_messages()


def masked_crc(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record(data):
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked_crc(length)) + data + struct.pack("<I", masked_crc(data))


def float32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def scalar_event(step, tag, value, how):
    event = TF["Event"](wall_time=1700000000.25 + step, step=step)
    v = event.summary.value.add(tag=tag)
    if how == "simple_value":
        v.simple_value = value
    elif how == "float_val":  # TF2 tf.summary.scalar: a rank-0 tensor
        v.metadata.plugin_data.plugin_name = "scalars"
        v.tensor.dtype = 1
        v.tensor.tensor_shape.SetInParent()
        v.tensor.float_val.append(value)
    elif how == "tensor_content_double":
        v.tensor.dtype = 2
        v.tensor.tensor_shape.SetInParent()
        v.tensor.tensor_content = struct.pack("<d", value)
    elif how == "int64_val":
        v.tensor.dtype = 9
        v.tensor.int64_val.append(int(value))
    return event.SerializeToString()


def collect(folder, job_dir):
    run = subprocess.run([COLLECT, "--job-folder", folder, "--job-dir", job_dir], capture_output=True, text=True, timeout=60)
    dump = subprocess.run([COLLECT, "--job-folder", folder, "--print-records"], capture_output=True, text=True,
                          timeout=60, check=True)
    records = [json.loads(line) for line in dump.stdout.splitlines()]
    return run, [(r["grouplabel"], r["etimes"], r["values"]) for r in records]


class TensorBoardEvents(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.folder = os.path.join(self.tmp.name, "job")
        self.job_dir = os.path.join(self.folder, "job-dir")
        os.makedirs(os.path.join(self.job_dir, "train"))
        os.makedirs(os.path.join(self.job_dir, "eval"))

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, run, records, name="events.out.tfevents.1700000000.n1"):
        header = TF["Event"](wall_time=1700000000.0, file_version="brain.Event:2").SerializeToString()
        with open(os.path.join(self.job_dir, run, name), "wb") as out:
            out.write(record(header) + b"".join(records))

    def test_scalars_come_back_exactly(self):
        losses = [2.302585, 0.6931472, 0.1234567, 1e-7, 12345.678]
        self.write("train", [record(scalar_event(i * 100, "loss", x, "simple_value")) for i, x in enumerate(losses)])
        accuracies = [0.1, 0.5, 0.987654321]
        self.write("eval", [record(scalar_event(i * 100, "accuracy", x, "float_val")) for i, x in enumerate(accuracies)]
                   + [record(scalar_event(900, "precise", 0.1234567890123, "tensor_content_double")),
                      record(scalar_event(1000, "examples", 123456789012, "int64_val"))])
        run, rows = collect(self.folder, self.job_dir)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertNotIn("warning", run.stderr)
        train = [(e["step"]["value"], v["loss"]["value"]) for g, e, v in rows if g == "train"]
        self.assertEqual([int(step) for step, _ in train], [0, 100, 200, 300, 400])
        self.assertEqual([float(value) for _, value in train], [float32(x) for x in losses])  # exactly float32's value
        evals = {list(v)[0]: (int(e["step"]["value"]), float(list(v.values())[0]["value"])) for g, e, v in rows if g == "eval"}
        self.assertEqual(evals["accuracy"], (200, float32(0.987654321)))
        self.assertEqual(evals["precise"], (900, 0.1234567890123))  # a double tensor stays a double
        self.assertEqual(evals["examples"], (1000, 123456789012.0))
        wall_times = [float(e["wall_time"]["value"]) for g, e, v in rows if g == "train"]
        self.assertEqual(wall_times[1], 1700000100.25)

    def test_a_corrupted_file_is_reported_not_fatal(self):
        good = [record(scalar_event(i, "loss", 0.5 + i, "simple_value")) for i in range(4)]
        damaged = bytearray(good[1])
        damaged[20] ^= 0xFF  # inside the data: the data CRC no longer holds
        self.write("train", [good[0], bytes(damaged), good[2], b"\x00\x13garbage" * 3, good[3][:-6]])
        run, rows = collect(self.folder, self.job_dir)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("fails its data CRC", run.stderr)
        self.assertIn("corrupt record header", run.stderr)
        self.assertIn("truncated record", run.stderr)
        steps = [int(e["step"]["value"]) for g, e, v in rows if g == "train"]
        self.assertEqual(steps, [0, 2])  # the damaged one and the cut-off last one are skipped


if __name__ == "__main__":
    COLLECT = sys.argv.pop(1)
    unittest.main()
