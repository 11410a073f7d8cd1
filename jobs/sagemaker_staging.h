// A SageMaker job's folders, laid out in its job folder before it is submitted: what SageMaker
// would download into each instance's /opt/ml, made here of links into the cluster's file
// systems (nothing is copied: the channels are the site's data, where the storage section says).
//
//   sagemaker/input/config/hyperparameters.json, inputdataconfig.json
//   sagemaker/input/data/CHANNEL        the channel's files (a link to the mapped folder, or a
//                                       folder of links for a partial prefix or a manifest)
//   sagemaker/input/shards/N/CHANNEL    host N's share of a ShardedByS3Key channel
//   sagemaker/hosts/N/                  host N's /opt/ml: input/config (+ its resourceconfig.json,
//                                       written by the host), input/data, model, output, checkpoints
//   sagemaker/model, output/data        SM_MODEL_DIR and SM_OUTPUT_DATA_DIR, shared by the hosts
//   sagemaker/code                      sagemaker_submit_directory, unpacked (script mode)
//   sagemaker/task.sh                   what each host runs before the program (core/sagemaker_training.h)
#pragma once

#include <cstddef>
#include <filesystem>

#include "core/sagemaker_training.h"
#include "tiers/catalog.h"

namespace mljob::jobs {

// At most this many files in a channel: each may become a link in the job's folder.
inline constexpr std::size_t kMaxChannelFiles = 1'000'000;
// A manifest file is read whole: at most this many bytes.
inline constexpr std::uintmax_t kMaxManifestBytes = 64 << 20;

// The bounds above; a test lowers the file count (a million files take minutes to make).
struct StagingLimits {
  std::size_t channel_files = kMaxChannelFiles;
  std::uintmax_t manifest_bytes = kMaxManifestBytes;
};

// Lays the folders out (the job folder itself exists: the store reserved it). Throws InputError
// naming the channel's field when its data is not there (no file under the prefix, a manifest
// that cannot be read or names a file that does not exist), or sagemaker_program when script
// mode's entry point is not in the unpacked code; and past `limits`, naming the channel's field.
void stage_sagemaker_job(const SageMakerTraining& training, const tiers::TierCatalog& catalog,
                         const StagingLimits& limits = {});

}  // namespace mljob::jobs
