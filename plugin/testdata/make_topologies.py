#!/usr/bin/python3
"""Writes the hwloc XML topologies of the binding golden tests (binding_test.cc).

Each is shaped like a real machine: packages, NUMA nodes (hwloc 2 attaches them to a Group
when a package has several, as on Intel SNC or AMD NPS machines), cores, PUs numbered as
Linux numbers them (SMT siblings are N apart), and PCI devices behind host bridges under
the object that holds them. Run it again after changing it (./make_topologies.py); the
files it writes are kept in git so the tests need nothing but hwloc to read them. Check one
with: lstopo-no-graphics --input FILE.xml
"""
import itertools
import os
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))


def mask(indexes):
    """hwloc's bitmap text: 32-bit words, most significant first, comma separated."""
    value = 0
    for i in indexes:
        value |= 1 << i
    words = []
    while True:
        words.append(value & 0xFFFFFFFF)
        value >>= 32
        if not value:
            break
    return ",".join(f"0x{w:08x}" for w in reversed(words))


class Writer:
    def __init__(self):
        self.gp = itertools.count(1)

    def obj(self, parent, object_type, cpus=None, nodes=None, **attrs):
        node = ET.SubElement(parent, "object", type=object_type)
        if "os_index" in attrs:
            node.set("os_index", str(attrs.pop("os_index")))
        if cpus is not None:
            for name in ("cpuset", "complete_cpuset"):
                node.set(name, mask(cpus))
            for name in ("nodeset", "complete_nodeset"):
                node.set(name, mask(nodes))
        node.set("gp_index", str(next(self.gp)))
        for key, value in attrs.items():
            node.set(key, str(value))
        return node

    def numa(self, parent, os_index, cpus, gib=256):
        node = self.obj(parent, "NUMANode", cpus, [os_index], os_index=os_index,
                        local_memory=gib << 30)
        ET.SubElement(node, "page_type", size="4096", count=str((gib << 30) // 4096))
        return node

    def cores(self, parent, nodes, first_core, count, smt_stride=None):
        """Cores first_core.. with one PU each, or two (c and c+smt_stride)."""
        for core in range(first_core, first_core + count):
            pus = [core] if smt_stride is None else [core, core + smt_stride]
            c = self.obj(parent, "Core", pus, nodes, os_index=core)
            for pu in pus:
                self.obj(c, "PU", [pu], nodes, os_index=pu)

    def pci(self, parent, bus, vendor, device, pci_class, name=None):
        """A host bridge holding one device at 0000:BUS:00.0."""
        bridge = self.obj(parent, "Bridge", bridge_type="0-1", depth="0",
                          bridge_pci=f"0000:[{bus:02x}-{bus:02x}]")
        dev = self.obj(bridge, "PCIDev", pci_busid=f"0000:{bus:02x}:00.0",
                       pci_type=f"{pci_class:04x} [{vendor:04x}:{device:04x}] "
                                f"[{vendor:04x}:0000] a1",
                       pci_link_speed="0.000000")
        if name:
            self.obj(dev, "OSDev", name=name, osdev_type="1")
        return dev


NVIDIA_A100 = (0x10DE, 0x20B0, 0x0302)   # 3D controller
NVIDIA_RTX = (0x10DE, 0x2204, 0x0300)    # VGA controller
ASPEED_BMC = (0x1A03, 0x2000, 0x0300)    # the BMC's VGA: not a GPU Slurm schedules
INTEL_IGPU = (0x8086, 0x4680, 0x0300)    # integrated graphics: not a GPU Slurm schedules
MELLANOX_NIC = (0x15B3, 0x101B, 0x0207)  # InfiniBand


def machine(writer, all_cpus, all_nodes, description):
    root = ET.Element("topology", version="2.0")
    m = writer.obj(root, "Machine", all_cpus, all_nodes, os_index=0)
    for key in ("allowed_cpuset",):
        m.set(key, mask(all_cpus))
    m.set("allowed_nodeset", mask(all_nodes))
    ET.SubElement(m, "info", name="Backend", value="Linux")
    ET.SubElement(m, "info", name="Description", value=description)
    ET.SubElement(m, "info", name="Generator", value="plugin/testdata/make_topologies.py")
    return root, m


def server_2s_4numa_8gpu():
    """2 sockets x 2 NUMA nodes x 12 cores (no SMT), 8 A100s, 2 per NUMA node. The PCI bus
    order is not the NUMA order (as on many real servers): GPUs 0,1 (buses 07, 0b) are on
    NUMA node 1, 2,3 (41, 45) on node 0, 4,5 (81, 85) on node 3, 6,7 (c1, c5) on node 2.
    NUMA node 0 also has the BMC's VGA device and a NIC."""
    w = Writer()
    root, m = machine(w, range(48), range(4), "2-socket 8-GPU server, 4 NUMA nodes")
    buses = {0: [0x41, 0x45], 1: [0x07, 0x0B], 2: [0xC1, 0xC5], 3: [0x81, 0x85]}
    for package in range(2):
        p = w.obj(m, "Package", range(24 * package, 24 * package + 24),
                  [2 * package, 2 * package + 1], os_index=package)
        for half in range(2):
            numa = 2 * package + half
            cpus = range(12 * numa, 12 * numa + 12)
            group = w.obj(p, "Group", cpus, [numa], kind="10", subkind="0")
            w.numa(group, numa, cpus)
            w.cores(group, [numa], 12 * numa, 12)
            if numa == 0:
                w.pci(group, 0x02, *ASPEED_BMC)
                w.pci(group, 0x03, *MELLANOX_NIC)
            for bus in buses[numa]:
                w.pci(group, bus, *NVIDIA_A100)
    return root


def workstation_1s_4gpu():
    """1 socket, 1 NUMA node, 16 cores (no SMT), 4 GPUs under the package, plus the CPU's
    integrated graphics. Each display device has its DRM OS device (card0-card4), as
    hwloc's Linux discovery reports them: the plugin must leave them out (node_topology_test)."""
    w = Writer()
    root, m = machine(w, range(16), [0], "1-socket 4-GPU workstation")
    p = w.obj(m, "Package", range(16), [0], os_index=0)
    w.numa(p, 0, range(16), gib=128)
    w.cores(p, [0], 0, 16)
    w.pci(p, 0x00, *INTEL_IGPU, name="card0")
    for card, bus in enumerate((0x01, 0x21, 0x41, 0x61), start=1):
        w.pci(p, bus, *NVIDIA_RTX, name=f"card{card}")
    return root


def gpuless_2s():
    """2 sockets, 1 NUMA node each, 8 cores each (no SMT), no GPU: a CPU node with a NIC."""
    w = Writer()
    root, m = machine(w, range(16), range(2), "2-socket CPU node without GPUs")
    for package in range(2):
        cpus = range(8 * package, 8 * package + 8)
        p = w.obj(m, "Package", cpus, [package], os_index=package)
        w.numa(p, package, cpus)
        w.cores(p, [package], 8 * package, 8)
        if package == 0:
            w.pci(p, 0x03, *MELLANOX_NIC)
    return root


def smt_1s_2numa_2gpu():
    """1 socket with 2 NUMA nodes, 8 cores with 2 hardware threads each, numbered as Linux
    does: core c has PUs c and c+8. NUMA node 0: cores 0-3 (PUs 0-3,8-11); node 1: cores
    4-7 (PUs 4-7,12-15). One GPU on each node."""
    w = Writer()
    root, m = machine(w, range(16), range(2), "1-socket node with SMT, 2 NUMA nodes, 2 GPUs")
    p = w.obj(m, "Package", range(16), range(2), os_index=0)
    for numa in range(2):
        cores = range(4 * numa, 4 * numa + 4)
        cpus = list(cores) + [c + 8 for c in cores]
        group = w.obj(p, "Group", cpus, [numa], kind="10", subkind="0")
        w.numa(group, numa, cpus)
        w.cores(group, [numa], 4 * numa, 4, smt_stride=8)
        w.pci(group, 0x21 + 0x40 * numa, *NVIDIA_A100)
    return root


def write(name, root):
    ET.indent(root)
    path = os.path.join(HERE, name)
    with open(path, "w") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                  '<!DOCTYPE topology SYSTEM "hwloc2.dtd">\n')
        # hwloc's own (libxml2-less) parser takes neither comments nor "<tag />": the
        # files say they are generated in the Machine's "Generator" info instead.
        out.write(ET.tostring(root, encoding="unicode").replace(" />", "/>"))
        out.write("\n")


if __name__ == "__main__":
    write("server-2s-4numa-8gpu.xml", server_2s_4numa_8gpu())
    write("workstation-1s-4gpu.xml", workstation_1s_4gpu())
    write("gpuless-2s.xml", gpuless_2s())
    write("smt-1s-2numa-2gpu.xml", smt_1s_2numa_2gpu())
