// TF_CONFIG and CLUSTER_SPEC as TensorFlow and Google AI Platform define them:
//
//   TF_CONFIG = {"cluster": {"master": ["h:p"], "worker": [...], "ps": [...]},
//                "task": {"type": "worker", "index": 1}, "environment": "cloud"}
//   CLUSTER_SPEC = the "cluster" object alone (AI Platform's older variable)
//
// Every replica of every role is listed as "host:port" in rank order. Evaluators are not
// part of the cluster (TensorFlow's evaluator runs outside it) but get their own task.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "roles.h"

namespace mljob::plugin {

// The type name of a role in TF_CONFIG: the coordinator is "chief" when the role map
// says chief or when use_chief is set (--ml-chief, AI Platform's useChiefInTfConfig).
std::string_view tf_task_type(Role role, bool use_chief);

// The "cluster" object: one "host:port" list per role, keys in the order
// master/chief, worker, ps; roles without tasks are left out, evaluators always.
// `endpoints[r]` is the "host:port" of global rank r, `roles[r]` its role.
nlohmann::ordered_json cluster_spec(std::span<const TaskRole> roles, std::span<const std::string> endpoints,
                                    bool use_chief);

// The whole TF_CONFIG object for one task.
nlohmann::ordered_json tf_config(const nlohmann::ordered_json& cluster, const TaskRole& task, bool use_chief);

}  // namespace mljob::plugin
