"""The metrics collector's live cost on the real cluster (issue 17): a trainer that prints about
20 MB/s of training output (tqdm-like progress bars and, one line in five, HF-style metric lines
that the job's MetricDefinitions match) for 60 s. The collector (mljob-collect, which wraps the
training step and follows output.log) must keep every datapoint and have the last line
queryable (`mljob logs --pos -1`) within 1 s of the trainer writing it, while the job still runs.

Its CPU time: the issue's target is 5 % of its wall time. On the 2-core test machine, where the
trainer, srun and slurmstepd share the cores with it, it measured 3.1-3.2 % in two runs of six
and 5.1-5.2 % in the others (3.9-6.6 % of the 60 s of output), so that target is not met reliably
yet (docs/benchmarks.md, "Collector"). This test guards the figure against regressions at 8 %,
and prints it.

What the collector reads is what srun forwarded into output.log: the test checks that srun
carried what the trainer wrote (all of it, by the end), and prints the figures it measured
(rates, bytes, the collector's CPU time, wall time and peak RSS, and the latency split into
its parts: srun's forwarding, the collector's poll, the query) on stderr."""
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import threading
import time
import unittest

from harness import ClusterTestCase, NotYet, poll_until

SECONDS = 60        # how long the trainer floods its output
RATE = 20_000_000   # bytes a second it aims at
LINGER = 15         # seconds it still runs after its last line, for the latency to be measured

TRAINER = textwrap.dedent('''
    """Prints ~RATE bytes/s of training output for SECONDS s, in pre-built blocks of about
    1 MiB (so that Python keeps up), paced by the clock. Then one last metric line, and
    "LAST-LINE <time.time()> ..." with what it wrote; then it lingers, still running."""
    import random
    import sys
    import time

    seconds, rate, linger = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    rng = random.Random(17)
    BAR = "\\u2588"  # tqdm's full block
    TOTAL = 200000


    def progress(step, elapsed, loss):
        done = step * 10 // TOTAL
        speed = 4 + rng.random() * 2
        left = (TOTAL - step) / speed
        return ("Epoch %d/3: %3d%%|%s%s| %d/%d [%02d:%02d<%02d:%02d:%02d, %.2fit/s, loss=%.3f, lr=%.2e]\\n"
                % (step * 3 // TOTAL + 1, step * 100 // TOTAL, BAR * done, " " * (10 - done), step, TOTAL,
                   elapsed // 60 % 60, elapsed % 60, left // 3600, left // 60 % 60, left % 60, speed, loss,
                   5e-05 * (1 - step / TOTAL)))


    def metrics(step):
        loss = 2.5 * (0.9998 ** step) + rng.random() * 0.05
        learning_rate = 5e-05 * (1 - step / TOTAL)
        return "{'loss': %.4f, 'learning_rate': %r, 'epoch': %.2f}\\n" % (loss, learning_rate, step * 3 / TOTAL)


    # Blocks of whole lines, each about 1 MiB: (bytes, metric lines in it).
    blocks, step = [], 0
    for _ in range(16):
        lines, size, metric_lines = [], 0, 0
        while size < (1 << 20):
            step += 1
            line = metrics(step) if step % 5 == 0 else progress(step % TOTAL, step // 50, 2.5 * (0.9998 ** step))
            metric_lines += step % 5 == 0
            lines.append(line)
            size += len(line.encode())
        blocks.append(("".join(lines).encode(), metric_lines))

    out = sys.stdout.buffer
    print("FLOOD-START %.6f seconds=%g rate=%g" % (time.time(), seconds, rate), flush=True)
    written, loss_lines, n = 0, 0, 0
    start = time.monotonic()
    while True:
        now = time.monotonic() - start
        if now >= seconds:
            break
        ahead = written - rate * now
        if ahead > 0:  # on schedule: wait for the next block's turn
            time.sleep(min(ahead / rate, seconds - now))
            continue
        block, metric_lines = blocks[n % len(blocks)]
        out.write(block)
        out.flush()
        written += len(block)
        loss_lines += metric_lines
        n += 1
    elapsed = time.monotonic() - start
    last = b"{'loss': 0.0123, 'learning_rate': 1.7e-06, 'epoch': 3.0}\\n"
    out.write(last)
    written += len(last)
    loss_lines += 1
    out.flush()
    line = "LAST-LINE %.6f bytes=%d loss_lines=%d seconds=%.3f\\n" % (time.time(), written, loss_lines, elapsed)
    out.write(line.encode())
    out.flush()
    time.sleep(linger)
''')

