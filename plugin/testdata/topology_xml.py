"""The one writer of hwloc XML topologies in mljob, for the two places that need a machine
that is not the one at hand: the binding golden tests (make_topologies.py, beside this file)
and the local cluster's plugstack.conf (contrib/cluster/make_topology.py, which imports
this file from here).

It writes what hwloc 2's own XML export writes, and only that: objects with their cpusets
and nodesets as hwloc's bitmap text, a gp_index each in document order, the Machine's
allowed sets and info, NUMA nodes with their memory, cores with their PUs, and PCI devices
behind host bridges. hwloc's own (libxml2-less) parser takes neither comments nor
"<tag />", so the text is written without them. Check a file with:
lstopo-no-graphics --input FILE.xml
"""
import itertools
import xml.etree.ElementTree as ET

NVIDIA_A100 = (0x10DE, 0x20B0, 0x0302)   # 3D controller
NVIDIA_V100 = (0x10DE, 0x1DB4, 0x0302)   # 3D controller
NVIDIA_RTX = (0x10DE, 0x2204, 0x0300)    # VGA controller
ASPEED_BMC = (0x1A03, 0x2000, 0x0300)    # the BMC's VGA: not a GPU Slurm schedules
INTEL_IGPU = (0x8086, 0x4680, 0x0300)    # integrated graphics: not a GPU Slurm schedules
MELLANOX_NIC = (0x15B3, 0x101B, 0x0207)  # InfiniBand


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
    """Builds one topology; each object gets the next gp_index, as hwloc numbers them."""

    def __init__(self):
        self.gp = itertools.count(1)

    def obj(self, parent, object_type, cpus=None, nodes=None, **attrs):
        """An object; with `cpus`, its cpuset and nodeset (complete_* the same: nothing is
        offline). Attributes come in hwloc's order: type, os_index, the sets, gp_index,
        then the type's own."""
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

    def machine(self, root, cpus, nodes, generator, description=None):
        """The Machine, all of whose CPUs and NUMA nodes are allowed. `generator` names the
        script in the file, since the file itself cannot say so in a comment."""
        m = self.obj(root, "Machine", cpus, nodes, os_index=0)
        m.set("allowed_cpuset", mask(cpus))
        m.set("allowed_nodeset", mask(nodes))
        ET.SubElement(m, "info", name="Backend", value="Linux")
        if description is not None:
            ET.SubElement(m, "info", name="Description", value=description)
        ET.SubElement(m, "info", name="Generator", value=generator)
        return m

    def numa(self, parent, os_index, cpus, gib=256):
        """NUMA node `os_index` with `gib` GiB of memory in 4 KiB pages."""
        node = self.obj(parent, "NUMANode", cpus, [os_index], os_index=os_index,
                        local_memory=gib << 30)
        ET.SubElement(node, "page_type", size="4096", count=str((gib << 30) // 4096))
        return node

    def cores(self, parent, nodes, core_ids, smt_stride=None):
        """One Core per id with one PU of the same number, or two (c and c+smt_stride, as
        Linux numbers SMT siblings)."""
        for core in core_ids:
            pus = [core] if smt_stride is None else [core, core + smt_stride]
            c = self.obj(parent, "Core", pus, nodes, os_index=core)
            for pu in pus:
                self.obj(c, "PU", [pu], nodes, os_index=pu)

    def pci(self, parent, bus, vendor, device, pci_class, name=None):
        """A host bridge holding one device at 0000:BUS:00.0, with its OS device `name`
        (card0, ...) when given."""
        bridge = self.obj(parent, "Bridge", bridge_type="0-1", depth="0",
                          bridge_pci=f"0000:[{bus:02x}-{bus:02x}]")
        dev = self.obj(bridge, "PCIDev", pci_busid=f"0000:{bus:02x}:00.0",
                       pci_type=f"{pci_class:04x} [{vendor:04x}:{device:04x}] "
                                f"[{vendor:04x}:0000] a1",
                       pci_link_speed="0.000000")
        if name:
            self.obj(dev, "OSDev", name=name, osdev_type="1")
        return dev


def topology():
    """The root element of a new topology; give it to Writer.machine."""
    return ET.Element("topology", version="2.0")


def to_text(root):
    """The file's whole text."""
    ET.indent(root)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<!DOCTYPE topology SYSTEM "hwloc2.dtd">\n'
            + ET.tostring(root, encoding="unicode").replace(" />", "/>") + "\n")
