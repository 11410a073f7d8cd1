#include "ports.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace mljob::plugin {
namespace {

std::string describe(const PortRange& ports) {
  return "ports " + std::to_string(ports.base) + " + " + std::to_string(ports.range);
}

}  // namespace

unsigned port_slots(const PortRange& ports) {
  if (ports.base < kLowestPort || ports.base > kHighestPort) return 0;
  const unsigned usable = std::min(ports.range, kHighestPort + 1 - ports.base);
  return usable / kPortStride;
}

void check_port_range(const PortRange& ports) {
  if (ports.base < kLowestPort || ports.base > kHighestPort) {
    throw std::invalid_argument(describe(ports) + ": the base port must be from " + std::to_string(kLowestPort) +
                                " to " + std::to_string(kHighestPort));
  }
  if (port_slots(ports) == 0) {
    throw std::invalid_argument(describe(ports) + ": fewer than " + std::to_string(kPortStride) +
                                " ports below 65536, too few for one job's block");
  }
}

unsigned task_port(const PortRange& ports, std::uint32_t job_id, unsigned local_index_on_host) {
  check_port_range(ports);
  if (local_index_on_host >= kPortStride) {
    throw std::invalid_argument("task " + std::to_string(local_index_on_host) + " on one node: at most " +
                                std::to_string(kPortStride) +
                                " tasks of one job may share a node (one port block each)");
  }
  const unsigned slot = job_id % port_slots(ports);
  return ports.base + slot * kPortStride + local_index_on_host;
}

}  // namespace mljob::plugin
