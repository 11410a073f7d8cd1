// A Slurm plan: what one training job becomes on Slurm. Produced by planner.h from a Job and
// the tier catalog without touching Slurm; rendered to a batch script by batch_script.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mljob {

// One role's share of a component, in rank order: {"master", 1}, {"worker", 4}.
struct RoleSpan {
  std::string role;  // master, worker, ps (the names TF_CONFIG uses)
  int tasks = 0;
};

// One component of the heterogeneous job: replicas of one shape.
struct SlurmComponent {
  std::vector<RoleSpan> roles;  // more than one when same-shape replicas share a component
  std::string machine_type;
  int tasks = 0;
  int cpus_per_task = 1;
  std::int64_t memory_per_cpu_mb = 0;
  std::string gpu_type;  // GRES type; empty with gpus_per_task == 0
  int gpus_per_task = 0;
  std::string partition, constraint, qos, account;
  std::string time_limit;          // Slurm syntax; empty: the partition's default
  bool one_task_per_node = false;  // --ntasks-per-node=1: each task a host of its own
};

struct SlurmPlan {
  std::string job_name;
  std::vector<SlurmComponent> components;
  bool use_chief = false;
  std::string python = "python3";
  std::string runtime_setup;             // the admin's setup line for this runtime, run verbatim
  std::vector<std::string> program;      // argv after the interpreter: -m MODULE ARGS --job-dir DIR
  std::vector<std::string> python_path;  // staged packages, prepended to PYTHONPATH
  std::string job_dir;
  // scheduling.maxWaitTime: Slurm removes the job if it cannot end within this many seconds
  // of submission (sbatch --deadline=now+N).
  std::optional<std::int64_t> deadline_seconds;
  // Words put before the training step's srun: the metrics collector (metrics/), ending in "--".
  std::vector<std::string> step_wrapper;
  // Jobs from the SageMaker and FfDL front doors (Job::launch): the step runs `command` (and
  // not python + program) in `working_dir`, with `environment` exported and the shell lines
  // `before_step` and `after_step` around it.
  std::vector<std::string> command;
  std::string working_dir;
  std::vector<std::pair<std::string, std::string>> environment;
  std::vector<std::string> before_step, after_step;
  int term_seconds_before_end = 0;      // SIGTERM to the tasks N seconds before the time limit
  std::vector<std::string> on_warning;  // shell lines run when that time comes

  int total_tasks() const;
  // "master-0", "worker-0", ... in global task rank order (the order srun numbers them).
  std::vector<std::string> task_roles() const;
  // The plugin's --ml-roles value: components by ',', roles inside one by '+', e.g.
  // "master:1+worker,ps".
  std::string ml_roles() const;
};

}  // namespace mljob
