#include "node_topology.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <tuple>

#include "log_text.h"

namespace mljob::plugin {
namespace {

constexpr unsigned kNvidia = 0x10de;
constexpr unsigned kAmd = 0x1002;
constexpr unsigned kDisplayClass = 0x03;  // PCI base class "display controller"
// Bound on the objects of one type read (real machines have a few thousand PUs at most).
constexpr int kMostObjects = 65536;

std::string type_name(hwloc_obj_t object) {
  switch (object->type) {
    case HWLOC_OBJ_MACHINE:
      return "machine";
    case HWLOC_OBJ_PACKAGE:
      return "package";
    case HWLOC_OBJ_NUMANODE:
      return "NUMA node";
    case HWLOC_OBJ_GROUP:
      return "group";
    case HWLOC_OBJ_DIE:
      return "die";
    case HWLOC_OBJ_CORE:
      return "core";
    case HWLOC_OBJ_L3CACHE:
      return "L3 cache";
    case HWLOC_OBJ_L2CACHE:
      return "L2 cache";
    default:
      return hwloc_obj_type_string(object->type);
  }
}

// OS index where the kernel numbers the object (packages, NUMA nodes), else hwloc's
// logical index: "NUMA node 1", "group 2", "machine".
std::string name_of(hwloc_obj_t object) {
  if (object->type == HWLOC_OBJ_MACHINE) return "machine";
  const bool os_numbered = object->os_index != HWLOC_UNKNOWN_INDEX &&
                           (object->type == HWLOC_OBJ_PACKAGE || object->type == HWLOC_OBJ_NUMANODE);
  return type_name(object) + " " + std::to_string(os_numbered ? object->os_index : object->logical_index);
}

Place place_of(hwloc_obj_t object) {
  return Place{.name = name_of(object), .cpus = IndexSet(object->cpuset), .nodes = IndexSet(object->nodeset)};
}

std::vector<Place> places_of_type(hwloc_topology_t topology, hwloc_obj_type_t type) {
  std::vector<Place> places;
  const int count = std::min(hwloc_get_nbobjs_by_type(topology, type), kMostObjects);
  for (int i = 0; i < count; ++i) {
    hwloc_obj_t object = hwloc_get_obj_by_type(topology, type, static_cast<unsigned>(i));
    if (object) places.push_back(place_of(object));
  }
  return places;
}

bool is_gpu(hwloc_obj_t device) {
  const hwloc_obj_attr_u::hwloc_pcidev_attr_s& pci = device->attr->pcidev;
  return (pci.class_id >> 8) == kDisplayClass && (pci.vendor_id == kNvidia || pci.vendor_id == kAmd);
}

std::string bus_id(const hwloc_obj_attr_u::hwloc_pcidev_attr_s& pci) {
  char text[32];
  std::snprintf(text, sizeof text, "%04x:%02x:%02x.%01x", static_cast<unsigned>(pci.domain), pci.bus, pci.dev,
                pci.func);
  return text;
}

std::vector<Gpu> gpus_of(hwloc_topology_t topology) {
  std::vector<hwloc_obj_t> devices;
  for (hwloc_obj_t device = hwloc_get_next_pcidev(topology, nullptr); device && devices.size() < kMostObjects;
       device = hwloc_get_next_pcidev(topology, device)) {
    if (is_gpu(device)) devices.push_back(device);
  }
  std::sort(devices.begin(), devices.end(), [](hwloc_obj_t a, hwloc_obj_t b) {
    const hwloc_obj_attr_u::hwloc_pcidev_attr_s& x = a->attr->pcidev;
    const hwloc_obj_attr_u::hwloc_pcidev_attr_s& y = b->attr->pcidev;
    return std::tie(x.domain, x.bus, x.dev, x.func) < std::tie(y.domain, y.bus, y.dev, y.func);
  });
  std::vector<Gpu> gpus;
  for (hwloc_obj_t device : devices) {
    hwloc_obj_t ancestor = hwloc_get_non_io_ancestor_obj(topology, device);
    if (!ancestor) ancestor = hwloc_get_root_obj(topology);
    Place locality = place_of(ancestor);
    if (ancestor->type != HWLOC_OBJ_NUMANODE) {  // say which memory is near it, too
      locality.name += " (NUMA node " + locality.nodes.list() + ")";
    }
    gpus.push_back(Gpu{.pci_bus_id = bus_id(device->attr->pcidev), .locality = std::move(locality)});
  }
  return gpus;
}

[[noreturn]] void fail(const std::string& what, int error) {
  throw std::runtime_error(what + ": " + std::strerror(error));
}

// PCI devices (and the bridges above them) for GPU locality, only when asked; nothing
// else of the I/O tree, and no caches. OS devices ("card0", "nvidia0", "cuda0", ...) in
// particular are never kept: gpus_of reads PCI devices only, and hwloc runs its vendor
// components (gl, cuda, nvml, opencl, rsmi, levelzero) only when OS devices are kept.
// Those run inside slurmstepd: gl calls XOpenDisplay(":0") .. (":9") with no timeout, so
// anyone listening on @/tmp/.X11-unix/X0 could stall every step's user_init on the node.
void keep_only_what_binding_needs(hwloc_topology_t topology, bool with_devices) {
  const hwloc_type_filter_e pci = with_devices ? HWLOC_TYPE_FILTER_KEEP_IMPORTANT : HWLOC_TYPE_FILTER_KEEP_NONE;
  if (hwloc_topology_set_io_types_filter(topology, pci) != 0 ||
      hwloc_topology_set_type_filter(topology, HWLOC_OBJ_OS_DEVICE, HWLOC_TYPE_FILTER_KEEP_NONE) != 0 ||
      hwloc_topology_set_cache_types_filter(topology, HWLOC_TYPE_FILTER_KEEP_NONE) != 0 ||
      hwloc_topology_set_icache_types_filter(topology, HWLOC_TYPE_FILTER_KEEP_NONE) != 0) {
    fail("hwloc_topology_set_*_type(s)_filter", errno);
  }
}

// hwloc's components that talk to GPU drivers, X servers or vendor runtimes (most ship in
// libhwloc-plugins, which libhwloc15 recommends). The OS device filter above already keeps
// them from running; blacklisting them too means a future hwloc, or HWLOC_COMPONENTS in
// slurmd's environment, cannot bring them back (hwloc 2.9 honours an application's
// blacklist over that variable).
constexpr const char* kVendorComponents[] = {"gl", "cuda", "nvml", "opencl", "rsmi", "levelzero"};

void leave_out_vendor_components(hwloc_topology_t topology) {
  for (const char* name : kVendorComponents) {
    if (hwloc_topology_set_components(topology, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, name) == 0) {
      continue;
    }
    // EINVAL: hwloc has no such component here (its plugin is not installed).
    if (errno != EINVAL) {
      fail(std::string("hwloc_topology_set_components(blacklist ") + name + ")", errno);
    }
  }
}

}  // namespace

NodeTopology read_node_topology(hwloc_topology_t topology) {
  NodeTopology node;
  node.cpus = IndexSet(hwloc_topology_get_allowed_cpuset(topology));
  node.nodes = IndexSet(hwloc_topology_get_allowed_nodeset(topology));
  if (node.cpus.empty()) throw std::runtime_error("the hwloc topology has no CPU");
  node.numa_nodes = places_of_type(topology, HWLOC_OBJ_NUMANODE);
  node.packages = places_of_type(topology, HWLOC_OBJ_PACKAGE);
  if (node.packages.empty()) node.packages.push_back(place_of(hwloc_get_root_obj(topology)));
  for (const Place& core : places_of_type(topology, HWLOC_OBJ_CORE)) {
    node.cores.push_back(core.cpus);
  }
  if (node.cores.empty()) {  // some topologies (VMs, XML) have PUs but no cores
    for (const Place& pu : places_of_type(topology, HWLOC_OBJ_PU)) node.cores.push_back(pu.cpus);
  }
  node.gpus = gpus_of(topology);
  return node;
}

HwlocTopology load_hwloc_topology(const std::optional<std::string>& xml_path, bool with_devices) {
  hwloc_topology_t raw = nullptr;
  if (hwloc_topology_init(&raw) != 0) fail("hwloc_topology_init", errno);
  HwlocTopology topology(raw);
  keep_only_what_binding_needs(raw, with_devices);
  leave_out_vendor_components(raw);
  if (xml_path) {
    if (hwloc_topology_set_xml(raw, xml_path->c_str()) != 0) {
      fail("hwloc cannot read the topology file " + log_quoted(*xml_path), errno);
    }
    // The administrator's file describes this machine: let hwloc bind through it.
    if (hwloc_topology_set_flags(raw, HWLOC_TOPOLOGY_FLAG_IS_THISSYSTEM) != 0) {
      fail("hwloc_topology_set_flags", errno);
    }
  }
  if (hwloc_topology_load(raw) != 0) {
    fail(xml_path ? "hwloc cannot load the topology file " + log_quoted(*xml_path)
                  : std::string("hwloc cannot discover this machine's topology"),
         errno);
  }
  return topology;
}

}  // namespace mljob::plugin