CONFIG = textwrap.dedent(r'''
    trainingInput:
      scaleTier: BASIC
      pythonModule: flood_trainer.task
    MetricDefinitions:
      - {Name: loss, Regex: "'loss': ([0-9]+(.|e\\-)[0-9]+),?"}
      - {Name: learning_rate, Regex: "'learning_rate': ([0-9.e\\-]+)"}
      - {Name: epoch, Regex: "'epoch': ([0-9.]+)"}
''')

LAST_LINE = re.compile(r"LAST-LINE (?P<time>[0-9.]+) bytes=(?P<bytes>\d+) loss_lines=(?P<loss_lines>\d+) "
                       r"seconds=(?P<seconds>[0-9.]+)")
ENDED = {"SUCCEEDED", "FAILED", "CANCELLED"}


def report(text):
    print(f"collector live cost: {text}", file=sys.stderr, flush=True)


class FileWatch(threading.Thread):
    """When `needle` first shows at the end of `path` (checked every 10 ms): when srun had
    forwarded the line into output.log."""

    def __init__(self, path, needle):
        super().__init__(daemon=True)
        self.path, self.needle, self.seen_at = path, needle, None
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            try:
                with open(self.path, "rb") as log:
                    log.seek(max(0, os.fstat(log.fileno()).st_size - 4096))
                    if self.needle in log.read():
                        self.seen_at = time.time()
                        return
            except OSError:
                pass
            time.sleep(0.01)


