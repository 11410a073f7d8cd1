// Expansion of Slurm's compressed tasks-per-node strings ("2(x3),1" -> 2,2,2,1).
//
// Slurm writes SLURM_TASKS_PER_NODE, SLURM_STEP_TASKS_PER_NODE and their _HET_GROUP_n
// forms this way: a comma list of counts, each optionally repeated with "(xN)".
// Like the host list expander (see hostlist.h), this avoids linking libslurm into slurmd.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace mljob::plugin {

// Upper bound on the nodes one string may describe (the same bound as for host lists).
inline constexpr std::size_t kMaxNodesPerList = 65536;

// Upper bound on the tasks of one node: far above any real node (Slurm's own limit per
// node is 65533 in a uint16_t), it keeps sums of counts far from overflow.
inline constexpr unsigned kMaxTasksPerNode = 65535;

// Returns one count per node, in node order. Throws std::invalid_argument naming the
// offending text on malformed input ("2(x", "(x3)", "two", zero repetitions) and when the
// string describes more than kMaxNodesPerList nodes.
std::vector<unsigned> expand_tasks_per_node(std::string_view compressed);

}  // namespace mljob::plugin
