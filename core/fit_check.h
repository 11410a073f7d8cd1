// Whether a plan can ever start on the cluster. Only necessary conditions are checked, so a
// plan is never refused that Slurm could run; a plan refused here would pend forever.
#pragma once

#include <string>
#include <vector>

#include "core/cluster_inventory.h"
#include "core/plan.h"

namespace mljob {

// One sentence per problem, naming the component, what it asks and what the cluster has.
std::vector<std::string> reasons_plan_never_fits(const SlurmPlan& plan, const ClusterInventory& cluster);

// How many tasks of `component` one node can hold (0: none).
int tasks_that_fit(const SlurmComponent& component, const NodeInfo& node);

}  // namespace mljob