class CollectorLiveCost(ClusterTestCase):
    def setUp(self):
        super().setUp()
        self.work = self.scratch("mljob-collector-live-")
        self.addCleanup(shutil.rmtree, self.work, ignore_errors=True)
        package = os.path.join(self.work, "flood_trainer")
        os.makedirs(package)
        open(os.path.join(package, "__init__.py"), "w").close()
        with open(os.path.join(package, "task.py"), "w") as out:
            out.write(TRAINER)
        self.config = os.path.join(self.work, "job.yaml")
        with open(self.config, "w") as out:
            out.write(CONFIG)

    def remove_job(self, job_id, folder):
        """The job's output.log is over a gigabyte: never left behind, whatever happened. A job
        still running is cancelled first (so that no one writes to the folder any more)."""
        if not os.path.isdir(folder):
            return
        if self.mljob("describe", job_id, "--format", "json", check=False).returncode == 0:
            if self.describe(job_id)["state"] not in ENDED:
                self.mljob("cancel", job_id, check=False)
                try:
                    self.wait_for_state(job_id, ENDED, timeout=120)
                except AssertionError as e:
                    report(f"cleanup: {e}")
        subprocess.run(self.user_argv(["rm", "-rf", "--", folder]), env=self.env, check=False, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)  # what the user could not remove, if anything

    def last_line(self, job_id):
        result = self.mljob("logs", job_id, "--pos", "-1", "--format", "json", check=False)
        lines = result.stdout.splitlines()
        return json.loads(lines[-1]) if result.returncode == 0 and lines else None

    def test_a_20_mb_per_s_trainer_is_collected_whole_and_its_last_line_answered_within_1_s(self):
        job_id = self.unique_id("collector_live")
        folder = os.path.join(self.home, "jobs", job_id)
        self.addCleanup(self.remove_job, job_id, folder)
        self.mljob("submit", "training", job_id, "--config", self.config, "--package-path",
                   os.path.join(self.work, "flood_trainer"), "--", str(SECONDS), str(RATE), str(LINGER))
        watch = FileWatch(os.path.join(folder, "output.log"), b"LAST-LINE ")
        self.addCleanup(watch.stopped.set)
        watch.start()

        # The flood's start, as the trainer printed it (queried once a second, not to load the
        # machine while the trainer, srun and the collector share it).
        def flood_start():
            first = self.mljob("logs", job_id, "--replica", "0", "--pos", "0", "--limit", "1", "--format", "json",
                               check=False).stdout
            if "FLOOD-START" in first:
                return float(json.loads(first)["line"].split()[1])
            state = self.describe(job_id)["state"]
            if state in ENDED:
                self.fail(f"the job ended {state} before its first line was queryable:\n{self.tail(folder)}")
            return NotYet((state, first))
        started = poll_until(flood_start, 180, interval=1.0, what="the trainer's first line")
        report(f"first line seen {time.time() - started:.2f} s after the trainer wrote it (polled once a second)")

        # Then every ~100 ms from shortly before the flood ends until the last line is there.
        time.sleep(max(0.0, started + SECONDS - 3 - time.time()))

        # Whether the job still runs is told by the collector's summary, which it writes when the
        # step has ended: cheap to look at, where describe reads every record of the job.
        summary_file = os.path.join(folder, "collector.json")

        def last_line_seen():
            record = self.last_line(job_id)
            if record and "LAST-LINE" in record["line"]:
                return record, time.time(), not os.path.exists(summary_file)
            if os.path.exists(summary_file):
                self.fail(f"the job ended before its last line was queryable:\n{self.tail(folder)}")
            return NotYet(record)
        record, seen_at, running = poll_until(last_line_seen, SECONDS + 120, interval=0.1,
                                              what="the trainer's LAST-LINE")
        last = LAST_LINE.search(record["line"])
        self.assertTrue(last, record)
        written_at = float(last["time"])
        written, loss_lines, flood_seconds = int(last["bytes"]), int(last["loss_lines"]), float(last["seconds"])
        latency = seen_at - written_at
        in_file = watch.seen_at - written_at if watch.seen_at else float("nan")
        collected = record["meta"]["time"] / 1000 - written_at
        report(f"trainer wrote {written} bytes in {flood_seconds:.1f} s = {written / flood_seconds / 1e6:.1f} MB/s "
               f"(aimed at {RATE / 1e6:.0f} MB/s), {loss_lines} metric lines")
        report(f"last line queryable {latency:.3f} s after it was written (job {'running' if running else 'ended'}): "
               f"in output.log after {in_file:.3f} s (srun), collected after {collected:.3f} s "
               f"(the collector's poll), seen by the test's query after {latency:.3f} s")

        job = self.wait_for_state(job_id, ENDED, timeout=300)
        self.assertEqual(job["state"], "SUCCEEDED", self.tail(folder))
        with open(os.path.join(folder, "collector.json")) as summary:
            cost = json.load(summary)
        log_bytes, cpu, wall = cost["log_bytes"], cost["cpu_seconds"], cost["wall_seconds"]
        report(f"srun forwarded {log_bytes} bytes into output.log ({log_bytes / written:.3f} of what the trainer "
               f"wrote, labels included): {log_bytes / flood_seconds / 1e6:.1f} MB/s over the flood")
        report(f"collector: {cpu:.2f} s CPU in {wall:.1f} s wall = {100 * cpu / wall:.2f} % "
               f"(over the flood alone: {100 * cpu / flood_seconds:.2f} %), "
               f"peak RSS {cost['max_rss_kib'] / 1024:.1f} MiB, {cost['records']} records")

        # Every datapoint: three a metric line (loss, learning_rate, epoch, in that order), the
        # last line's last. Paged, not dumped: all of them (3 x ~2.5 million) as one JSON answer
        # take `mljob metrics` minutes and gigabytes.
        self.assertEqual(cost["records"], 3 * loss_lines, "datapoints stored")
        tail = self.metrics(job_id, "--pos", "-3")
        self.assertEqual([list(r["values"].items())[0] for r in tail],
                         [("loss", {"type": "FLOAT", "value": "0.0123"}),
                          ("learning_rate", {"type": "FLOAT", "value": "1.7e-06"}),
                          ("epoch", {"type": "FLOAT", "value": "3.0"})])
        self.assertEqual(tail[-1]["meta"]["rindex"] + 1, 3 * loss_lines, "datapoints answered")
        for line in (0, loss_lines // 3, loss_lines // 2, loss_lines - 2):
            page = self.metrics(job_id, "--pos", str(3 * line), "--limit", "3")
            self.assertEqual([(r["meta"]["rindex"], list(r["values"])) for r in page],
                             [(3 * line, ["loss"]), (3 * line + 1, ["learning_rate"]), (3 * line + 2, ["epoch"])])
        report(f"`mljob metrics` answers {tail[-1]['meta']['rindex'] + 1} datapoints, a loss, a learning_rate and an "
               f"epoch for each of the {loss_lines} metric lines printed")

        self.assertLessEqual(latency, 1.0, "the last line was queryable within 1 s")
        self.assertTrue(running, "the last line was queryable while the job ran")
        self.assertGreaterEqual(written / flood_seconds, 0.9 * RATE, "the trainer (and srun, which paces it) kept up")
        self.assertGreaterEqual(log_bytes, written, "srun forwarded everything the trainer wrote")
        # The target is 5 %; measured 3.1-5.2 % here (see the docstring): a regression guard.
        self.assertLessEqual(cpu, 0.08 * wall, "the collector's CPU time is within 8 % of its wall time")

    def metrics(self, job_id, *flags):
        return json.loads(self.mljob("metrics", job_id, "--format", "json", *flags).stdout)

    def tail(self, folder, size=4096):
        try:
            with open(os.path.join(folder, "output.log"), "rb") as log:
                log.seek(max(0, os.fstat(log.fileno()).st_size - size))
                return log.read().decode(errors="replace")
        except OSError as e:
            return str(e)


if __name__ == "__main__":
    unittest.main()
