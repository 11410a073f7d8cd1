// What the binding decision needs to know about one node, read from an hwloc topology:
// its NUMA nodes, packages and cores (as CPU and memory-node sets) and its GPUs with their
// PCI locality. Reading is pure (no system call); loading a topology (from the machine or
// from an XML file) is the one step that touches the system.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <hwloc.h>

#include "cpu_set.h"

namespace mljob::plugin {

// A NUMA node, a package, or the object hwloc names as a device's locality.
struct Place {
  std::string name;  // "NUMA node 1", "package 0", "group 2", "machine"
  IndexSet cpus;
  IndexSet nodes;  // memory (NUMA) nodes
};

struct Gpu {
  std::string pci_bus_id;  // "0000:41:00.0"
  Place locality;          // the closest non-I/O object hwloc puts the device under
};

struct NodeTopology {
  IndexSet cpus;                  // every CPU the topology allows
  IndexSet nodes;                 // every memory node it allows
  std::vector<Place> numa_nodes;  // by OS index
  std::vector<Place> packages;    // by OS index; the machine when hwloc reports none
  std::vector<IndexSet> cores;    // each core's hardware threads, in topology order
  // Slurm's GPU index i is gpus[i]: the GPU-class PCI devices of NVIDIA (10de) and AMD
  // (1002) in PCI bus order. That is the order of Slurm's AutoDetect (NVML, RSMI) and of
  // /dev/nvidiaN minors on NVIDIA's drivers; gres.conf lines written by hand must follow
  // it (see README.md). Other display devices (a BMC's VGA, integrated graphics) are not
  // GPUs Slurm schedules and are left out.
  std::vector<Gpu> gpus;
};

// Reads the node from a loaded hwloc topology (with I/O devices kept). Throws
// std::runtime_error when the topology has no CPU.
NodeTopology read_node_topology(hwloc_topology_t topology);

// An hwloc topology owned by this process.
struct HwlocTopologyFree {
  void operator()(hwloc_topology* topology) const { hwloc_topology_destroy(topology); }
};
using HwlocTopology = std::unique_ptr<hwloc_topology, HwlocTopologyFree>;

// Loads the topology of this machine, or of `xml_path` (an hwloc XML file; then hwloc is
// told that it describes this machine, so that binding through it works). Caches are left
// out (not needed); PCI devices are kept only `with_devices` (only GPU tasks need them,
// and discovering them is most of hwloc's work on a real machine); OS devices never, and
// hwloc's vendor components (gl, cuda, nvml, opencl, rsmi, levelzero) are blacklisted:
// run inside slurmstepd, gl could wait forever for an X server (README.md, "hwloc inside
// slurmstepd"). Throws std::runtime_error naming the file and errno.
HwlocTopology load_hwloc_topology(const std::optional<std::string>& xml_path, bool with_devices = true);

}  // namespace mljob::plugin
