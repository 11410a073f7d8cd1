"""The SPANK plugin (spank_mljob.so) on the real local cluster, driven by plain sbatch and
srun (no mljob): the options and variables a user types reach every task as TF_CONFIG, the
torch variables and SageMaker's SM_* variables; bad values are refused at submission; a job
that does not ask gets nothing.

Uses whatever cluster `mljob-cluster env` describes (MLJOB_CLUSTER_DIR and
MLJOB_CLUSTER_PORT_BASE select another one than the default)."""
import collections
import json
import os
import re
import shutil
import subprocess
import unittest
import uuid
import xml.etree.ElementTree as ET

from harness import FIXTURES, ClusterTestCase, NotYet, poll_until

# Job states after which squeue's answer no longer changes.
FINISHED = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
            "BOOT_FAIL", "DEADLINE", "PREEMPTED"}

# Run by every task: writes the variables the tests look at to DIR/RANK.json (one file per
# task: srun splits long output lines and interleaves the tasks' pieces).
SHOW_TASK = r'''
import json, os, sys
names = ["SLURMD_NODENAME", "SLURM_PROCID", "SLURM_JOB_NAME", "CUDA_VISIBLE_DEVICES",
         "TF_CONFIG", "CLUSTER_SPEC", "MLJOB_ROLE", "MLJOB_INDEX", "MLJOB_JOB_ID",
         "MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "RANK"]
names += sorted(name for name in os.environ if name.startswith("SM_"))
with open(os.path.join(sys.argv[1], os.environ["SLURM_PROCID"] + ".json"), "w") as out:
    json.dump({name: os.environ.get(name) for name in names}, out)
'''

# Run by every task of the binding tests: what the task really got from the kernel.
SHOW_BINDING = r'''
import json, os, sys
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
with open("/proc/self/numa_maps") as maps:
    policy = maps.readline().split()[1]
names = ["SLURMD_NODENAME", "SLURM_PROCID", "SLURM_LOCALID", "SLURM_STEP_GPUS", "MLJOB_ROLE"]
saved = {name: os.environ.get(name) for name in names}
saved.update(cpus=status["Cpus_allowed_list"].strip(), policy=policy)
with open(os.path.join(sys.argv[1], os.environ["SLURM_PROCID"] + ".json"), "w") as out:
    json.dump(saved, out)
'''

# The PyTorch check (etc/examples/torch_allreduce): package folder and its parent.
TORCH_PACKAGE = os.path.join(FIXTURES, "etc", "examples", "torch_allreduce")
ALLREDUCE = re.compile(r"ALLREDUCE rank=(\d+) world=(\d+) sum=(\d+) expected=(\d+) role=(\S+)")


def cpu_list(text):
    """The CPUs of a Linux list ("0-3,8") as a set."""
    cpus = set()
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        cpus.update(range(int(first), int(last or first) + 1))
    return cpus


def hwloc_mask(text):
    """The CPUs of an hwloc bitmap ("0x00000003,0x0000000f") as a set."""
    value = int("".join(word[2:] for word in text.split(",")), 16)
    return {bit for bit in range(value.bit_length()) if value >> bit & 1}


# Variables of the submitting shell that would change what the plugin does.
PLUGIN_VARIABLES = ("MLJOB_ROLES", "MLJOB_PORT", "MLJOB_ENV", "MLJOB_USE_CHIEF", "MLJOB_BIND", "MLJOB_HPS",
                    "MLJOB_JOB_DIR")


