// A job from FfDL's front door as FfDL's REST API answers for it: GetTrainingJob's Model
// (`mljob ffdl show`) and GetAllTrainingsJobs' ModelList (`mljob ffdl list`), made from the Job
// resource (state and times from Slurm) and the job's record (the manifest as submitted, its
// folders, whether it was halted), and from what its batch script wrote on the way (the phases
// file, core/ffdl_manifest.h's kFfdlPhasesFile).
//
// FfDL's statuses from the Job resource's state:
//   QUEUED, PREPARING                 PENDING
//   RUNNING, the command not begun    DOWNLOADING (the allocation is up: FfDL's learners fetch
//                                     the data then; here the data is already on the cluster)
//   RUNNING, the command running      PROCESSING
//   RUNNING, the command ended        STORING (the batch script finishing; FfDL uploads then)
//   SUCCEEDED                         COMPLETED
//   FAILED                            FAILED
//   CANCELLING, CANCELLED             HALTED after `mljob ffdl halt` (or `mljob cancel`); FAILED
//                                     when someone else ended it (scancel, a deadline), as FfDL
//                                     reads a learner killed under it
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/ffdl_manifest.h"
#include "core/job_store.h"

namespace mljob::jobs {

// Whether the record is an FfDL training's (`mljob submit ffdl`).
bool is_ffdl_job(const JobRecord& record);

// What the front door keeps in the record beside {"api", "request"}: the job's folders, as the
// manifest and the catalog made them at submit (the catalog may change later), under "folders".
nlohmann::json ffdl_folders_json(const FfdlFolders& folders);
// MODEL_DIR and RESULT_DIR of a record made by `mljob submit ffdl`; a record without them
// (hand-edited) gives the folders FfDL's layout puts in the job's folder.
std::filesystem::path model_dir_of(const JobRecord& record);
std::filesystem::path result_dir_of(const JobRecord& record);

// What the batch script wrote in the phases file (epoch seconds; absent: not reached).
struct FfdlPhases {
  std::optional<std::int64_t> processing, ended;
  std::optional<int> exit_status;  // the learners' command's (srun's) exit status
};
FfdlPhases read_ffdl_phases(const std::string& text);

// FfDL's status (PENDING ... HALTED, see above) of a job in `state` (the Job resource's).
// `halted`: `mljob ffdl halt` or `mljob cancel` was asked for.
std::string ffdl_status(const std::string& state, bool halted, const FfdlPhases& phases);

// GetTrainingJob's Model. `resource`: the Job resource (jobs/job_view.h); `phases`: what the
// phases file says. Pure: reads no file. Object-store credentials are not shown (user_name,
// password: "(not shown)").
nlohmann::ordered_json ffdl_model(const nlohmann::json& resource, const JobRecord& record, const FfdlPhases& phases);
// The same, reading the job's phases file.
nlohmann::ordered_json ffdl_model(const nlohmann::json& resource, const JobRecord& record);

}  // namespace mljob::jobs
