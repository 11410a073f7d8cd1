#!/usr/bin/python3
"""The collector end to end, against Python's `re` doing the same extraction on the same log.

What is measured, per metric-declaration set of the conformance corpus (every SageMaker
MetricDefinitions set, identical sets once, and every FfDL regex_extractor spec):

  1. A log made to match the set (bench/collector_loggen.py): one line in five carries metrics,
     generated from the set's own regexes; the other four are tqdm-like progress bars; every
     line srun-labelled ("RANK: text") over four ranks, plus a few edge lines (cut short before
     a number, unlabelled, padded label). --size bytes of it (default 64 MiB). Values are plain
     numbers: never nan, inf, 1_000 or non-ASCII digits, which Python's float() takes and the
     collector (metrics/emetrics.cc parse_number) deliberately does not.
  2. `mljob-collect --job-folder DIR --summary` replaying DIR/output.log once through the job's
     extraction and storage (DIR/metrics.db, log lines and records), the log in the page cache
     first, pinned with taskset to one core: wall time, CPU time (getrusage RUSAGE_CHILDREN
     deltas), peak RSS (the child's ru_maxrss, from os.wait4), metrics.db size (with its
     -journal/-wal, if any) and the record count it prints.
  3. Python's `re` doing the same extraction on the same log, in this process, pinned to the
     same core: SageMaker's semantics (each labelled line's text, every definition's finditer,
     float() of group 1 in a try: each success one datapoint) or FfDL's (per rank, a window of
     the last line_lookahead lines; after each line the groups' regexes, DOTALL|MULTILINE,
     matched at the window's start; the first that matches is one record and empties the
     window). Only extraction is timed (reading the lines included), no storage.
  4. The collector's records against Python's datapoints: SAME or DIFFERENT per set. The exit
     status is 1 if any set differs (or the collector failed), after all sets were run.

--python-bytes N: Python's `re` can be very slow on some sets (under 1 MB/s on Mask R-CNN's 22
`.*name:\\s*(\\S+).*` definitions), so it may run on the first N bytes of the same log only (cut
at a line end); its rate is computed on that prefix, and the counts are then compared on that
prefix too: the collector is run once more, on a job folder holding just the prefix. The
collector's speed figures are always those of the whole log.

Rates are in MB/s (10^6 bytes a second); sizes in MiB. "ratio" is collector MB/s over Python
MB/s, both wall time. Everything is written to a fresh mktemp folder under /tmp, removed at exit
(one set at a time: the log and its metrics.db, about 3x --size at most).

  bench/collector_bench.py --build build-bench --size 8M                 # every set, quick
  bench/collector_bench.py --build build-bench --only huggingface_sentiment --only mask-rcnn
  bench/collector_bench.py --size 1G --only mask-rcnn --python-bytes 64M  # the docs' 1 GiB run
  bench/collector_bench.py --size 8M --json > figures.json                # machine output

Needs a built mljob-collect (--build: a build folder or the binary; default build/), nothing
else: Python 3.11 from Debian, no cluster.
"""
import argparse
import glob
import json
import os
import random
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import collector_loggen as loggen  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAGEMAKER_LIST = "sagemaker/metric-definitions/amazon-sagemaker-examples.metric_definitions.json"
FFDL_PATTERNS = "ffdl/IBM-FfDL/metrics/log_collectors/regex_extractor/src/patterns/common-patterns"
MIB = 1 << 20


# --- The corpus's declaration sets -------------------------------------------------------------

def load_sets(corpus):
    """Every declaration set: dicts with name, kind (sagemaker | ffdl), source, declarations
    (the job's metrics.json), definitions [(Name, Regex)] or spec (FfDL, manifest form)."""
    sets, seen = [], set()

    def add_sagemaker(definitions, source):
        key = tuple((d.get("Name"), d.get("Regex")) for d in definitions)
        if key in seen:
            return
        seen.add(key)
        sets.append({"kind": "sagemaker", "source": source, "declarations": {"MetricDefinitions": definitions},
                     "definitions": [(d["Name"], d["Regex"]) for d in definitions]})

    with open(os.path.join(corpus, SAGEMAKER_LIST)) as f:
        for entry in json.load(f):
            add_sagemaker(entry["MetricDefinitions"], "%s %s" % (entry["repo"], entry["path"]))
    for path in sorted(glob.glob(os.path.join(corpus, "sagemaker", "extracted", "**", "*.json"), recursive=True)):
        with open(path) as f:
            for definitions in find_key(json.load(f), "MetricDefinitions"):
                if isinstance(definitions, list) and definitions:
                    add_sagemaker(definitions, os.path.relpath(path, corpus))
    for path in sorted(glob.glob(os.path.join(corpus, "ffdl", "**", "*"), recursive=True)):
        if not path.endswith((".json", ".yml", ".yaml")) or not os.path.isfile(path):
            continue
        with open(path) as f:
            text = f.read()
        if "regex_extractor" not in text:
            continue
        document = json.loads(text) if path.endswith(".json") else load_yaml(text)
        for spec in find_ffdl_specs(document):
            sets.append({"kind": "ffdl", "source": os.path.relpath(path, corpus), "spec": spec,
                         "declarations": {"evaluation_metrics": spec}})
    names = {}
    for s in sets:  # short names: the source's basename, numbered when it repeats
        base = os.path.basename(s["source"].split(" ")[-1])
        names[base] = names.get(base, 0) + 1
        s["name"] = base if names[base] == 1 else "%s#%d" % (base, names[base])
    return sets


