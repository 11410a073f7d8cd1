// How a task's CPUs and memory are bound (--ml-bind, MLJOB_BIND, plugstack.conf's bind=):
// one policy (closest, numa, socket, none) and/or the word verbose, comma separated.
#pragma once

#include <optional>
#include <string_view>

namespace mljob::plugin {

enum class BindPolicy {
  closest,  // the object hwloc reports as the GPUs' locality; GPU-less tasks: NUMA nodes
  numa,     // the NUMA node(s) holding the GPUs; GPU-less tasks: spread over NUMA nodes
  socket,   // the package(s) holding the GPUs; GPU-less tasks: spread over packages
  none,     // leave Slurm's binding alone
};

// As typed: "verbose" alone sets no policy (the plugstack default then applies).
struct BindRequest {
  std::optional<BindPolicy> policy;
  bool verbose = false;
  bool operator==(const BindRequest&) const = default;
};

// What a step uses: the job's request over plugstack.conf's default.
struct BindSettings {
  BindPolicy policy = BindPolicy::closest;
  bool verbose = false;
  bool operator==(const BindSettings&) const = default;
};

// Parses "closest", "numa,verbose", "verbose", ... Throws std::invalid_argument naming
// `source` ("--ml-bind", "MLJOB_BIND", "bind") and the value: empty text, an unknown word,
// two policies.
BindRequest parse_bind_request(std::string_view text, std::string_view source);

BindSettings resolve_bind(const std::optional<BindRequest>& job, const BindSettings& site);

std::string_view bind_policy_name(BindPolicy policy);

}  // namespace mljob::plugin
