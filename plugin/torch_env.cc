#include "torch_env.h"

#include <map>
#include <stdexcept>

namespace mljob::plugin {
namespace {

// Global ranks of the torch world in torch rank order: the coordinator, then workers.
std::vector<unsigned> torch_rank_order(std::span<const TaskRole> roles) {
  std::vector<unsigned> order;
  for (unsigned rank = 0; rank < roles.size(); ++rank) {
    if (is_coordinator(roles[rank].role)) order.push_back(rank);
  }
  for (unsigned rank = 0; rank < roles.size(); ++rank) {
    if (roles[rank].role == Role::worker) order.push_back(rank);
  }
  return order;
}

}  // namespace

TorchWorld::TorchWorld(std::span<const TaskRole> roles, std::span<const TaskAddress> addresses)
    : by_global_rank_(roles.size()) {
  if (roles.size() != addresses.size()) {
    throw std::logic_error("TorchWorld: " + std::to_string(roles.size()) + " roles but " +
                           std::to_string(addresses.size()) + " addresses");
  }
  const std::vector<unsigned> order = torch_rank_order(roles);
  world_size_ = static_cast<unsigned>(order.size());
  if (order.empty()) return;

  const TaskAddress& master = addresses[order.front()];
  std::map<std::string, unsigned> tasks_on_host;
  std::map<std::string, unsigned> host_index;  // in order of the host's first torch rank
  for (unsigned global : order) {
    const std::string& host = addresses[global].host;
    host_index.try_emplace(host, static_cast<unsigned>(host_index.size()));
    ++tasks_on_host[host];
  }
  std::map<std::string, unsigned> next_local_rank;
  for (unsigned torch_rank = 0; torch_rank < order.size(); ++torch_rank) {
    const unsigned global = order[torch_rank];
    const std::string& host = addresses[global].host;
    by_global_rank_[global] = TorchVariables{
        .master_addr = master.host,
        .master_port = master.port,
        .world_size = world_size_,
        .rank = torch_rank,
        .local_rank = next_local_rank[host]++,
        .local_world_size = tasks_on_host[host],
        .group_rank = host_index[host],
    };
  }
}

const std::optional<TorchVariables>& TorchWorld::for_task(unsigned global_rank) const {
  if (global_rank >= by_global_rank_.size()) {
    throw std::out_of_range("torch world: rank " + std::to_string(global_rank) + " is outside the step's " +
                            std::to_string(by_global_rank_.size()) + " tasks");
  }
  return by_global_rank_[global_rank];
}

}  // namespace mljob::plugin
