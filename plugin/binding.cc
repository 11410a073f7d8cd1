#include "binding.h"

#include <charconv>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "log_text.h"

namespace mljob::plugin {
namespace {

// Bound on the GPUs named by one SLURM_STEP_GPUS (Slurm's nodes have far fewer).
constexpr std::size_t kMostGpus = 4096;

struct Span {
  std::size_t begin;
  std::size_t end;
};

// Item i of k's block of n things: [i*n/k, (i+1)*n/k), widened to one thing when empty
// (more items than things: several items share one thing).
Span block_of(std::size_t i, std::size_t k, std::size_t n) {
  const std::size_t begin = i * n / k;
  const std::size_t end = (i + 1) * n / k;
  return end > begin ? Span{begin, end} : Span{begin, begin + 1};
}

std::vector<unsigned> parse_gpu_list(const std::string& text) {
  std::vector<unsigned> gpus;
  std::size_t start = 0;
  while (start <= text.size() && gpus.size() < kMostGpus) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    unsigned index = 0;
    const char* first = text.data() + start;
    const char* last = text.data() + comma;
    const auto [stop, error] = std::from_chars(first, last, index);
    if (first == last || error != std::errc{} || stop != last) {
      throw std::invalid_argument("SLURM_STEP_GPUS=" + log_quoted(text) + " is not a list of GPU indexes");
    }
    gpus.push_back(index);
    start = comma + 1;
  }
  return gpus;
}

std::string joined(const std::vector<unsigned>& values) {
  std::string text;
  for (unsigned value : values) text += (text.empty() ? "" : ",") + std::to_string(value);
  return text;
}

std::string where(const Binding& binding) {
  std::string text = "cpus " + binding.cpus.list();
  text += binding.nodes.empty() ? ", memory not bound" : ", memory on node(s) " + binding.nodes.list();
  return text;
}

Binding keep_allocation(const BindingRequest& request, const std::string& why) {
  return Binding{.bind = false,
                 .cpus = request.allowed_cpus,
                 .nodes = IndexSet(),
                 .reason = "kept Slurm's allocation (cpus " + request.allowed_cpus.list() + "): " + why};
}

Binding bound(const BindingRequest& request, const IndexSet& cpus, const IndexSet& nodes, const std::string& why) {
  Binding binding{
      .bind = true, .cpus = cpus & request.allowed_cpus, .nodes = nodes & request.allowed_nodes, .reason = ""};
  binding.reason = where(binding) + ": " + why;
  return binding;
}

// The places a policy spreads over, or binds GPU tasks to.
const std::vector<Place>& places_for(const NodeTopology& topology, BindPolicy policy) {
  return policy == BindPolicy::socket ? topology.packages : topology.numa_nodes;
}

std::string place_kind(BindPolicy policy) {
  return policy == BindPolicy::socket ? "packages" : "NUMA nodes";
}

// The place(s) holding one GPU under the policy, merged into `cpus`/`nodes`/`names`.
void add_gpu_place(const NodeTopology& topology, BindPolicy policy, const Gpu& gpu, IndexSet& cpus, IndexSet& nodes,
                   std::vector<std::string>& names) {
  auto add_name = [&](const std::string& name) {
    for (const std::string& known : names)
      if (known == name) return;
    names.push_back(name);
  };
  if (policy == BindPolicy::closest) {
    cpus |= gpu.locality.cpus;
    nodes |= gpu.locality.nodes;
    add_name(gpu.locality.name);
    return;
  }
  for (const Place& place : places_for(topology, policy)) {
    const bool holds = policy == BindPolicy::numa ? gpu.locality.nodes.intersects(place.nodes)
                                                  : gpu.locality.cpus.intersects(place.cpus);
    if (!holds) continue;
    cpus |= place.cpus;
    nodes |= place.nodes;
    add_name(place.name);
  }
}

std::string names_text(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : " + ") + name;
  return text;
}

Binding bind_to_gpus(const NodeTopology& topology, const BindingRequest& request, std::vector<unsigned> gpus) {
  std::string share;
  if (request.step_gpus == request.task_gpus && request.local_count > 1) {
    const Span span = block_of(request.local_index, request.local_count, gpus.size());
    std::vector<unsigned> mine(gpus.begin() + static_cast<long>(span.begin),
                               gpus.begin() + static_cast<long>(std::min(span.end, gpus.size())));
    share = "; its share (local task " + std::to_string(request.local_index) + " of " +
            std::to_string(request.local_count) + ") of the step's GPUs " + joined(gpus);
    gpus = std::move(mine);
  }
  IndexSet cpus, nodes;
  std::vector<std::string> names;
  std::string devices;
  for (unsigned index : gpus) {
    if (index >= topology.gpus.size()) {
      return keep_allocation(request, "GPU " + std::to_string(index) + " has no known locality (the topology has " +
                                          std::to_string(topology.gpus.size()) + " NVIDIA/AMD GPU(s))" + share);
    }
    const Gpu& gpu = topology.gpus[index];
    devices += (devices.empty() ? "" : " ") + gpu.pci_bus_id;
    add_gpu_place(topology, request.policy, gpu, cpus, nodes, names);
  }
  const std::string what = "GPU" + std::string(gpus.size() > 1 ? "s " : " ") + joined(gpus) + " (PCI " + devices +
                           ") under " + names_text(names);
  if (!cpus.intersects(request.allowed_cpus)) {
    return keep_allocation(request,
                           "none of the CPUs near its " + what + " (cpus " + cpus.list() + ") is in it" + share);
  }
  return bound(request, cpus, nodes, std::string(bind_policy_name(request.policy)) + " to its " + what + share);
}

