// The job's ML settings, from the SPANK options (--ml-roles, --ml-port, --ml-env,
// --ml-chief, --ml-bind) or, for each option not given, from the job's environment
// (MLJOB_ROLES, MLJOB_PORT, MLJOB_ENV, MLJOB_USE_CHIEF, MLJOB_BIND): slurmrestd submissions cannot pass SPANK
// options, but they can set environment variables.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "bind_options.h"
#include "env_lookup.h"
#include "roles.h"

namespace mljob::plugin {

// Which families of variables the tasks get (--ml-env=tf,torch,sagemaker or all, the
// default). The MLJOB_* variables are always set.
struct EnvFamilies {
  bool tf = true;         // TF_CONFIG, CLUSTER_SPEC
  bool torch = true;      // MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK, ...
  bool sagemaker = true;  // SM_HOSTS, SM_CURRENT_HOST, ..., SM_TRAINING_ENV
  bool operator==(const EnvFamilies&) const = default;
};

// The lowest and highest accepted --ml-port / MLJOB_PORT. The highest leaves room for a
// few blocks of ports below 65536.
inline constexpr unsigned kLowestJobPortBase = 1024;
inline constexpr unsigned kHighestJobPortBase = 65000;

// Parsers for one value each; `source` ("--ml-port", "MLJOB_PORT", ...) names where the
// text came from in the std::invalid_argument they throw.
EnvFamilies parse_env_families(std::string_view text, std::string_view source);
unsigned parse_port_base(std::string_view text, std::string_view source);
bool parse_use_chief(std::string_view text, std::string_view source);

// Raw option values as Slurm hands them to the plugin.
struct OptionValues {
  std::optional<std::string> roles;  // --ml-roles
  std::optional<std::string> port;   // --ml-port
  std::optional<std::string> env;    // --ml-env
  bool chief = false;                // --ml-chief
  std::optional<std::string> bind;   // --ml-bind
};

struct JobSettings {
  std::string roles_text;  // as given, for messages
  RoleMap roles;
  std::optional<unsigned> port_base;  // overrides plugstack.conf's port_base
  EnvFamilies families;
  bool use_chief = false;
  std::optional<BindRequest> bind;  // over plugstack.conf's bind= (resolve_bind)
};

// nullopt when neither --ml-roles nor MLJOB_ROLES is set: the job did not opt in and the
// plugin leaves it alone. Each option wins over its environment variable. Throws
// std::invalid_argument (naming the option or variable and its value) on bad values.
std::optional<JobSettings> resolve_job_settings(const OptionValues& options, const EnvLookup& environment);

}  // namespace mljob::plugin
