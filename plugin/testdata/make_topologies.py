#!/usr/bin/python3
"""Writes the hwloc XML topologies of the binding golden tests (binding_test.cc).

Each is shaped like a real machine: packages, NUMA nodes (hwloc 2 attaches them to a Group
when a package has several, as on Intel SNC or AMD NPS machines), cores, PUs numbered as
Linux numbers them (SMT siblings are N apart), and PCI devices behind host bridges under
the object that holds them. The XML itself is written by topology_xml.py, the writer the
local cluster's topology (contrib/cluster/make_topology.py) shares. Run this again after
changing either (./make_topologies.py); the files it writes are kept in git so the tests
need nothing but hwloc to read them.
"""
import os

from topology_xml import (ASPEED_BMC, INTEL_IGPU, MELLANOX_NIC, NVIDIA_A100, NVIDIA_RTX,
                          Writer, to_text, topology)

HERE = os.path.dirname(os.path.abspath(__file__))


def machine(writer, all_cpus, all_nodes, description):
    root = topology()
    m = writer.machine(root, all_cpus, all_nodes, "plugin/testdata/make_topologies.py",
                       description)
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
            w.cores(group, [numa], range(12 * numa, 12 * numa + 12))
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
    w.cores(p, [0], range(16))
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
        w.cores(p, [package], cpus)
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
        w.cores(group, [numa], cores, smt_stride=8)
        w.pci(group, 0x21 + 0x40 * numa, *NVIDIA_A100)
    return root


def write(name, root):
    with open(os.path.join(HERE, name), "w") as out:
        out.write(to_text(root))


if __name__ == "__main__":
    write("server-2s-4numa-8gpu.xml", server_2s_4numa_8gpu())
    write("workstation-1s-4gpu.xml", workstation_1s_4gpu())
    write("gpuless-2s.xml", gpuless_2s())
    write("smt-1s-2numa-2gpu.xml", smt_1s_2numa_2gpu())
