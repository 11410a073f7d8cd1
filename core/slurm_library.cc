#include "core/slurm_library.h"

#include "core/slurm_commands.h"

#include <dlfcn.h>
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>

namespace mljob {
namespace {

static_assert(kSlurmNoValue == NO_VAL && kSlurmInfinite == INFINITE, "slurm.h's markers moved");

// The functions used, bound from the libslurm whose headers mljob was built with (its SONAME,
// e.g. libslurm.so.38, names one Slurm release and so one layout of job_info_t).
struct SlurmFunctions {
  decltype(&slurm_init) init = nullptr;
  decltype(&slurm_load_job) load_job = nullptr;
  decltype(&slurm_load_jobs) load_jobs = nullptr;
  decltype(&slurm_free_job_info_msg) free_job_info_msg = nullptr;
  decltype(&slurm_get_errno) get_errno = nullptr;
  decltype(&slurm_strerror) strerror = nullptr;
  char* (*job_state_string)(std::uint32_t) = nullptr;         // exported, not declared in slurm.h
  const char* (*job_reason_string)(std::uint32_t) = nullptr;  // the same
  const slurm_conf_t* conf = nullptr;                         // the same: what slurm_init read
};

template <typename Function>
bool bind(void* library, const char* name, Function& slot) {
  slot = reinterpret_cast<Function>(dlsym(library, name));
  return slot != nullptr;
}

// slurm_init ends the process (Slurm's fatal()) when it finds no slurm.conf to read, so it is
// only called when the file it will pick is there: $SLURM_CONF, else the default path, else
// the copy a configless slurmd keeps. A configless site without either is left to squeue.
bool configuration_readable() {
  if (const char* named = std::getenv("SLURM_CONF")) return *named && ::access(named, R_OK) == 0;
  return ::access("/etc/slurm/slurm.conf", R_OK) == 0 || ::access("/run/slurm/conf/slurm.conf", R_OK) == 0;
}

// nullptr when libslurm cannot be used; then every query goes to squeue.
const SlurmFunctions* slurm_functions() {
  static std::once_flag once;
  static SlurmFunctions functions;
  static bool usable = false;
  std::call_once(once, [] {
    if (!configuration_readable()) return;
    // RTLD_GLOBAL: the plugins libslurm loads (auth/munge, hash/k12) take their symbols
    // (slurm_conf, slurm_get_log_level) from the global scope, as in squeue, which links it.
    // Its exports are slurm_* and slurmdb_* names (and three more of Slurm's own), none of
    // mljob's or its libraries'. RTLD_LAZY: binding all of libslurm's calls at once cost
    // 0.1 ms more than the few used. Never closed: libslurm keeps its configuration and
    // plugins for the life of the process.
    void* library = dlopen(MLJOB_LIBSLURM_SONAME, RTLD_LAZY | RTLD_GLOBAL);
    if (!library) return;
    usable = bind(library, "slurm_init", functions.init) && bind(library, "slurm_load_job", functions.load_job) &&
             bind(library, "slurm_load_jobs", functions.load_jobs) &&
             bind(library, "slurm_free_job_info_msg", functions.free_job_info_msg) &&
             bind(library, "slurm_get_errno", functions.get_errno) &&
             bind(library, "slurm_strerror", functions.strerror) &&
             bind(library, "slurm_job_state_string", functions.job_state_string) &&
             bind(library, "slurm_job_reason_string", functions.job_reason_string) &&
             bind(library, "slurm_conf", functions.conf);
    if (usable) functions.init(nullptr);
  });
  return usable ? &functions : nullptr;
}

// squeue shows only this cluster's jobs unless told otherwise; where it is told otherwise
// (SLURM_CLUSTERS names other clusters, or a federation's jobs are to be shown), it is left to
// squeue, so that the answer stays the one squeue gives.
bool squeue_shows_only_this_cluster(const SlurmFunctions& slurm) {
  if (std::getenv("SLURM_CLUSTERS") || std::getenv("SQUEUE_FEDERATION")) return false;
  const char* federation = slurm.conf->fed_params;
  return !(federation && std::strstr(federation, "fed_display"));
}

// The call never reached slurmctld or got no answer (libslurm has already retried for
// MessageTimeout): squeue would only wait as long again and fail the same way.
bool unreachable(int error) {
  return (error >= SLURM_COMMUNICATIONS_CONNECTION_ERROR && error <= SLURM_COMMUNICATIONS_SHUTDOWN_ERROR) ||
         (error >= SLURMCTLD_COMMUNICATIONS_CONNECTION_ERROR && error <= SLURMCTLD_COMMUNICATIONS_SHUTDOWN_ERROR) ||
         error == SLURM_PROTOCOL_SOCKET_IMPL_TIMEOUT;
}

QueuedJob queued_job(const slurm_job_info_t& job, const SlurmFunctions& slurm) {
  QueuedJob queued;
  queued.job_id = job.job_id;
  queued.user_id = job.user_id;
  queued.het_job_id = job.het_job_id;
  queued.het_job_offset = job.het_job_offset;
  queued.array_job_id = job.array_job_id;
  queued.array_task_id = job.array_task_id;
  if (job.array_task_str) queued.array_task_list = job.array_task_str;
  queued.name = job.name ? job.name : "";
  queued.comment = job.comment ? job.comment : "";
  queued.node_list = job.nodes ? job.nodes : "";
  // As squeue prints its Reason: the details slurmctld gave, else its reason in words.
  if (job.state_desc) {
    queued.reason = job.state_desc;
  } else if (const char* reason = slurm.job_reason_string(job.state_reason)) {
    queued.reason = reason;
  }
  const char* state = slurm.job_state_string(job.job_state);
  queued.state = state ? state : "";
  queued.submit_time = job.submit_time;
  queued.start_time = job.start_time;
  queued.end_time = job.end_time;
  queued.unlimited_time = job.time_limit == INFINITE;
  if (job.tres_alloc_str)
    queued.tres = job.tres_alloc_str;
  else if (job.tres_req_str)
    queued.tres = job.tres_req_str;
  return queued;
}

}  // namespace

void prepare_slurm_library() {
  slurm_functions();
}

std::optional<std::vector<QueuedJob>> load_queued_jobs(const QueueSelection& selection) {
  const SlurmFunctions* slurm = slurm_functions();
  if (!slurm || !squeue_shows_only_this_cluster(*slurm)) return std::nullopt;
  job_info_msg_t* answer = nullptr;
  // SHOW_ALL, as squeue asks when given job IDs: jobs in hidden partitions too. SHOW_LOCAL:
  // this cluster only, as squeue's slurm_load_jobs; without it slurm_load_job would first ask
  // slurmctld whether the cluster is in a federation (one more round trip).
  int rc = selection.single_job() != 0 ? slurm->load_job(&answer, selection.single_job(), SHOW_ALL | SHOW_LOCAL)
                                       : slurm->load_jobs(0, &answer, SHOW_ALL);
  if (rc != SLURM_SUCCESS) {
    // An ID slurmctld does not hold (any more) is an empty answer, as it is from squeue.
    int error = slurm->get_errno();
    if (error == ESLURM_INVALID_JOB_ID) return std::vector<QueuedJob>{};
    if (unreachable(error)) throw SlurmError(std::string("slurmctld did not answer: ") + slurm->strerror(error));
    return std::nullopt;
  }
  std::unique_ptr<job_info_msg_t, decltype(slurm->free_job_info_msg)> owned(answer, slurm->free_job_info_msg);
  std::vector<QueuedJob> jobs;
  jobs.reserve(answer->record_count);
  for (std::uint32_t i = 0; i < answer->record_count; ++i) jobs.push_back(queued_job(answer->job_array[i], *slurm));
  return jobs;
}

}  // namespace mljob
