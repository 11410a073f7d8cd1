#include "tf_config.h"

#include <array>
#include <stdexcept>

namespace mljob::plugin {

std::string_view tf_task_type(Role role, bool use_chief) {
  if (role == Role::master && use_chief) return "chief";
  return role_name(role);
}

nlohmann::ordered_json cluster_spec(std::span<const TaskRole> roles, std::span<const std::string> endpoints,
                                    bool use_chief) {
  if (roles.size() != endpoints.size()) {
    throw std::logic_error("cluster_spec: " + std::to_string(roles.size()) + " roles but " +
                           std::to_string(endpoints.size()) + " endpoints");
  }
  // Listing order of the cluster's keys; evaluators are deliberately absent.
  constexpr std::array kListedRoles{Role::master, Role::chief, Role::worker, Role::ps};
  nlohmann::ordered_json cluster = nlohmann::ordered_json::object();
  for (Role listed : kListedRoles) {
    nlohmann::ordered_json replicas = nlohmann::ordered_json::array();
    for (std::size_t rank = 0; rank < roles.size(); ++rank) {
      if (roles[rank].role == listed) replicas.push_back(endpoints[rank]);
    }
    if (!replicas.empty()) cluster[std::string(tf_task_type(listed, use_chief))] = replicas;
  }
  return cluster;
}

nlohmann::ordered_json tf_config(const nlohmann::ordered_json& cluster, const TaskRole& task, bool use_chief) {
  nlohmann::ordered_json config = nlohmann::ordered_json::object();
  config["cluster"] = cluster;
  config["task"] = {{"type", std::string(tf_task_type(task.role, use_chief))}, {"index", task.index}};
  config["environment"] = "cloud";
  return config;
}

}  // namespace mljob::plugin
