#include "task_binding.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace mljob::plugin {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace

IndexSet current_cpu_binding(hwloc_topology_t topology) {
  hwloc_bitmap_t set = hwloc_bitmap_alloc();
  if (!set) fail("hwloc_bitmap_alloc");
  const int result = hwloc_get_cpubind(topology, set, HWLOC_CPUBIND_THREAD);
  const int error = errno;
  IndexSet cpus(set);
  hwloc_bitmap_free(set);
  errno = error;
  if (result != 0) fail("hwloc_get_cpubind");
  return cpus;
}

std::optional<std::string> apply_binding(hwloc_topology_t topology, const Binding& binding) {
  if (!binding.bind) return std::nullopt;
  if (hwloc_set_cpubind(topology, binding.cpus.get(), HWLOC_CPUBIND_THREAD) != 0) {
    fail("cannot bind the task to cpus " + binding.cpus.list() + " (hwloc_set_cpubind)");
  }
  if (binding.nodes.empty()) return std::nullopt;
  if (hwloc_set_membind(topology, binding.nodes.get(), HWLOC_MEMBIND_BIND,
                        HWLOC_MEMBIND_THREAD | HWLOC_MEMBIND_BYNODESET) != 0) {
    return "cannot bind the task's memory to NUMA node(s) " + binding.nodes.list() +
           " (hwloc_set_membind): " + std::strerror(errno);
  }
  return std::nullopt;
}

}  // namespace mljob::plugin