def find_key(value, key):
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key:
                yield v
            else:
                yield from find_key(v, key)
    elif isinstance(value, list):
        for item in value:
            yield from find_key(item, key)


def load_yaml(text):
    try:
        import yaml
    except ImportError:  # python3-yaml missing: no FfDL manifests in YAML
        return None
    return yaml.safe_load(text)


def find_ffdl_specs(document):
    """regex_extractor specs anywhere in a manifest (evaluation_metrics:) or in the FfDL CLI's
    printout of one (EvaluationMetrics, Go field names), in manifest form."""
    for key in ("evaluation_metrics", "EvaluationMetrics"):
        for spec in find_key(document, key):
            if isinstance(spec, dict) and str(spec.get("type", spec.get("Type"))) == "regex_extractor":
                yield manifest_form(spec)


def manifest_form(spec):
    """FfDL's spec with a manifest's snake_case keys (the CLI prints Go's PascalCase)."""
    def snake(key):
        return {"linelookahead": "line_lookahead", "eventtypes": "event_types",
                "imagetag": "image_tag"}.get(key.lower(), key.lower())

    def bindings(value):
        return {name: {snake(k): v for k, v in item.items()} for name, item in (value or {}).items()}

    out = {}
    for key, value in spec.items():
        key = snake(key)
        if value in (None, "") or key == "image_tag":
            continue
        if key == "groups":
            value = {name: {snake(k): (bindings(v) if snake(k) in ("scalars", "values", "etimes") else
                                       {snake(mk): mv for mk, mv in v.items()} if snake(k) == "meta" else v)
                            for k, v in group.items() if v is not None}
                     for name, group in value.items()}
        out[key] = value
    return out


# --- Python's `re`, the way SageMaker and FfDL extract ------------------------------------------

LABEL = re.compile(rb" *([0-9]{1,9}):(?: |$)")  # srun's "RANK: " (as metrics/line_batch.cc reads it)


# python_sagemaker and python_ffdl each read the log with the same plain loop, written out in
# both on purpose: a shared generator would slow Python's side, the baseline being measured.
def python_sagemaker(path, definitions):
    compiled = [re.compile(regex) for _name, regex in definitions]
    datapoints = 0
    with open(path, "rb") as log:
        for raw in log:
            if raw.endswith(b"\n"):
                raw = raw[:-1]
            label = LABEL.match(raw)
            if label is None:
                continue
            line = raw[label.end():].decode("utf-8", "replace")
            for regex in compiled:
                for match in regex.finditer(line):
                    try:
                        float(match.group(1))
                    except (TypeError, ValueError, IndexError):
                        continue
                    datapoints += 1
    return datapoints


def python_ffdl(path, spec, patterns):
    compiled = [re.compile(loggen.expand_ffdl_macros(group["regex"], patterns), loggen.FFDL_FLAGS)
                for group in spec["groups"].values()]
    lookahead = int(spec.get("line_lookahead", 4))
    windows = {}
    records = 0
    with open(path, "rb") as log:
        for raw in log:
            if raw.endswith(b"\n"):
                raw = raw[:-1]
            label = LABEL.match(raw)
            if label is None:
                continue
            window = windows.setdefault(int(label.group(1)), [])
            window.append(raw[label.end():].decode("utf-8", "replace") + "\n")
            if len(window) > lookahead:
                del window[0]
            text = "".join(window)
            for regex in compiled:
                if regex.match(text):
                    records += 1
                    window.clear()
                    break
    return records


