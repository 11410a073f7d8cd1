"""FfDL's evaluation-metrics file is followed while the training runs.

A job declares `evaluation_metrics: {type: optivist}`; the training, run under mljob-collect,
writes records the way FfDL's emetrics client (EMetrics.record) does: json.dumps of
{meta, grouplabel, etimes, values} appended to $LOG_DIR/evaluation-metrics.txt, INT and FLOAT
as type numbers 2 and 3. The training waits to see its first record in the job's metrics.db
before it writes the next: the file is read while the job runs, not only at its end.

    /usr/bin/python3 emetrics_file_test.py PATH/TO/mljob-collect
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

COLLECT = None

TRAINER = r'''
import json, os, sqlite3, sys, time

def record(f, rindex, group, iteration, values, subid=None):
    encode = lambda v: {"type": 2, "value": str(v)} if isinstance(v, int) else (
        {"type": 3, "value": str(v)} if isinstance(v, float) else {"value": str(v)})
    obj = {"meta": {"training_id": os.environ.get("TRAINING_ID", ""), "time": int(time.time() * 1000), "rindex": rindex},
           "grouplabel": group,
           "etimes": {"iteration": encode(iteration), "time_stamp": encode(time.strftime("%Y-%m-%dT%H:%M:%S"))},
           "values": {k: encode(v) for k, v in values.items()}}
    if subid:
        obj["meta"]["subid"] = str(subid)
    f.write(json.dumps(obj) + "\n")
    f.flush()

def stored(db_file):
    try:
        with sqlite3.connect(db_file) as db:
            return db.execute("SELECT COALESCE(SUM(count), 0) FROM record_pages").fetchone()[0]
    except sqlite3.Error:
        return 0

with open(os.path.join(os.environ["LOG_DIR"], "evaluation-metrics.txt"), "a") as f:
    record(f, 1, "train", 1, {"loss": 0.75, "accuracy": 0.5})
    deadline = time.time() + 20
    while stored(sys.argv[1]) < 1:
        if time.time() > deadline:
            sys.exit("the first record was not collected while the training ran")
        time.sleep(0.02)
    record(f, 2, "test", 1, {"accuracy": 0.625, "phase": "eval"})
    f.write('{"meta": {}, "grouplabel": "broken"')  # a torn last line: reported, not stored
'''


def stored_records(folder):
    dump = subprocess.run([COLLECT, "--job-folder", folder, "--print-records"], capture_output=True, text=True,
                          timeout=60, check=True)
    return [json.loads(line) for line in dump.stdout.splitlines()]


class EMetricsFile(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.folder = os.path.join(self.tmp.name, "job")
        os.makedirs(self.folder)
        with open(os.path.join(self.folder, "metrics.json"), "w") as out:
            json.dump({"evaluation_metrics": {"type": "optivist"}}, out)

    def tearDown(self):
        self.tmp.cleanup()

    def test_records_are_collected_while_the_training_runs(self):
        env = {k: v for k, v in os.environ.items() if k not in ("LOG_DIR", "JOB_STATE_DIR")}
        db_file = os.path.join(self.folder, "metrics.db")
        run = subprocess.run([COLLECT, "--job-folder", self.folder, "--poll-ms", "20", "--",
                              sys.executable, "-c", TRAINER, db_file], capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("is not an EMetrics record", run.stderr)  # the torn last line
        rows = [(r["grouplabel"], r["meta"]["subid"], r["etimes"], r["values"]) for r in stored_records(self.folder)]
        self.assertEqual([group for group, *_ in rows], ["train", "test"])
        train, test = rows[0], rows[1]
        self.assertEqual(train[3]["loss"], {"type": "FLOAT", "value": "0.75"})
        self.assertEqual(train[2]["iteration"], {"type": "INT", "value": "1"})
        self.assertEqual(test[3]["accuracy"]["value"], "0.625")
        self.assertEqual(test[3]["phase"], {"type": "STRING", "value": "eval"})
        # Written where FfDL's client writes when only JOB_STATE_DIR is known: $JOB_STATE_DIR/logs.
        self.assertTrue(os.path.exists(os.path.join(self.folder, "logs", "evaluation-metrics.txt")))


if __name__ == "__main__":
    COLLECT = sys.argv.pop(1)
    unittest.main()
