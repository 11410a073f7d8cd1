// What a batch prediction job becomes on Slurm: one job array, an element per shard, each
// element one task on the prediction machine type that runs mljob's shard worker. Pure: the
// shards themselves (which bytes of which files) are decided by prediction/shard_plan.h and
// written to the job's folder; this plans and renders only the array.
#pragma once

#include <string>
#include <vector>

#include "core/plan.h"
#include "tiers/catalog.h"

namespace mljob {

struct PredictionArrayPlan {
  std::string job_name;                     // the job's ID
  SlurmComponent worker;                    // each element's resources
  std::vector<int> shards;                  // the array's indices: the shards to run
  int throttle = 1;                         // at most this many elements at once (maxWorkerCount)
  std::string runtime_setup;                // the admin's setup line for the runtime, run verbatim
  std::vector<std::string> worker_command;  // argv; the shard's index is given as --shard INDEX
};

// The worker's resources from the catalog: `machine_type` (empty: the catalog's
// prediction.machineType, else BASIC's master's). InputError at `field` for one not offered.
SlurmComponent prediction_worker(const tiers::TierCatalog& catalog, const std::string& machine_type,
                                 const std::string& field);

// "0-3", "1,4-6": Slurm's --array syntax for sorted, distinct indices.
std::string array_indices(const std::vector<int>& indices);

std::string render_prediction_script(const PredictionArrayPlan& plan);

}  // namespace mljob