# --- Running and measuring ---------------------------------------------------------------------

def warm(path):
    """Reads the file once, so that it is in the page cache."""
    with open(path, "rb") as f:
        while f.read(8 * MIB):
            pass


def run_collector(binary, folder, cpu):
    """mljob-collect --summary over folder, pinned: wall s, CPU s, peak RSS MiB, summary, error."""
    warm(os.path.join(folder, "output.log"))
    for leftover in glob.glob(os.path.join(folder, "metrics.db*")):
        os.remove(leftover)
    with open(os.path.join(folder, "collector.out"), "wb") as out, \
            open(os.path.join(folder, "collector.err"), "wb") as err:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        child = subprocess.Popen(["taskset", "-c", str(cpu), binary, "--job-folder", folder, "--summary"],
                                 stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with open(os.path.join(folder, "collector.out")) as f:
        lines = f.read().strip().splitlines()
    with open(os.path.join(folder, "collector.err")) as f:
        stderr = f.read().strip()
    summary, error = None, None
    try:
        summary = json.loads(lines[-1])
    except (IndexError, ValueError):
        error = "exit status %d, no summary: %s" % (child.returncode, stderr[-300:])
    if child.returncode != 0 and error is None:
        error = "exit status %d: %s" % (child.returncode, stderr[-300:])
    db = sum(os.path.getsize(p) for p in glob.glob(os.path.join(folder, "metrics.db*")))
    # The collector's own VmHWM (its summary's max_rss_kib): the child's ru_maxrss would also count
    # this Python process's pages, which a fork maps into the child until it execs.
    peak_kib = summary.get("max_rss_kib", usage.ru_maxrss) if summary else usage.ru_maxrss
    return {"wall_s": wall, "cpu_s": cpu_s, "peak_rss_mib": peak_kib / 1024, "summary": summary,
            "error": error, "db_bytes": db, "warnings": stderr.count("warning:")}


def run_python(s, path, patterns):
    warm(path)
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    if s["kind"] == "ffdl":
        count = python_ffdl(path, s["spec"], patterns)
    else:
        count = python_sagemaker(path, s["definitions"])
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    return {"wall_s": wall, "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "count": count, "bytes": os.path.getsize(path)}


def write_prefix(source, target, limit):
    """The first `limit` bytes of source, cut at a line end, into target."""
    with open(source, "rb") as f:
        data = f.read(limit)
    cut = data.rfind(b"\n") + 1
    with open(target, "wb") as f:
        f.write(data[:cut])


def bench_set(s, args, workdir, patterns):
    folder = os.path.join(workdir, "job")
    os.makedirs(folder)
    try:
        rng = random.Random(zlib.crc32(s["name"].encode()) ^ args.seed)
        started = time.perf_counter()
        if s["kind"] == "ffdl":
            templates, problems = loggen.ffdl_templates(s["spec"], patterns, rng)
        else:
            templates, problems = loggen.sagemaker_templates(s["definitions"], rng)
        log = os.path.join(folder, "output.log")
        size = loggen.write_log(log, args.size, templates, rng)
        generated_s = time.perf_counter() - started
        with open(os.path.join(folder, "metrics.json"), "w") as f:
            json.dump(s["declarations"], f)

        collector = run_collector(args.binary, folder, args.cpu)
        for leftover in glob.glob(os.path.join(folder, "metrics.db*")):
            os.remove(leftover)  # space: the next runs need none of it
        compared_log, compared_collector = log, collector
        if args.python_bytes and args.python_bytes < size:
            prefix = os.path.join(workdir, "prefix")
            os.makedirs(prefix)
            shutil.copy(os.path.join(folder, "metrics.json"), prefix)
            compared_log = os.path.join(prefix, "output.log")
            write_prefix(log, compared_log, args.python_bytes)
            os.remove(log)
            compared_collector = run_collector(args.binary, prefix, args.cpu)
        python = run_python(s, compared_log, patterns)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        os.makedirs(workdir)

    records = compared_collector["summary"]["records"] if compared_collector["summary"] else None
    errors = [e for e in (collector["error"], compared_collector is not collector and compared_collector["error"]) if e]
    collector_mbps = size / collector["wall_s"] / 1e6
    python_mbps = python["bytes"] / python["wall_s"] / 1e6 if python["wall_s"] > 0 else float("inf")
    return {
        "set": s["name"], "kind": s["kind"], "source": s["source"],
        "regexes": len(s["definitions"]) if s["kind"] == "sagemaker" else len(s["spec"]["groups"]),
        "log_bytes": size, "generate_s": round(generated_s, 3),
        "collector_wall_s": round(collector["wall_s"], 4), "collector_cpu_s": round(collector["cpu_s"], 4),
        "collector_mb_per_s": round(collector_mbps, 2),
        "collector_log_bytes": collector["summary"]["log_bytes"] if collector["summary"] else None,
        "collector_records": collector["summary"]["records"] if collector["summary"] else None,
        "collector_warnings": collector["warnings"],
        "peak_rss_mib": round(collector["peak_rss_mib"], 1),
        "db_bytes": collector["db_bytes"], "db_per_log": round(collector["db_bytes"] / size, 3) if size else None,
        "python_bytes": python["bytes"], "python_wall_s": round(python["wall_s"], 4),
        "python_cpu_s": round(python["cpu_s"], 4), "python_mb_per_s": round(python_mbps, 2),
        "ratio": round(collector_mbps / python_mbps, 2),
        "compared_bytes": python["bytes"], "datapoints": python["count"], "compared_records": records,
        "same": records == python["count"] and not errors,
        "errors": errors, "generator_problems": problems,
    }


# --- Output -------------------------------------------------------------------------------------

def markdown(results, context):
    out = ["Collector end to end (mljob-collect --summary) vs Python `re`, %s" % context, "",
           "| set | #regexes | log MiB | collector MB/s (wall) | collector CPU s | Python MB/s | ratio "
           "| metrics.db / log | peak RSS MiB | datapoints | same? |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        datapoints = "{:,}".format(r["datapoints"])
        if r["compared_bytes"] < r["log_bytes"]:
            datapoints += " (first %.0f MiB)" % (r["compared_bytes"] / MIB)
        same = "SAME" if r["same"] else "DIFFERENT (collector %s)" % (
            r["compared_records"] if not r["errors"] else "failed")
        out.append("| %s | %d | %.1f | %.1f | %.2f | %.2f | %.1fx | %.2f | %.1f | %s | %s |" % (
            r["set"], r["regexes"], r["log_bytes"] / MIB, r["collector_mb_per_s"], r["collector_cpu_s"],
            r["python_mb_per_s"], r["ratio"], r["db_per_log"], r["peak_rss_mib"], datapoints, same))
    out.append("")
    out += summary_lines(results)
    problems = [(r["set"], p) for r in results for p in r["generator_problems"]]
    if problems:
        out += ["", "Definitions no generated line can feed (their sets still get noise and the rest):"]
        out += ["- %s: %s" % (name, p) for name, p in problems]
    for r in results:
        for e in r["errors"]:
            out.append("- %s: collector error: %s" % (r["set"], e))
    return "\n".join(out)


def summary(results):
    if not results:
        return {}
    by_ratio = min(results, key=lambda r: r["ratio"])
    by_rate = min(results, key=lambda r: r["collector_mb_per_s"])
    return {
        "sets": len(results), "different": [r["set"] for r in results if not r["same"]],
        "median_ratio": statistics.median(r["ratio"] for r in results),
        "median_collector_mb_per_s": statistics.median(r["collector_mb_per_s"] for r in results),
        "median_python_mb_per_s": statistics.median(r["python_mb_per_s"] for r in results),
        "worst_by_ratio": {k: by_ratio[k] for k in ("set", "ratio", "collector_mb_per_s", "python_mb_per_s")},
        "worst_by_collector_mb_per_s": {k: by_rate[k] for k in ("set", "ratio", "collector_mb_per_s",
                                                                 "python_mb_per_s")},
        "max_peak_rss_mib": max(r["peak_rss_mib"] for r in results),
    }


def summary_lines(results):
    s = summary(results)
    if not s:
        return ["(no set)"]
    w, v = s["worst_by_ratio"], s["worst_by_collector_mb_per_s"]
    return [
        "- median over %d sets: collector %.1f MB/s, Python %.2f MB/s, ratio %.1fx" % (
            s["sets"], s["median_collector_mb_per_s"], s["median_python_mb_per_s"], s["median_ratio"]),
        "- worst set by ratio: %s, %.1fx (collector %.1f MB/s, Python %.2f MB/s)" % (
            w["set"], w["ratio"], w["collector_mb_per_s"], w["python_mb_per_s"]),
        "- worst set by collector MB/s: %s, %.1f MB/s (ratio %.1fx)" % (
            v["set"], v["collector_mb_per_s"], v["ratio"]),
        "- largest peak RSS: %.1f MiB; sets whose counts differ: %s" % (
            s["max_peak_rss_mib"], ", ".join(s["different"]) or "none"),
    ]


def context_line(args):
    """Which code was measured: the commit, and whether the binary is older than every uncommitted
    change to the collector's sources (then it is that commit's code)."""
    built = os.path.getmtime(args.binary)
    try:
        commit = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%h"], capture_output=True,
                                text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "metrics", "bridge", "base"],
                               capture_output=True, text=True).stdout.splitlines()
    except OSError:
        commit, dirty = "?", []
    changed = [os.path.join(ROOT, line[3:]) for line in dirty]
    changed = [os.path.getmtime(p) for p in changed if os.path.isfile(p)]
    if not changed:
        code = "commit %s" % commit
    elif built < min(changed):
        code = "commit %s (the binary predates the tree's uncommitted changes)" % commit
    else:
        code = "commit %s + uncommitted changes in metrics/, bridge/ or base/" % commit
    return "%s, binary %s built %s, run %s, CPU %d of %d, load %.1f, seed %d" % (
        code, os.path.relpath(args.binary, ROOT), time.strftime("%Y-%m-%d %H:%M", time.localtime(built)),
        time.strftime("%Y-%m-%d %H:%M"), args.cpu, os.cpu_count(), os.getloadavg()[0], args.seed)


# --- Main ----------------------------------------------------------------------------------------

def parse_size(text):
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kKmMgG]?)(?:i?[bB])?", text.strip())
    if not match:
        raise argparse.ArgumentTypeError("not a size: %r (e.g. 8M, 64MiB, 1G, 4096)" % text)
    return int(float(match.group(1)) * {"": 1, "k": 1 << 10, "m": MIB, "g": 1 << 30}[match.group(2).lower()])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(ROOT, "build"),
                        help="a build folder (its bridge/mljob-collect) or the binary (default build/)")
    parser.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "conformance"),
                        help="the conformance corpus (default ../shared/conformance from the repo root)")
    parser.add_argument("--size", type=parse_size, default=64 * MIB, help="log size per set (default 64M)")
    parser.add_argument("--python-bytes", type=parse_size, default=0,
                        help="Python's `re` (and the count comparison) on the first N bytes only")
    parser.add_argument("--only", action="append", default=[],
                        help="sets whose name or source contains this (repeatable)")
    parser.add_argument("--cpu", type=int, default=max(os.sched_getaffinity(0)), help="the core to pin to")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="JSON on stdout instead of the Markdown table")
    parser.add_argument("--list", action="store_true", help="list the sets and exit")
    args = parser.parse_args()

    args.binary = os.path.abspath(os.path.join(args.build, "bridge", "mljob-collect")
                                  if os.path.isdir(args.build) else args.build)
    sets = load_sets(args.corpus)
    if args.only:
        sets = [s for s in sets if any(o in s["name"] or o in s["source"] for o in args.only)]
    if args.list:
        for s in sets:
            print("%-70s %-9s %2d  %s" % (s["name"], s["kind"], len(s.get("definitions") or s["spec"]["groups"]),
                                          s["source"]))
        return 0
    if not os.access(args.binary, os.X_OK):
        parser.error("no mljob-collect at %s (build it, or give --build)" % args.binary)
    if not sets:
        parser.error("no set matches --only %s" % " ".join(args.only))
    os.sched_setaffinity(0, {args.cpu})  # Python's run on the collector's core
    patterns = loggen.read_ffdl_patterns(os.path.join(args.corpus, FFDL_PATTERNS))

    workdir = tempfile.mkdtemp(prefix="collector-bench.", dir="/tmp")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the folder is removed
    results = []
    try:
        for i, s in enumerate(sets, 1):
            r = bench_set(s, args, os.path.join(workdir, "run"), patterns)
            results.append(r)
            print("[%d/%d] %s: collector %.1f MB/s, Python %.2f MB/s, %s datapoints, %s (generated in %.1f s)" % (
                i, len(sets), r["set"], r["collector_mb_per_s"], r["python_mb_per_s"], r["datapoints"],
                "SAME" if r["same"] else "DIFFERENT: collector %s" % r["compared_records"], r["generate_s"]),
                file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    context = context_line(args)
    if args.json:
        json.dump({"context": context, "size": args.size, "python_bytes": args.python_bytes,
                   "sets": results, "summary": summary(results)}, sys.stdout, indent=1)
        print()
    else:
        print(markdown(results, context))
    return 0 if all(r["same"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
