#include "core/batch_script.h"

#include <sstream>

namespace mljob {
namespace {

// A training job or trial runs once: under the cluster's JobRequeue=1 (Slurm's default) a node
// failure would otherwise queue it again, the trainer would start over from nothing, and the
// job would read QUEUED instead of FAILED with the node named. A cloud job does not rerun
// itself; resubmitting is the user's call (a study's maxFailedTrials decides for its trials).
constexpr const char* kNoRequeue = "--no-requeue";

void add_option(std::vector<std::string>& options, const std::string& name, const std::string& value) {
  if (!value.empty()) options.push_back("--" + name + "=" + value);
}

std::string describe_roles(const SlurmComponent& component) {
  std::string out;
  for (const auto& span : component.roles) {
    if (!out.empty()) out += " + ";
    out += std::to_string(span.tasks) + " x " + span.role;
  }
  return out + " on " + component.machine_type;
}

// The #SBATCH lines: each component's resources, and the job's own options on the first.
void write_sbatch_header(std::ostream& script, const SlurmPlan& plan, const std::vector<std::string>& job_options) {
  for (std::size_t c = 0; c < plan.components.size(); ++c) {
    const auto& component = plan.components[c];
    if (c > 0) script << "#SBATCH hetjob\n";
    script << "# component " << c << ": " << describe_roles(component) << "\n";
    if (c == 0) {
      for (const auto& option : job_options) script << "#SBATCH " << option << "\n";
      script << "#SBATCH --ml-roles=" << plan.ml_roles() << "\n";
      if (plan.use_chief) script << "#SBATCH --ml-chief\n";
      if (plan.deadline_seconds) script << "#SBATCH --deadline=now+" << *plan.deadline_seconds << "\n";
      // To this shell (B:), which records it and passes it on to the program (write_warned_step).
      if (plan.term_seconds_before_end > 0)
        script << "#SBATCH --signal=B:TERM@" << plan.term_seconds_before_end << "\n";
    }
    for (const auto& option : component_options(component)) script << "#SBATCH " << option << "\n";
  }
}

// One step over every component runs every replica; --kill-on-bad-exit ends the others
// when one replica fails, as a failed cloud job does.
void write_training_step(std::ostream& script, const SlurmPlan& plan) {
  for (const auto& word : plan.step_wrapper) script << shell_quote(word) << " ";  // collects metrics while srun runs
  script << "srun";
  if (plan.components.size() > 1) script << " --het-group=0-" << plan.components.size() - 1;
  if (!plan.working_dir.empty()) script << " --chdir=" << shell_quote(plan.working_dir);
  script << " --kill-on-bad-exit=1 --label \\\n   ";
  if (plan.command.empty()) {
    script << " " << shell_quote(plan.python);
    for (const auto& word : plan.program) script << " " << shell_quote(word);
  } else {
    for (const auto& word : plan.command) script << " " << shell_quote(word);
  }
}

// The step with a warning before the time limit (SageMaker's SIGTERM 120 s before
// MaxRuntimeInSeconds): Slurm signals this shell, which runs plan.on_warning and passes SIGTERM to
// every task of the job's steps (scancel signals steps, not this shell, unless told to). The
// step runs in the background, because bash runs a trap only between commands: `wait` returns
// early for the trap, and is called again until the step has ended.
void write_warned_step(std::ostream& script, const SlurmPlan& plan) {
  script << "step_status=0\n";
  std::string on_warning;
  for (const auto& line : plan.on_warning) on_warning += line + "; ";
  // Quiet: a cancel signals this shell too, and its scancel then finds the job gone.
  script << "trap " << shell_quote(on_warning + "scancel --signal=TERM \"$SLURM_JOB_ID\" 2>/dev/null || :")
         << " TERM\n";
  write_training_step(script, plan);
  script << " &\nstep_pid=$!\n";
  script << "wait \"$step_pid\" || step_status=$?\n";
  script << "while kill -0 \"$step_pid\" 2>/dev/null; do step_status=0; wait \"$step_pid\" || step_status=$?; done\n";
}

}  // namespace

std::vector<std::string> component_options(const SlurmComponent& component) {
  std::vector<std::string> options;
  add_option(options, "ntasks", std::to_string(component.tasks));
  add_option(options, "cpus-per-task", std::to_string(component.cpus_per_task));
  add_option(options, "mem-per-cpu", std::to_string(component.memory_per_cpu_mb) + "M");
  if (component.gpus_per_task > 0) {
    add_option(options, "gpus-per-task", component.gpu_type + ":" + std::to_string(component.gpus_per_task));
  }
  add_option(options, "partition", component.partition);
  add_option(options, "constraint", component.constraint);
  add_option(options, "qos", component.qos);
  add_option(options, "account", component.account);
  add_option(options, "time", component.time_limit);
  if (component.one_task_per_node) {
    add_option(options, "nodes", std::to_string(component.tasks));
    add_option(options, "ntasks-per-node", "1");
  }
  return options;
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string render_batch_script(const SlurmPlan& plan) {
  std::ostringstream script;
  script << "#!/bin/bash\n";
  script << "# Generated by mljob for training job " << plan.job_name << ".\n";
  write_sbatch_header(script, plan, {"--job-name=" + plan.job_name, kNoRequeue});
  script << "\nset -eu\n";
  if (!plan.python_path.empty()) {
    std::string joined;
    for (const auto& entry : plan.python_path) joined += (joined.empty() ? "" : ":") + entry;
    script << "export PYTHONPATH=" << shell_quote(joined) << "\"${PYTHONPATH:+:$PYTHONPATH}\"\n";
  }
  if (!plan.runtime_setup.empty()) {
    script << "# The site's setup for this runtime version (from the tier catalog):\n";
    script << plan.runtime_setup << "\n";
  }
  // "--": a jobDir such as "-Z" is a folder's name, not an option of mkdir.
  script << "mkdir -p -- " << shell_quote(plan.job_dir) << "\n";
  // The plugin derives SageMaker's SM_MODEL_DIR / SM_OUTPUT_DATA_DIR from it.
  script << "export MLJOB_JOB_DIR=" << shell_quote(plan.job_dir) << "\n";
  for (const auto& [name, value] : plan.environment) script << "export " << name << "=" << shell_quote(value) << "\n";
  for (const auto& line : plan.before_step) script << line << "\n";
  if (plan.term_seconds_before_end > 0) {
    write_warned_step(script, plan);
  } else if (!plan.after_step.empty()) {
    // Lines to run after the step: the shell waits for it instead of becoming it.
    script << "step_status=0\n";
    write_training_step(script, plan);
    script << " || step_status=$?\n";
  } else {
    script << "exec ";
    write_training_step(script, plan);
    script << "\n";
    return script.str();
  }
  for (const auto& line : plan.after_step) script << line << "\n";
  script << "exit \"$step_status\"\n";
  return script.str();
}

std::string render_array_script(const SlurmPlan& plan, const std::string& job_name,
                                const std::vector<ArrayElement>& elements, int throttle) {
  std::string indices;
  for (const auto& element : elements) indices += (indices.empty() ? "" : ",") + std::to_string(element.index);
  std::ostringstream script;
  script << "#!/bin/bash\n";
  script << "# Generated by mljob: one Slurm job array, an element per trial (" << job_name << ").\n";
  script << "# Each element runs its trial's own batch script (job.sbatch in the trial's folder).\n";
  write_sbatch_header(script, plan,
                      {"--job-name=" + job_name, "--array=" + indices + "%" + std::to_string(throttle), kNoRequeue});
  script << "\nset -eu\ncase \"${SLURM_ARRAY_TASK_ID:-}\" in\n";
  for (const auto& element : elements) {
    script << "  " << element.index << ")\n";
    for (const auto& [name, value] : element.environment)
      script << "    export " << name << "=" << shell_quote(value) << "\n";
    script << "    cd -- " << shell_quote(element.folder) << "\n";
    script << "    exec /bin/bash -- " << shell_quote(element.script) << " ;;\n";
  }
  script << "  *) echo \"mljob: array task ${SLURM_ARRAY_TASK_ID:-?} is none of this array's trials\" >&2; exit 1 ;;\n";
  script << "esac\n";
  return script.str();
}

std::vector<std::string> sbatch_arguments(const SubmitOptions& options, const std::string& script_path) {
  std::vector<std::string> args = {"sbatch", "--parsable"};
  add_option(args, "output", options.output_file);
  add_option(args, "chdir", options.working_dir);
  add_option(args, "comment", options.comment);
  add_option(args, "array", options.array);
  args.push_back(script_path);
  return args;
}

}  // namespace mljob
