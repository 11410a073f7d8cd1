// The PyTorch distributed variables (torch.distributed's env:// rendezvous, torchrun's
// names): MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK, LOCAL_RANK, LOCAL_WORLD_SIZE,
// GROUP_RANK and NODE_RANK.
//
// Who is in the torch world: the master (or chief) and the workers. Parameter servers and
// evaluators are not: torch's collective training has no parameter servers, and an
// evaluator must not take part in collectives or it would stall them. They get none of
// these variables. The master is rank 0 and the workers follow in global rank order;
// without a master, the first worker is rank 0 and MASTER_ADDR points at it.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "roles.h"

namespace mljob::plugin {

struct TorchVariables {
  std::string master_addr;
  unsigned master_port;
  unsigned world_size;
  unsigned rank;
  unsigned local_rank;        // among torch-world tasks on this task's host
  unsigned local_world_size;  // torch-world tasks on this task's host
  unsigned group_rank;        // the host's index among torch-world hosts (= NODE_RANK)
  bool operator==(const TorchVariables&) const = default;
};

// Where one global rank runs, as the torch world needs it.
struct TaskAddress {
  std::string host;
  unsigned port;
};

class TorchWorld {
 public:
  // roles[r] and addresses[r] describe global rank r. Throws std::logic_error when the
  // sizes differ.
  TorchWorld(std::span<const TaskRole> roles, std::span<const TaskAddress> addresses);

  // nullopt for tasks outside the torch world (ps, evaluator).
  const std::optional<TorchVariables>& for_task(unsigned global_rank) const;

  unsigned world_size() const { return world_size_; }

 private:
  std::vector<std::optional<TorchVariables>> by_global_rank_;
  unsigned world_size_ = 0;
};

}  // namespace mljob::plugin
