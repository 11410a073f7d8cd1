// The TCP port of every task: deterministic per job, distinct between the tasks of one
// node, and (for jobs whose ids differ modulo the slot count) between jobs.
//
//   slots = port_range / kPortStride
//   port  = port_base + (job_id mod slots) * kPortStride + local_index_on_host
//
// Each job owns a block of kPortStride consecutive ports on every node; the tasks of the
// job on one node (of all het components together) take the ports of that block in rank
// order. Hence at most kPortStride tasks of one job may share a node.
#pragma once

#include <cstdint>

namespace mljob::plugin {

inline constexpr unsigned kPortStride = 64;
inline constexpr unsigned kLowestPort = 1024;
inline constexpr unsigned kHighestPort = 65535;

struct PortRange {
  unsigned base = 20000;   // plugstack.conf port_base=, or the job's --ml-port / MLJOB_PORT
  unsigned range = 10000;  // plugstack.conf port_range=
};

// Throws std::invalid_argument when the range holds no block of kPortStride ports
// within [kLowestPort, kHighestPort].
void check_port_range(const PortRange& ports);

// The number of job blocks in the range; ranges reaching past kHighestPort are cut there.
unsigned port_slots(const PortRange& ports);

// Throws std::invalid_argument when local_index_on_host >= kPortStride.
unsigned task_port(const PortRange& ports, std::uint32_t job_id, unsigned local_index_on_host);

}  // namespace mljob::plugin
