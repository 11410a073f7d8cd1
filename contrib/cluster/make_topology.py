#!/usr/bin/python3
"""Prints the hwloc XML topology the local cluster's plugstack.conf names (topology=): the
CPUs this host really lets us use, split into two packages, one NUMA node (node 0, which
exists), and 8 fake NVIDIA GPUs, 4 behind each package, in PCI bus order. It matches
gres.conf's fake GPUs (nvidia[0-7] on every node), so the SPANK plugin's --ml-bind binds
tasks for real on this host: GPUs 0-3 to the first half of the CPUs, 4-7 to the second.

The XML is written by plugin/testdata/topology_xml.py, the one writer that the binding
golden tests' topologies (plugin/testdata/make_topologies.py) use too.

Usage: make_topology.py > topology.xml   (run by mljob-cluster up)
"""
import os
import sys

REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
sys.path.insert(0, os.path.join(REPOSITORY, "plugin", "testdata"))
# Nothing of this run is kept: mljob-cluster runs it as root inside the repository.
sys.dont_write_bytecode = True

from topology_xml import NVIDIA_V100, Writer, to_text, topology  # noqa: E402

FAKE_GPUS = 8  # gres.conf's nvidia[0-7]


def main():
    cpus = sorted(os.sched_getaffinity(0))
    halves = [cpus[: (len(cpus) + 1) // 2], cpus[(len(cpus) + 1) // 2:]]
    halves = [half for half in halves if half]
    w = Writer()
    root = topology()
    machine = w.machine(root, cpus, [0], "contrib/cluster/make_topology.py")
    w.numa(machine, 0, cpus, gib=1)
    gpus_per_package = FAKE_GPUS // len(halves)
    for p, half in enumerate(halves):
        package = w.obj(machine, "Package", half, [0], os_index=p)
        w.cores(package, [0], half)
        for g in range(gpus_per_package):
            w.pci(package, 0x10 + 0x10 * (p * gpus_per_package + g), *NVIDIA_V100)
    sys.stdout.write(to_text(root))


if __name__ == "__main__":
    main()