// Whether the task runs on the CPUs every task of the step on the node starts with, so
// that the tasks share them and the spread divides them. Under task/affinity each task's
// affinity is already its own part of the step's: dividing it again by the task's index
// would leave it one of its cores.
bool shares_the_steps_cpus(const BindingRequest& request) {
  return !request.step_cpus.empty() && request.allowed_cpus == request.step_cpus;
}

// A GPU-less task with CPUs of its own: they stay; memory goes where they are.
Binding keep_own_cpus(const BindingRequest& request, const std::vector<const Place*>& usable, const std::string& kind) {
  IndexSet nodes;
  std::vector<std::string> names;
  for (const Place* place : usable) {
    nodes |= place->nodes;
    names.push_back(place->name);
  }
  const std::string steps =
      request.step_cpus.empty() ? std::string("(the step's are unknown)") : "of the step's " + request.step_cpus.list();
  return bound(request, request.allowed_cpus, nodes,
               "no GPU; Slurm gave it cpus " + request.allowed_cpus.list() + " " + steps +
                   ": it keeps them, with its memory on the " + kind + " holding them: " + names_text(names));
}

Binding spread_without_gpus(const NodeTopology& topology, const BindingRequest& request) {
  std::vector<const Place*> usable;
  for (const Place& place : places_for(topology, request.policy)) {
    if (place.cpus.intersects(request.allowed_cpus)) usable.push_back(&place);
  }
  const std::string kind = place_kind(request.policy);
  if (usable.empty()) {
    return keep_allocation(request, "no GPU, and no " + kind + " hold its CPUs");
  }
  if (!shares_the_steps_cpus(request)) return keep_own_cpus(request, usable, kind);
  const std::size_t i = request.local_index;
  const std::size_t k = std::max<std::size_t>(request.local_count, 1);
  const Span span = block_of(i, k, usable.size());
  IndexSet cpus, nodes;
  std::vector<std::string> names;
  for (std::size_t p = span.begin; p < span.end; ++p) {
    cpus |= usable[p]->cpus;
    nodes |= usable[p]->nodes;
    names.push_back(usable[p]->name);
  }
  std::string why = "no GPU; local task " + std::to_string(i) + " of " + std::to_string(k) + " spread over the " +
                    std::to_string(usable.size()) + " " + kind + " holding its CPUs: " + names_text(names);
  if (k > usable.size()) {
    // Several tasks on one place: split its allocated cores among them, whole cores.
    std::size_t first = 0, sharing = 0;
    for (std::size_t j = 0; j < k; ++j) {
      if (block_of(j, k, usable.size()).begin != span.begin) continue;
      if (j < i) ++first;
      ++sharing;
    }
    const IndexSet place_cpus = cpus & request.allowed_cpus;
    std::vector<const IndexSet*> cores;
    for (const IndexSet& core : topology.cores) {
      if (core.intersects(place_cpus)) cores.push_back(&core);
    }
    if (!cores.empty()) {
      const Span mine = block_of(first, sharing, cores.size());
      IndexSet split;
      for (std::size_t c = mine.begin; c < mine.end; ++c) split |= *cores[c];
      cpus = split;
      why += mine.end - mine.begin == 1 ? ", core " + std::to_string(mine.begin)
                                        : ", cores " + std::to_string(mine.begin) + "-" + std::to_string(mine.end - 1);
      why += " of its " + std::to_string(cores.size()) + " (" + std::to_string(sharing) + " tasks share it)";
    }
  }
  return bound(request, cpus, nodes, why);
}

}  // namespace

std::string applied_binding_text(const Binding& binding, const std::optional<std::string>& memory_error) {
  if (!binding.bind || !memory_error) return binding.reason;
  // A bound decision's reason is where(binding) + ": " + why.
  const std::string planned = where(binding);
  const std::string why =
      binding.reason.starts_with(planned + ": ") ? binding.reason.substr(planned.size() + 2) : binding.reason;
  return "cpus " + binding.cpus.list() + ", memory not bound (" + *memory_error + "): " + why;
}

Binding decide_binding(const NodeTopology& topology, const BindingRequest& request) {
  if (request.policy == BindPolicy::none) {
    return keep_allocation(request, "--ml-bind=none");
  }
  if (request.allowed_cpus.empty()) {
    return keep_allocation(request, "its CPU allocation is unknown");
  }
  if (request.local_count == 0 || request.local_index >= request.local_count) {
    return keep_allocation(request, "local task " + std::to_string(request.local_index) + " of " +
                                        std::to_string(request.local_count) + " tasks on the node is out of range");
  }
  std::vector<unsigned> gpus;
  if (request.task_gpus && !request.task_gpus->empty()) {
    try {
      gpus = parse_gpu_list(*request.task_gpus);
    } catch (const std::invalid_argument& error) {
      return keep_allocation(request, error.what());
    }
  }
  if (!gpus.empty()) return bind_to_gpus(topology, request, std::move(gpus));
  return spread_without_gpus(topology, request);
}

}  // namespace mljob::plugin