class PluginOnTheCluster(ClusterTestCase):
    def setUp(self):
        super().setUp()
        for name in list(self.env):
            if (name in PLUGIN_VARIABLES or name.startswith("MLJOB_CHANNEL_")
                    or (name.startswith("SLURM_") and name != "SLURM_CONF")):
                del self.env[name]
        self.work = self.scratch("mljob-plugin-test-")
        self.addCleanup(shutil.rmtree, self.work, ignore_errors=True)
        self.show_task = os.path.join(self.work, "show_task.py")
        with open(self.show_task, "w") as script:
            script.write(SHOW_TASK)

    # --- helpers ---------------------------------------------------------------------

    def sbatch(self, script, *options, env=None):
        """Submits `script` (its text) with sbatch; returns the CompletedProcess and the
        path its output goes to."""
        name = uuid.uuid4().hex[:10]
        path = os.path.join(self.work, f"{name}.sh")
        with open(path, "w") as out:
            out.write(script)
        output = os.path.join(self.work, f"{name}.out")
        result = subprocess.run(
            self.user_argv(["sbatch", "--parsable", f"--output={output}", f"--chdir={self.work}",
                            f"--job-name=plugin_{name}", "--time=5", *options, path]),
            env=env or self.env, capture_output=True, text=True, timeout=60)
        return result, output

    def run_job(self, script, *options, env=None, timeout=120):
        """Submits, waits until the job has finished, and returns (Slurm job id, output)."""
        result, output = self.sbatch(script, *options, env=env)
        self.assertEqual(result.returncode, 0, f"sbatch failed: {result.stderr}")
        job_id = result.stdout.strip().split(";")[0]
        states = self.wait_until_finished(job_id, timeout)
        with open(output, errors="replace") as text:
            log = text.read()
        self.assertEqual(set(states), {"COMPLETED"}, f"job {job_id} ended {states}:\n{log}")
        return job_id, log

    def wait_until_finished(self, job_id, timeout):
        """The states of the job's components (one for a job that is not heterogeneous)."""
        def finished():
            states = self.slurm("squeue", "--noheader", "--states=all", "--jobs", job_id, "--format=%T").split()
            return states if states and all(state in FINISHED for state in states) else NotYet(states)
        return poll_until(finished, timeout, interval=0.3, what=f"job {job_id} to finish")

    def tasks(self, step, count, log):
        """What each task of `step` (a srun_show) saw, by SLURM_PROCID; there must be `count`."""
        folder = os.path.join(self.work, step)
        found = sorted(os.listdir(folder))
        self.assertEqual(found, sorted(f"{rank}.json" for rank in range(count)), log)
        tasks = {}
        for rank in range(count):
            with open(os.path.join(folder, f"{rank}.json")) as saved:
                tasks[rank] = json.load(saved)
            self.assertEqual(tasks[rank]["SLURM_PROCID"], str(rank))
        return tasks

    def srun_show(self, step, options=""):
        """A script line: srun with `options`, every task saving its variables under `step`."""
        os.mkdir(os.path.join(self.work, step))
        return f"srun {options} /usr/bin/python3 {self.show_task} {os.path.join(self.work, step)}\n"

    def srun_binding(self, step, options=""):
        """A script line: srun with `options`, every task saving its CPUs and memory policy."""
        os.mkdir(os.path.join(self.work, step))
        script = os.path.join(self.work, "show_binding.py")
        if not os.path.exists(script):
            with open(script, "w") as out:
                out.write(SHOW_BINDING)
        return f"srun {options} /usr/bin/python3 {script} {os.path.join(self.work, step)}\n"

    def cluster_packages(self):
        """The CPUs of each package of the topology the cluster's plugstack.conf names."""
        plugstack = os.path.join(self.env["MLJOB_CLUSTER_DIR"], "etc", "plugstack.conf")
        with open(plugstack) as conf:
            words = [w for line in conf if line.startswith("required") for w in line.split()]
        paths = [w.split("=", 1)[1] for w in words if w.startswith("topology=")]
        self.assertEqual(len(paths), 1, f"{plugstack} names no topology= (MLJOB_CLUSTER_TOPOLOGY=none?)")
        root = ET.parse(paths[0]).getroot()
        packages = [hwloc_mask(o.get("cpuset")) for o in root.iter("object") if o.get("type") == "Package"]
        gpus = [o for o in root.iter("object") if o.get("type") == "PCIDev"]
        return packages, len(gpus) // len(packages)

    def assert_allreduce(self, log, world, roles):
        """Every rank of the torch world all-reduced rank+1 and got the sum."""
        results = {int(m[0]): m for m in ALLREDUCE.findall(log)}
        self.assertEqual(sorted(results), list(range(world)), log)
        for rank, (_, size, total, expected, role) in results.items():
            self.assertEqual(int(size), world, log)
            self.assertEqual(int(expected), world * (world + 1) // 2)
            self.assertEqual(int(total), int(expected), f"rank {rank}: {log}")
        self.assertEqual([results[r][4] for r in range(world)], roles, log)

    def assert_tf_config_self(self, log, count):
        """Each task found its own address (on its own node) at its own type and index;
        all saw one cluster."""
        selves = [json.loads(line.split("TF_CONFIG_SELF ", 1)[1])
                  for line in log.splitlines() if "TF_CONFIG_SELF " in line]
        self.assertEqual(len(selves), count, log)
        for me in selves:
            self.assertEqual(me["address"].rsplit(":", 1)[0], me["node"], me)
            self.assertEqual(me["environment"], "cloud")
        self.assertEqual(len({json.dumps(me["cluster"], sort_keys=True) for me in selves}), 1, log)
        self.assertEqual(sorted((me["type"], me["index"]) for me in selves),
                         sorted((role, index) for role, members in selves[0]["cluster"].items()
                                for index in range(len(members))))

    def assert_tf_config_consistent(self, tasks, expected_sizes, log):
        """Every task's TF_CONFIG parses, names its own host:port at its own type and index,
        and all tasks see one cluster with distinct ports on each node."""
        clusters = set()
        for rank, task in tasks.items():
            config = json.loads(task["TF_CONFIG"])
            cluster, me = config["cluster"], config["task"]
            self.assertEqual(config["environment"], "cloud")
            self.assertEqual(me["type"], task["MLJOB_ROLE"], log)
            self.assertEqual(me["index"], int(task["MLJOB_INDEX"]), log)
            host, port = cluster[me["type"]][me["index"]].rsplit(":", 1)
            self.assertEqual(host, task["SLURMD_NODENAME"], f"rank {rank}: {task}")
            self.assertTrue(1024 <= int(port) <= 65535, task)
            self.assertEqual(json.loads(task["CLUSTER_SPEC"]), cluster)
            clusters.add(json.dumps(cluster, sort_keys=True))
        self.assertEqual(len(clusters), 1, f"tasks see different clusters: {clusters}")
        cluster = json.loads(clusters.pop())
        self.assertEqual({role: len(endpoints) for role, endpoints in cluster.items()},
                         expected_sizes)
        ports_by_host = collections.defaultdict(list)
        for endpoints in cluster.values():
            for endpoint in endpoints:
                host, port = endpoint.rsplit(":", 1)
                ports_by_host[host].append(port)
        for host, ports in ports_by_host.items():
            self.assertEqual(len(ports), len(set(ports)), f"ports repeat on {host}: {cluster}")
        return cluster

    # --- the tests -----------------------------------------------------------------------

    def test_three_component_het_job_every_task_finds_itself_in_tf_config(self):
        script = ("#!/bin/bash\n"
                  "#SBATCH --ml-roles=master,worker,ps\n"
                  "#SBATCH --nodes=1 --ntasks=1\n"
                  "#SBATCH hetjob\n"
                  "#SBATCH --nodes=2 --ntasks=4\n"
                  "#SBATCH hetjob\n"
                  "#SBATCH --nodes=1 --ntasks=3\n"
                  + self.srun_show("tf", "--het-group=0-2"))
        job_id, log = self.run_job(script)
        tasks = self.tasks("tf", 8, log)
        cluster = self.assert_tf_config_consistent(tasks, {"master": 1, "worker": 4, "ps": 3}, log)
        self.assertEqual([tasks[r]["MLJOB_ROLE"] for r in range(8)], ["master"] + ["worker"] * 4 + ["ps"] * 3)
        self.assertEqual({task["MLJOB_JOB_ID"] for task in tasks.values()}, {job_id})
        # Components never share a node; ps and evaluators are outside the torch world.
        nodes = [{tasks[r]["SLURMD_NODENAME"] for r in ranks} for ranks in ([0], range(1, 5), range(5, 8))]
        self.assertEqual(len(nodes[0] | nodes[1] | nodes[2]), len(nodes[0]) + len(nodes[1]) + len(nodes[2]))
        master_host = cluster["master"][0].rsplit(":", 1)[0]
        for rank in range(5):
            self.assertEqual(tasks[rank]["WORLD_SIZE"], "5")
            self.assertEqual(tasks[rank]["RANK"], str(rank))
            self.assertEqual(tasks[rank]["MASTER_ADDR"], master_host)
        for rank in range(5, 8):
            self.assertIsNone(tasks[rank]["RANK"])

    def test_bad_roles_are_refused_at_submission_and_nothing_is_queued(self):
        roles_rule = "allowed: master, chief, worker, ps, evaluator"
        bind_rule = "allowed: closest, numa, socket, none, verbose"
        for options, env_extra, expected, rule in (
                (["--ml-roles=foo"], {}, 'unknown role "foo"', roles_rule),
                ([], {"MLJOB_ROLES": "master,bogus"}, 'unknown role "bogus"', roles_rule),
                (["--ml-roles=master", "--ml-bind=tight"], {}, '--ml-bind="tight"', bind_rule),
                (["--ml-roles=master"], {"MLJOB_BIND": "numa,socket"},
                 'MLJOB_BIND="numa,socket": more than one binding policy', "")):
            env = dict(self.env, **env_extra)
            result, output = self.sbatch("#!/bin/bash\ntrue\n", *options, env=env)
            self.assertNotEqual(result.returncode, 0, result.stdout)
            self.assertEqual(result.stdout.strip(), "")
            self.assertIn("mljob", result.stderr)
            self.assertIn(expected, result.stderr)
            self.assertIn(rule, result.stderr)
            self.assertFalse(os.path.exists(output))
        # No job of this test exists, queued, running or finished.
        names = self.slurm("squeue", "--noheader", "--states=all", "--format=%j").split()
        scripts = [n[len("plugin_"):] for n in names if n.startswith("plugin_")]
        mine = {f[:-3] for f in os.listdir(self.work) if f.endswith(".sh")}
        self.assertEqual(mine & set(scripts), set())
        accounted = self.slurm("sacct", "--noheader", "--allocations", "--starttime=now-3600",
                               "--format=JobName%40").split()
        self.assertEqual(mine & {n[len("plugin_"):] for n in accounted if n.startswith("plugin_")}, set())

    def test_roles_from_the_environment_of_a_plain_job(self):
        env = dict(self.env, MLJOB_ROLES="master:1+worker")
        _, log = self.run_job("#!/bin/bash\n" + self.srun_show("env"), "--nodes=2", "--ntasks=3",
                              env=env)
        tasks = self.tasks("env", 3, log)
        self.assert_tf_config_consistent(tasks, {"master": 1, "worker": 2}, log)
        self.assertEqual([(tasks[r]["MLJOB_ROLE"], tasks[r]["MLJOB_INDEX"]) for r in range(3)],
                         [("master", "0"), ("worker", "0"), ("worker", "1")])
        for rank, task in tasks.items():
            self.assertEqual(task["RANK"], str(rank))
            self.assertEqual(task["WORLD_SIZE"], "3")
            self.assertEqual(task["MASTER_ADDR"], tasks[0]["SLURMD_NODENAME"])

    def test_sagemaker_variables_are_present_and_consistent(self):
        job_dir = os.path.join(self.work, "job-dir")  # never created: the plugin only names it
        elsewhere = os.path.join(self.work, "elsewhere")
        os.mkdir(elsewhere)
        env = dict(self.env, MLJOB_HPS='{"epochs": 3, "lr": 0.5, "arch": {"depth": 50}}',
                   MLJOB_JOB_DIR=job_dir, MLJOB_CHANNEL_TRAINING="/data/train",
                   MLJOB_CHANNEL_eval="/data/eval")
        script = ("#!/bin/bash\n"
                  "#SBATCH --ml-roles=master:1+worker --ml-env=all\n"
                  "#SBATCH --nodes=2 --ntasks=3 --cpus-per-task=2 --gres=gpu:2\n"
                  + self.srun_show("first")
                  + "echo STEP2\n"
                  # A second step: no job dir (the working directory then), and a bad MLJOB_HPS.
                  + "MLJOB_HPS='lr=0.5' env -u MLJOB_JOB_DIR "
                  + self.srun_show("second", f"--chdir={elsewhere}"))
        _, log = self.run_job(script, env=env)
        first, second = log.split("STEP2\n", 1)
        tasks = self.tasks("first", 3, log)
        hosts = sorted({task["SLURMD_NODENAME"] for task in tasks.values()})
        self.assertEqual(len(hosts), 2)
        for rank, task in tasks.items():
            where = f"rank {rank}: {task}"
            self.assertEqual(json.loads(task["SM_HOSTS"]), hosts, where)
            self.assertEqual(task["SM_CURRENT_HOST"], task["SLURMD_NODENAME"], where)
            self.assertEqual(task["SM_NUM_GPUS"], str(len(task["CUDA_VISIBLE_DEVICES"].split(","))), where)
            self.assertEqual(task["SM_NUM_GPUS"], "2", where)
            self.assertEqual(task["SM_NUM_CPUS"], "2", where)
            self.assertEqual(task["SM_MODEL_DIR"], os.path.join(job_dir, "model"), where)
            self.assertEqual(task["SM_OUTPUT_DATA_DIR"], os.path.join(job_dir, "output"), where)
            self.assertEqual(task["SM_CHANNEL_TRAINING"], "/data/train", where)
            self.assertEqual(task["SM_CHANNEL_EVAL"], "/data/eval", where)
            self.assertEqual(json.loads(task["SM_CHANNELS"]), ["eval", "training"], where)
            hyperparameters = {"epochs": 3, "lr": 0.5, "arch": {"depth": 50}}
            self.assertEqual(json.loads(task["SM_HPS"]), hyperparameters, where)
            self.assertEqual(json.loads(task["SM_RESOURCE_CONFIG"]),
                             {"current_host": task["SLURMD_NODENAME"], "hosts": hosts}, where)
            training = json.loads(task["SM_TRAINING_ENV"])
            self.assertEqual(training["hosts"], hosts, where)
            self.assertEqual(training["current_host"], task["SM_CURRENT_HOST"], where)
            self.assertEqual(training["num_gpus"], 2, where)
            self.assertEqual(training["num_cpus"], 2, where)
            self.assertEqual(training["model_dir"], task["SM_MODEL_DIR"], where)
            self.assertEqual(training["output_data_dir"], task["SM_OUTPUT_DATA_DIR"], where)
            self.assertEqual(training["channel_input_dirs"], {"eval": "/data/eval", "training": "/data/train"}, where)
            self.assertEqual(training["hyperparameters"], hyperparameters, where)
            self.assertEqual(training["job_name"], task["SLURM_JOB_NAME"], where)
            self.assertEqual(training["master_hostname"], task["MASTER_ADDR"], where)
        self.assertFalse(os.path.exists(job_dir), "the plugin must not create the job folder")
        self.assertNotIn("mljob: warning", first)

        tasks = self.tasks("second", 3, log)
        for task in tasks.values():
            self.assertEqual(task["SM_HPS"], "{}")
            self.assertEqual(json.loads(task["SM_TRAINING_ENV"])["hyperparameters"], {})
            self.assertEqual(task["SM_MODEL_DIR"], os.path.join(elsewhere, "model"))
            self.assertEqual(task["SM_OUTPUT_DATA_DIR"], os.path.join(elsewhere, "output"))
        warnings = [line for line in second.splitlines() if "mljob: warning:" in line]
        self.assertEqual(len(warnings), 1, second)  # said once for the step, not per node
        self.assertIn('MLJOB_HPS="lr=0.5" is not valid JSON', warnings[0])
        self.assertEqual(os.listdir(elsewhere), [])

    def test_torch_all_reduce_in_a_hand_written_het_job(self):
        # Master alone in component 0, two workers on two nodes in component 1; nothing but
        # the plugin's variables tells torch where the others are.
        script = ("#!/bin/bash\n"
                  "#SBATCH --ml-roles=master,worker\n"
                  "#SBATCH --nodes=1 --ntasks=1\n"
                  "#SBATCH hetjob\n"
                  "#SBATCH --nodes=2 --ntasks=2\n"
                  f"export PYTHONPATH={os.path.dirname(TORCH_PACKAGE)}\n"
                  "srun --het-group=0-1 --kill-on-bad-exit=1 /usr/bin/python3 -m torch_allreduce.task\n")
        _, log = self.run_job(script, timeout=240)
        self.assert_allreduce(log, 3, ["master:0", "worker:0", "worker:1"])
        self.assert_tf_config_self(log, 3)

    def test_torch_all_reduce_in_a_bridge_job(self):
        # mljob's own het job (master with a GPU, two workers): the same check, unchanged.
        job_id = self.unique_id("torch")
        result = self.mljob("submit", "training", job_id, "--scale-tier", "CUSTOM",
                            "--master-machine-type", "n1-highcpu-8",
                            "--master-accelerator", "count=1,type=NVIDIA_TESLA_T4",
                            "--worker-count", "2", "--worker-machine-type", "n1-standard-4",
                            "--module-name", "torch_allreduce.task",
                            "--package-path", TORCH_PACKAGE, "--stream-logs", check=False)
        log = self.output_of(job_id)
        self.assertEqual(result.returncode, 0, f"{result.stderr}\n{log}")
        self.assertEqual(self.describe(job_id)["state"], "SUCCEEDED")
        self.assert_allreduce(log, 3, ["master:0", "worker:0", "worker:1"])
        self.assert_tf_config_self(log, 3)

    def test_binding_puts_tasks_next_to_their_gpus_within_their_allocation(self):
        packages, gpus_per_package = self.cluster_packages()
        # Master with 1 GPU; 4 workers on one node sharing 8 GPUs (2 each by local rank).
        # Step "slurm": --ml-bind=none, what Slurm alone gives; step "bound": verbose binding.
        script = ("#!/bin/bash\n"
                  "#SBATCH --ml-roles=master,worker\n"
                  "#SBATCH --nodes=1 --ntasks=1 --gres=gpu:1\n"
                  "#SBATCH hetjob\n"
                  "#SBATCH --nodes=1 --ntasks=4 --gres=gpu:8\n"
                  + self.srun_binding("slurm", "--het-group=0-1 --ml-bind=none")
                  + "echo STEP2\n"
                  + self.srun_binding("bound", "--het-group=0-1 --ml-bind=verbose"))
        job_id, log = self.run_job(script)
        first, second = log.split("STEP2\n", 1)
        self.assertNotIn("mljob: bind:", first)
        slurm, bound = self.tasks("slurm", 5, log), self.tasks("bound", 5, log)
        for rank in range(5):
            where = f"rank {rank}: {bound[rank]}\n{log}"
            allocation, cpus = cpu_list(slurm[rank]["cpus"]), cpu_list(bound[rank]["cpus"])
            self.assertTrue(cpus and cpus <= allocation, where)
            self.assertEqual(slurm[rank]["policy"], "default", where)
            self.assertIn(bound[rank]["policy"].split(":")[0], ("bind", "prefer", "prefer (many)"), where)
            if rank == 0:  # the master: its one GPU's package
                gpus = [int(bound[0]["SLURM_STEP_GPUS"])]
            else:  # local worker i of 4 takes GPUs 2i, 2i+1 of the step's 8
                self.assertEqual(bound[rank]["SLURM_STEP_GPUS"], "0,1,2,3,4,5,6,7", where)
                local = int(bound[rank]["SLURM_LOCALID"])
                gpus = [2 * local, 2 * local + 1]
            near = set().union(*(packages[g // gpus_per_package] for g in gpus))
            self.assertEqual(cpus, near & allocation, where)
            lines = [line for line in second.splitlines()
                     if re.search(rf"mljob: bind: job {job_id} step \d+ .*task {rank} on ", line)]
            self.assertEqual(len(lines), 1, second)
            self.assertIn(f"closest to its GPU{'s' if len(gpus) > 1 else ''} {','.join(map(str, gpus))} ", lines[0])
            self.assertIn(f"cpus {bound[rank]['cpus']},", lines[0])

    def test_binding_spreads_tasks_without_gpus(self):
        packages, _ = self.cluster_packages()
        everything = set().union(*packages)
        script = "#!/bin/bash\n" + self.srun_binding("spread", "--ml-bind=verbose")
        _, log = self.run_job(script, "--nodes=1", "--ntasks=2", "--ml-roles=master:1+worker")
        tasks = self.tasks("spread", 2, log)
        self.assertEqual([line.count("no GPU; local task") for line in log.splitlines()
                          if "mljob: bind:" in line], [1, 1], log)
        cpus = [cpu_list(tasks[rank]["cpus"]) for rank in range(2)]
        if len(everything) >= 2:  # two tasks on one NUMA node split its cores
            self.assertFalse(cpus[0] & cpus[1], log)
        self.assertTrue(cpus[0] | cpus[1] <= everything, log)

    def test_a_job_that_does_not_opt_in_gets_nothing(self):
        # --ml-env alone does not opt in: only --ml-roles or MLJOB_ROLES does.
        _, log = self.run_job("#!/bin/bash\n" + self.srun_show("plain"), "--nodes=2", "--ntasks=2",
                              "--ml-env=all")
        for task in self.tasks("plain", 2, log).values():
            for name in ("TF_CONFIG", "CLUSTER_SPEC", "MLJOB_ROLE", "MLJOB_JOB_ID", "RANK", "MASTER_ADDR"):
                self.assertIsNone(task[name], f"{name} set in a job that did not ask: {task}")
            self.assertEqual([name for name in task if name.startswith("SM_")], [], task)
        self.assertNotIn("mljob", log)


if __name__ == "__main__":
    unittest.main()
