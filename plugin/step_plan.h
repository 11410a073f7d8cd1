// Everything the plugin decides for one step, computed once (in slurmstepd's user_init)
// and then read for each task: roles, ports, the cluster spec, the torch world.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "environment_limits.h"
#include "layout.h"
#include "options.h"
#include "plugin_config.h"
#include "roles.h"
#include "sagemaker_env.h"
#include "torch_env.h"

namespace mljob::plugin {

struct StepPlan {
  JobSettings settings;
  std::uint32_t job_id;
  PortRange ports;
  JobLayout layout;
  std::vector<TaskRole> roles;         // by global rank
  std::vector<TaskAddress> addresses;  // by global rank
  nlohmann::ordered_json cluster;      // TF_CONFIG's "cluster"
  std::string cluster_text;            // CLUSTER_SPEC
  TorchWorld torch;
  // By global rank: the index by which the task takes its share of its node's GPUs (or of
  // its CPUs, without GPUs) among its component's tasks there (BindingRequest::local_index).
  // With the torch variables it is the task's LOCAL_RANK, so the task bound near GPU i is
  // the one that uses cuda:LOCAL_RANK = i; the node's other tasks (ps, evaluators) follow
  // in SLURM_LOCALID order. Without them it is SLURM_LOCALID.
  std::vector<unsigned> local_share_index;
  std::optional<SageMakerJob> sagemaker;  // set by add_sagemaker_job
};

// Validates the settings against the layout and computes the plan. Throws
// std::invalid_argument with the reason: roles that do not fit the components, more
// than kPortStride tasks on one node, a TF_CONFIG too large for the environment, torch
// tasks of two het components on one node (their LOCAL_RANK could not index the GPUs
// each component sees).
StepPlan make_step_plan(JobSettings settings, const PluginConfig& config, JobLayout layout, std::uint32_t job_id);

// The hosts of the step and the host of its coordinating task (the master or chief, else
// the first worker: torch's rank 0), empty when the step has neither.
std::vector<std::string> step_hosts(const StepPlan& plan);
std::string coordinator_host(const StepPlan& plan);

// Adds the SageMaker part of the plan (see sagemaker_env.h) when the job's families include
// sagemaker; does nothing otherwise. `environment` and `entries` are the job's environment
// (by name, and as "NAME=VALUE" strings). Throws std::invalid_argument as
// make_sagemaker_job does.
void add_sagemaker_job(StepPlan& plan, const EnvLookup& environment, std::span<const std::string_view> entries);

struct TaskEnvironment {
  std::vector<std::pair<std::string, std::string>> set;
  std::vector<std::string> unset;  // torch variables of tasks outside the torch world
};

// The MLJOB_*, tf and torch variables of one task (the SageMaker ones need the task's own
// GPUs, CPUs and working directory: sagemaker_variables). Throws std::out_of_range for a
// rank outside the plan.
TaskEnvironment task_environment(const StepPlan& plan, unsigned global_rank);

}  // namespace mljob::plugin
