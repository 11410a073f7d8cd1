// IBM FfDL's front door, its pure half: a training manifest (manifest.yml, FfDL's ManifestV1 in
// restapi/api_v1/server/manifest.go) read, checked and translated into a Job that runs the
// manifest's command on Slurm. No file is touched here: staging the model definition and making
// the result folders is jobs/ffdl_staging.h's.
//
// What a manifest becomes (docs/ffdl.md has the field table):
// - `learners` replicas of one machine type (scaleTier CUSTOM, a master and learners-1 workers of
//   the same type), so the planner makes them one Slurm component of `learners` tasks.
// - The machine type is the site's smallest that holds a learner: the catalog's machine types
//   with at least `cpus` CPUs and `memory`, and, with `gpus` > 0, a built-in accelerator of at
//   least `gpus` (of `gpu_type` when given); with `gpus` 0, one with no accelerator at all.
//   Among those: fewest accelerators, then fewest CPUs, then least memory, then the name. FfDL
//   asks Kubernetes for exactly this much per learner; a Slurm site sells whole machine types, so
//   the nearest one above the request is the fair translation. GPUs come first because they are
//   the scarce resource (a CPU job never takes a GPU machine, a 1-GPU job never takes a 4-GPU one
//   while a 1-GPU one fits), and the name breaks ties so that the choice never depends on order.
// - The data store's containers become folders through the catalog's `storage:` section:
//   mount_cos and s3_datastore container C is "s3://C/"; swift_datastore, softlayer_objectstore
//   and bluemix_objectstore (OpenStack Swift) container C is "swift://C/"; mount_volume with
//   connection {type: host_mount, path: P} container C is "file://P/C/" (a folder of the
//   Kubernetes hosts, which the site maps only if its cluster has the same data).
// - Each learner runs `/bin/bash -c PRELUDE+COMMAND` in MODEL_DIR, as FfDL's learner runs
//   `bash -c` on the command (its examples use bash: `[ "$LEARNER_ID" == "1" ]`). The command is
//   one argv word: it never becomes part of the batch script.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/ignored_field.h"
#include "core/job.h"
#include "tiers/catalog.h"

namespace mljob {

// What the front door decides before parsing: the training ID it gives the job and the job's
// folder in the user's store (where the model definition, logs and default results go).
struct FfdlContext {
  std::string training_id;  // "training-" + 9 letters and digits (new_ffdl_training_id)
  std::string job_folder;   // absolute, e.g. /home/alice/.mljob/jobs/training-Ab3dE5gH7
};

// The folders the learners are given, as FfDL names them (all absolute, no trailing '/').
struct FfdlFolders {
  std::string job_state_dir;      // JOB_STATE_DIR: the job's folder
  std::string model_dir;          // MODEL_DIR: JOB_STATE_DIR/model-definition (the unpacked zip)
  std::string log_dir;            // LOG_DIR: JOB_STATE_DIR/logs
  std::string data_dir;           // DATA_DIR: the training_data container's folder
  std::string result_bucket_dir;  // RESULT_BUCKET_DIR: the training_results container's folder
  std::string result_dir;         // RESULT_DIR: RESULT_BUCKET_DIR/TRAINING_ID
  std::string checkpoint_dir;     // CHECKPOINT_DIR: RESULT_BUCKET_DIR/_wml_checkpoints
};

struct FfdlJob {
  Job job;                     // job_id = training ID; launch->api = "ffdl"
  FfdlFolders folders;         // what staging creates (RESULT_DIR, LOG_DIR...) and checks (DATA_DIR)
  std::string machine_type;    // chosen for every learner (also job.training_input.master_type)
  int learners = 1;            // Slurm tasks of the job's one component
  std::int64_t memory_mb = 0;  // what a learner asked for, in MiB (Slurm's MB), after FfDL's default
  // Fields accepted, kept in launch->request, with no effect here (framework image, object-store
  // credentials, storage...): the command says them on stderr (warn_ignored).
  std::vector<IgnoredField> ignored;
};

// The file in JOB_STATE_DIR where the batch script notes, as "Processing EPOCH" and
// "Ended EPOCH STATUS" lines, when the learners' command began and ended: what tells FfDL's
// DOWNLOADING, PROCESSING and STORING apart while Slurm says RUNNING (jobs/ffdl_view.h).
inline constexpr const char* kFfdlPhasesFile = "phases";

// The fixed shell text put before every learner's command: LEARNER_ID from Slurm's task rank
// (1-based, as FfDL's learners count), the learner's result folder, PYTHONPATH as FfDL sets it.
extern const char* const kFfdlLearnerPrelude;

// Reads `yaml_text` (YAML or JSON) as an FfDL manifest and translates it. Throws InputError
// naming the manifest field as a dotted path (`framework.command`, `data_stores[0].type`), the
// value and the rule, for anything FfDL would refuse, anything it would silently change (a
// memory of "1.5GB" that FfDL runs with 512 MB), unknown fields (with "did you mean"), a
// learner no machine type holds, and a data store the catalog's storage does not map.
// `source_name` names the text in a YAML syntax error.
FfdlJob parse_ffdl_manifest(const std::string& yaml_text, const std::string& source_name,
                            const tiers::TierCatalog& catalog, const FfdlContext& context);

// FfDL's memory and storage strings (manifest.go's convertMemoryFromManifest, made strict):
// a whole number, optional blanks, and MB, MiB, GB or GiB in any case ("16Gb", "1000 MiB"), in
// Slurm's MB (MiB), rounded up. GB and MB are decimal, GiB and MiB binary. What FfDL would turn
// into 512 MB (no unit, a fraction, TB/TiB, another unit) and text after the unit are refused:
// an InputError at `field`.
std::int64_t parse_ffdl_memory_mb(const std::string& text, const std::string& field);

// A new training ID in FfDL's shape, "training-" + 9 random letters and digits: it passes
// check_stored_job_name (a SageMaker-style name), so it names a folder of the store.
std::string new_ffdl_training_id();

}  // namespace mljob
