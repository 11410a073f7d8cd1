#!/usr/bin/python3
"""Prints the hwloc XML topology the local cluster's plugstack.conf names (topology=): the
CPUs this host really lets us use, split into two packages, one NUMA node (node 0, which
exists), and 8 fake NVIDIA GPUs, 4 behind each package, in PCI bus order. It matches
gres.conf's fake GPUs (nvidia[0-7] on every node), so the SPANK plugin's --ml-bind binds
tasks for real on this host: GPUs 0-3 to the first half of the CPUs, 4-7 to the second.

Usage: make_topology.py > topology.xml   (run by mljob-cluster up)
"""
import os
import sys
import xml.etree.ElementTree as ET


def mask(indexes):
    """hwloc's bitmap text: 32-bit words, most significant first, comma separated."""
    value = sum(1 << i for i in set(indexes))
    words = []
    while True:
        words.append(value & 0xFFFFFFFF)
        value >>= 32
        if not value:
            break
    return ",".join(f"0x{w:08x}" for w in reversed(words))


def main():
    cpus = sorted(os.sched_getaffinity(0))
    halves = [cpus[: (len(cpus) + 1) // 2], cpus[(len(cpus) + 1) // 2:]]
    halves = [half for half in halves if half]
    gp = iter(range(1, 1 << 20))

    def obj(parent, kind, cpuset=None, **attrs):
        node = ET.SubElement(parent, "object", type=kind)
        if "os_index" in attrs:
            node.set("os_index", str(attrs.pop("os_index")))
        if cpuset is not None:
            for name in ("cpuset", "complete_cpuset"):
                node.set(name, mask(cpuset))
            for name in ("nodeset", "complete_nodeset"):
                node.set(name, mask([0]))
        node.set("gp_index", str(next(gp)))
        for key, value in attrs.items():
            node.set(key, str(value))
        return node

    root = ET.Element("topology", version="2.0")
    machine = obj(root, "Machine", cpus, os_index=0)
    machine.set("allowed_cpuset", mask(cpus))
    machine.set("allowed_nodeset", mask([0]))
    ET.SubElement(machine, "info", name="Backend", value="Linux")
    ET.SubElement(machine, "info", name="Generator", value="contrib/cluster/make_topology.py")
    numa = obj(machine, "NUMANode", cpus, os_index=0, local_memory=1 << 30)
    ET.SubElement(numa, "page_type", size="4096", count=str((1 << 30) // 4096))
    gpus_per_package = 8 // len(halves)
    for p, half in enumerate(halves):
        package = obj(machine, "Package", half, os_index=p)
        for cpu in half:
            core = obj(package, "Core", [cpu], os_index=cpu)
            obj(core, "PU", [cpu], os_index=cpu)
        for g in range(gpus_per_package):
            bus = 0x10 + 0x10 * (p * gpus_per_package + g)
            bridge = obj(package, "Bridge", bridge_type="0-1", depth="0",
                         bridge_pci=f"0000:[{bus:02x}-{bus:02x}]")
            obj(bridge, "PCIDev", pci_busid=f"0000:{bus:02x}:00.0",
                pci_type="0302 [10de:1db4] [10de:0000] a1", pci_link_speed="0.000000")
    ET.indent(root)
    sys.stdout.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                     '<!DOCTYPE topology SYSTEM "hwloc2.dtd">\n')
    # hwloc's libxml2-less parser takes no "<tag />".
    sys.stdout.write(ET.tostring(root, encoding="unicode").replace(" />", "/>") + "\n")


if __name__ == "__main__":
    main()
