// Golden tests: the binding of every task on hwloc XML topologies shaped like real
// machines (plugin/testdata, written by make_topologies.py).
#include "binding.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "node_topology.h"
#include "test_messages.h"

namespace mljob::plugin {
namespace {

using test_support::hostile_value;
using test_support::is_one_safe_line;
using test_support::message_of;
using ::testing::HasSubstr;
using ::testing::StartsWith;

NodeTopology topology_from(const std::string& file) {
  const HwlocTopology loaded = load_hwloc_topology(std::string(MLJOB_PLUGIN_TESTDATA "/") + file);
  return read_node_topology(loaded.get());
}

// The request of local task `index` of `count`, allowed everything the topology has.
BindingRequest task(const NodeTopology& topology, unsigned index, unsigned count,
                    std::optional<std::string> task_gpus = std::nullopt,
                    std::optional<std::string> step_gpus = std::nullopt) {
  BindingRequest request;
  request.allowed_cpus = topology.cpus;
  request.allowed_nodes = topology.nodes;
  request.task_gpus = std::move(task_gpus);
  request.step_gpus = step_gpus ? std::move(step_gpus) : request.task_gpus;
  request.local_index = index;
  request.local_count = count;
  request.step_cpus = topology.cpus;  // task/none or task/cgroup: the tasks share the CPUs
  return request;
}

struct Expected {
  std::string cpus;
  std::string nodes;
};

void expect_bound(const Binding& binding, const Expected& expected) {
  EXPECT_TRUE(binding.bind) << binding.reason;
  EXPECT_EQ(binding.cpus.list(), expected.cpus) << binding.reason;
  EXPECT_EQ(binding.nodes.list(), expected.nodes) << binding.reason;
}

// --- the 2-socket, 4-NUMA-node, 8-GPU server --------------------------------------------
// PCI order is not NUMA order: GPUs 0,1 are on NUMA node 1 (cpus 12-23), 2,3 on node 0
// (0-11), 4,5 on node 3 (36-47), 6,7 on node 2 (24-35).

class Server : public ::testing::Test {
 protected:
  NodeTopology topology = topology_from("server-2s-4numa-8gpu.xml");
};

TEST_F(Server, ReadsTheMachine) {
  EXPECT_EQ(topology.cpus.list(), "0-47");
  EXPECT_EQ(topology.nodes.list(), "0-3");
  ASSERT_EQ(topology.numa_nodes.size(), 4u);
  EXPECT_EQ(topology.numa_nodes[2].name, "NUMA node 2");
  EXPECT_EQ(topology.numa_nodes[2].cpus.list(), "24-35");
  ASSERT_EQ(topology.packages.size(), 2u);
  EXPECT_EQ(topology.packages[1].cpus.list(), "24-47");
  EXPECT_EQ(topology.packages[1].nodes.list(), "2-3");
  EXPECT_EQ(topology.cores.size(), 48u);
  // The BMC's VGA device (1a03:2000) is not a GPU: 8 GPUs, in PCI bus order.
  std::vector<std::string> buses;
  for (const Gpu& gpu : topology.gpus) buses.push_back(gpu.pci_bus_id);
  EXPECT_EQ(buses, (std::vector<std::string>{"0000:07:00.0", "0000:0b:00.0", "0000:41:00.0", "0000:45:00.0",
                                             "0000:81:00.0", "0000:85:00.0", "0000:c1:00.0", "0000:c5:00.0"}));
  EXPECT_EQ(topology.gpus[0].locality.name, "group 1 (NUMA node 1)");
  EXPECT_EQ(topology.gpus[0].locality.cpus.list(), "12-23");
}

TEST_F(Server, EightTasksWithOneBoundGpuEachSitOnTheirGpusNumaNode) {
  const std::vector<Expected> expected = {{"12-23", "1"}, {"12-23", "1"}, {"0-11", "0"},  {"0-11", "0"},
                                          {"36-47", "3"}, {"36-47", "3"}, {"24-35", "2"}, {"24-35", "2"}};
  for (unsigned rank = 0; rank < 8; ++rank) {
    SCOPED_TRACE(rank);
    // Slurm bound one GPU per task (--gpus-per-task=1): the task's list differs from the step's.
    const Binding binding = decide_binding(topology, task(topology, rank, 8, std::to_string(rank), "0,1,2,3,4,5,6,7"));
    expect_bound(binding, expected[rank]);
  }
  EXPECT_EQ(decide_binding(topology, task(topology, 0, 8, "0", "0,1,2,3,4,5,6,7")).reason,
            "cpus 12-23, memory on node(s) 1: closest to its GPU 0 (PCI 0000:07:00.0) under "
            "group 1 (NUMA node 1)");
}

TEST_F(Server, TasksSharingTheStepsGpusTakeTheirBlockByLocalRank) {
  const std::string all = "0,1,2,3,4,5,6,7";
  // Eight tasks, eight GPUs, not bound by Slurm: local task i takes GPU i.
  expect_bound(decide_binding(topology, task(topology, 2, 8, all)), {"0-11", "0"});
  expect_bound(decide_binding(topology, task(topology, 7, 8, all)), {"24-35", "2"});
  // Two tasks: GPUs 0-3 (NUMA nodes 1 and 0) and 4-7 (3 and 2).
  const Binding first = decide_binding(topology, task(topology, 0, 2, all));
  expect_bound(first, {"0-23", "0-1"});
  EXPECT_THAT(first.reason, HasSubstr("its share (local task 0 of 2) of the step's GPUs 0,1,2,3,4,5,6,7"));
  expect_bound(decide_binding(topology, task(topology, 1, 2, all)), {"24-47", "2-3"});
  // Four tasks, two GPUs: tasks 0,1 near GPU 0, tasks 2,3 near GPU 1 (both NUMA node 1).
  for (unsigned rank = 0; rank < 4; ++rank) {
    expect_bound(decide_binding(topology, task(topology, rank, 4, "0,1")), {"12-23", "1"});
  }
}

TEST_F(Server, PoliciesNumaAndSocket) {
  BindingRequest request = task(topology, 0, 1, "2");
  request.policy = BindPolicy::numa;
  expect_bound(decide_binding(topology, request), {"0-11", "0"});
  EXPECT_THAT(decide_binding(topology, request).reason, HasSubstr("numa to its GPU 2"));
  request.policy = BindPolicy::socket;
  const Binding socket = decide_binding(topology, request);
  expect_bound(socket, {"0-23", "0-1"});
  EXPECT_THAT(socket.reason, HasSubstr("under package 0"));
  request.task_gpus = request.step_gpus = "1,6";  // one GPU on each socket
  expect_bound(decide_binding(topology, request), {"0-47", "0-3"});
}

TEST_F(Server, NeverWiderThanSlurmsAllocation) {
  BindingRequest request = task(topology, 0, 1, "0");
  request.allowed_cpus = IndexSet::from_list("0-5,12-17");
  request.allowed_nodes = IndexSet::from_list("0-1");
  expect_bound(decide_binding(topology, request), {"12-17", "1"});
  // Memory nodes outside the allocation are dropped: memory then stays unbound.
  request.allowed_nodes = IndexSet::from_list("0");
  const Binding no_memory = decide_binding(topology, request);
  expect_bound(no_memory, {"12-17", ""});
  EXPECT_THAT(no_memory.reason, StartsWith("cpus 12-17, memory not bound: "));
}

TEST_F(Server, FallsBackToTheAllocationAndSaysWhy) {
  BindingRequest request = task(topology, 0, 1, "4");
  request.allowed_cpus = IndexSet::from_list("0-11");
  Binding binding = decide_binding(topology, request);
  EXPECT_FALSE(binding.bind);
  EXPECT_EQ(binding.cpus.list(), "0-11");
  EXPECT_EQ(binding.reason,
            "kept Slurm's allocation (cpus 0-11): none of the CPUs near its GPU 4 (PCI "
            "0000:81:00.0) under group 3 (NUMA node 3) (cpus 36-47) is in it");

  binding = decide_binding(topology, task(topology, 0, 1, "3,8"));
  EXPECT_FALSE(binding.bind);
  EXPECT_EQ(binding.reason,
            "kept Slurm's allocation (cpus 0-47): GPU 8 has no known locality (the topology "
            "has 8 NVIDIA/AMD GPU(s))");

  binding = decide_binding(topology, task(topology, 0, 1, "0,x"));
  EXPECT_FALSE(binding.bind);
  EXPECT_THAT(binding.reason, HasSubstr("SLURM_STEP_GPUS=\"0,x\" is not a list of GPU indexes"));

  // The reason reaches the user's output (--ml-bind=verbose) and slurmd's log.
  binding = decide_binding(topology, task(topology, 0, 1, "0\n" + hostile_value()));
  EXPECT_FALSE(binding.bind);
  EXPECT_TRUE(is_one_safe_line(binding.reason, 1024));
  EXPECT_THAT(binding.reason, HasSubstr(R"(SLURM_STEP_GPUS="0\nbad\nslurmstepd: error: forged)"));

  request = task(topology, 0, 1, "0");
  request.policy = BindPolicy::none;
  binding = decide_binding(topology, request);
  EXPECT_FALSE(binding.bind);
  EXPECT_EQ(binding.reason, "kept Slurm's allocation (cpus 0-47): --ml-bind=none");
}

TEST_F(Server, AMemoryBindingTheKernelRefusedIsSaidBesideTheBoundCpus) {
  const Binding binding = decide_binding(topology, task(topology, 0, 1, "0"));
  EXPECT_EQ(applied_binding_text(binding, std::nullopt), binding.reason);
  // The CPUs were bound; "not bound" would be false.
  EXPECT_EQ(applied_binding_text(binding,
                                 "cannot bind the task's memory to NUMA node(s) 1 "
                                 "(hwloc_set_membind): Operation not permitted"),
            "cpus 12-23, memory not bound (cannot bind the task's memory to NUMA node(s) 1 "
            "(hwloc_set_membind): Operation not permitted): closest to its GPU 0 (PCI "
            "0000:07:00.0) under group 1 (NUMA node 1)");
  // A kept allocation binds nothing, memory included.
  const Binding kept = decide_binding(topology, task(topology, 0, 1, "9"));
  EXPECT_EQ(applied_binding_text(kept, "whatever"), kept.reason);
}

TEST_F(Server, TasksWithoutGpusSpreadOverNumaNodes) {
  // Two tasks: two NUMA nodes each; eight tasks: three cores each of one NUMA node.
  expect_bound(decide_binding(topology, task(topology, 0, 2)), {"0-23", "0-1"});
  expect_bound(decide_binding(topology, task(topology, 1, 2)), {"24-47", "2-3"});
  const std::vector<std::string> eight = {"0-5", "6-11", "12-17", "18-23", "24-29", "30-35", "36-41", "42-47"};
  for (unsigned rank = 0; rank < 8; ++rank) {
    expect_bound(decide_binding(topology, task(topology, rank, 8)), {eight[rank], std::to_string(rank / 2)});
  }
  // Slurm allocated NUMA nodes 2 and 3 only: the two tasks share those.
  BindingRequest request = task(topology, 0, 2, "");
  request.allowed_cpus = request.step_cpus = IndexSet::from_list("24-47");
  expect_bound(decide_binding(topology, request), {"24-35", "2"});
  EXPECT_EQ(decide_binding(topology, request).reason,
            "cpus 24-35, memory on node(s) 2: no GPU; local task 0 of 2 spread over the 2 "
            "NUMA nodes holding its CPUs: NUMA node 2");
}

TEST_F(Server, TasksThatSlurmBoundKeepTheirCpusAndGetTheirMemoryNearThem) {
  // task/affinity, -n4 -c6 on NUMA nodes 0 and 1 (cpus 0-23): task i has cpus 6i-6i+5.
  // Spreading would split each task's own six cpus again by its index (one or two cores).
  for (unsigned rank = 0; rank < 4; ++rank) {
    SCOPED_TRACE(rank);
    BindingRequest request = task(topology, rank, 4);
    request.step_cpus = IndexSet::from_list("0-23");
    request.allowed_cpus = IndexSet::from_list(std::to_string(6 * rank) + "-" + std::to_string(6 * rank + 5));
    expect_bound(decide_binding(topology, request), {request.allowed_cpus.list(), std::to_string(rank / 2)});
  }
  // Cpus 10-13 straddle NUMA nodes 0 and 1: the task keeps them, memory on both.
  BindingRequest request = task(topology, 1, 4);
  request.step_cpus = IndexSet::from_list("0-23");
  request.allowed_cpus = IndexSet::from_list("10-13");
  const Binding binding = decide_binding(topology, request);
  expect_bound(binding, {"10-13", "0-1"});
  EXPECT_EQ(binding.reason,
            "cpus 10-13, memory on node(s) 0-1: no GPU; Slurm gave it cpus 10-13 of the "
            "step's 0-23: it keeps them, with its memory on the NUMA nodes holding them: "
            "NUMA node 0 + NUMA node 1");
  // Without the step's cpus the task is not split either.
  request.step_cpus = IndexSet();
  expect_bound(decide_binding(topology, request), {"10-13", "0-1"});
  EXPECT_THAT(decide_binding(topology, request).reason, HasSubstr("(the step's are unknown)"));
  // A GPU task bound by Slurm is cut to its own cpus near its GPU, as before.
  request = task(topology, 0, 4, "2", "0,1,2,3");
  request.step_cpus = IndexSet::from_list("0-23");
  request.allowed_cpus = IndexSet::from_list("0-5");
  expect_bound(decide_binding(topology, request), {"0-5", "0"});
}

// --- the 1-socket, 4-GPU workstation ---------------------------------------------------

TEST(Workstation, EveryGpuIsLocalToTheOnePackage) {
  const NodeTopology topology = topology_from("workstation-1s-4gpu.xml");
  ASSERT_EQ(topology.gpus.size(), 4u);  // the integrated graphics (8086:4680) is not one
  EXPECT_EQ(topology.gpus[0].pci_bus_id, "0000:01:00.0");
  for (unsigned rank = 0; rank < 4; ++rank) {
    const Binding binding = decide_binding(topology, task(topology, rank, 4, std::to_string(rank), "0,1,2,3"));
    expect_bound(binding, {"0-15", "0"});
    EXPECT_THAT(binding.reason, HasSubstr("under package 0 (NUMA node 0)"));
  }
  // Without GPUs, four tasks on one NUMA node split its 16 cores.
  const std::vector<std::string> quarters = {"0-3", "4-7", "8-11", "12-15"};
  for (unsigned rank = 0; rank < 4; ++rank) {
    expect_bound(decide_binding(topology, task(topology, rank, 4)), {quarters[rank], "0"});
  }
  // srun -n4 -c4 under task/affinity: Slurm already gave each task its quarter, and each
  // keeps all four of its cores (split again by index, it kept one).
  for (unsigned rank = 0; rank < 4; ++rank) {
    BindingRequest request = task(topology, rank, 4);
    request.allowed_cpus = IndexSet::from_list(quarters[rank]);
    expect_bound(decide_binding(topology, request), {quarters[rank], "0"});
  }
}

// --- the GPU-less 2-socket node ---------------------------------------------------------

TEST(GpulessNode, TasksSpreadEvenlyOverTheNumaNodes) {
  const NodeTopology topology = topology_from("gpuless-2s.xml");
  EXPECT_TRUE(topology.gpus.empty());
  expect_bound(decide_binding(topology, task(topology, 0, 1)), {"0-15", "0-1"});
  // Three tasks: 0 and 1 share NUMA node 0 (four cores each), 2 has node 1.
  expect_bound(decide_binding(topology, task(topology, 0, 3)), {"0-3", "0"});
  expect_bound(decide_binding(topology, task(topology, 1, 3)), {"4-7", "0"});
  expect_bound(decide_binding(topology, task(topology, 2, 3)), {"8-15", "1"});
  // A task that Slurm gave a GPU index on a node whose topology has none: fallback.
  const Binding binding = decide_binding(topology, task(topology, 0, 1, "0"));
  EXPECT_FALSE(binding.bind);
  EXPECT_EQ(binding.reason,
            "kept Slurm's allocation (cpus 0-15): GPU 0 has no known locality (the topology "
            "has 0 NVIDIA/AMD GPU(s))");
  // socket: packages (here the same places as the NUMA nodes).
  BindingRequest request = task(topology, 1, 2);
  request.policy = BindPolicy::socket;
  expect_bound(decide_binding(topology, request), {"8-15", "1"});
  EXPECT_THAT(decide_binding(topology, request).reason, HasSubstr("packages holding its CPUs: package 1"));
}

// --- the node with SMT ------------------------------------------------------------------
// Core c has hardware threads c and c+8; NUMA node 0: PUs 0-3,8-11, node 1: 4-7,12-15.

TEST(SmtNode, BindingKeepsHardwareThreadsOfACoreTogether) {
  const NodeTopology topology = topology_from("smt-1s-2numa-2gpu.xml");
  EXPECT_EQ(topology.cores.size(), 8u);
  EXPECT_EQ(topology.cores[1].list(), "1,9");
  expect_bound(decide_binding(topology, task(topology, 0, 2, "0", "0,1")), {"0-3,8-11", "0"});
  expect_bound(decide_binding(topology, task(topology, 1, 2, "1", "0,1")), {"4-7,12-15", "1"});
  // Four GPU-less tasks: two cores (four threads) each.
  const std::vector<std::string> expected = {"0-1,8-9", "2-3,10-11", "4-5,12-13", "6-7,14-15"};
  for (unsigned rank = 0; rank < 4; ++rank) {
    expect_bound(decide_binding(topology, task(topology, rank, 4)), {expected[rank], std::to_string(rank / 2)});
  }
  EXPECT_EQ(decide_binding(topology, task(topology, 3, 4)).reason,
            "cpus 6-7,14-15, memory on node(s) 1: no GPU; local task 3 of 4 spread over the 2 "
            "NUMA nodes holding its CPUs: NUMA node 1, cores 2-3 of its 4 (2 tasks share it)");
  // Slurm allocated only the first thread of each core (--hint=nomultithread).
  BindingRequest request = task(topology, 0, 1, "1");
  request.allowed_cpus = IndexSet::from_list("0-7");
  expect_bound(decide_binding(topology, request), {"4-7", "1"});
}

TEST(IndexSet, ListsAndSetOperations) {
  const IndexSet a = IndexSet::from_list("0-3,8");
  EXPECT_EQ(a.list(), "0-3,8");
  EXPECT_EQ(a.count(), 5u);
  EXPECT_EQ((a & IndexSet::from_list("2-9")).list(), "2-3,8");
  EXPECT_EQ((a | IndexSet::of({5})).list(), "0-3,5,8");
  EXPECT_TRUE(a.contains(IndexSet::of({8})));
  EXPECT_FALSE(a.intersects(IndexSet::of({4})));
  EXPECT_EQ(a.indexes(), (std::vector<unsigned>{0, 1, 2, 3, 8}));
  EXPECT_TRUE(IndexSet().empty());
  EXPECT_THROW(IndexSet::from_list("zero"), std::invalid_argument);
  EXPECT_TRUE(is_one_safe_line(message_of([] { IndexSet::from_list(hostile_value()); }), 1024));
  IndexSet copy = a;
  copy = IndexSet::of({1});
  EXPECT_EQ(a.list(), "0-3,8");
}

TEST(NodeTopologyFile, WithoutDevicesThereAreNoGpusButTheSameCpus) {
  const HwlocTopology loaded =
      load_hwloc_topology(std::string(MLJOB_PLUGIN_TESTDATA "/server-2s-4numa-8gpu.xml"), /*with_devices=*/false);
  const NodeTopology topology = read_node_topology(loaded.get());
  EXPECT_TRUE(topology.gpus.empty());
  EXPECT_EQ(topology.numa_nodes.size(), 4u);
  EXPECT_EQ(topology.cpus.list(), "0-47");
}

TEST(NodeTopologyFile, AMissingFileIsNamedOnOneLine) {
  const std::string path = "/nonexistent/top\nology-" + std::string(5000, 'x');
  const std::string message = message_of([&] { load_hwloc_topology(path); });
  EXPECT_TRUE(is_one_safe_line(message, 1024));
  EXPECT_THAT(message, HasSubstr(R"("/nonexistent/top\nology-xxx)"));
}

TEST(NodeTopologyFile, AMissingFileIsAnErrorNamingIt) {
  EXPECT_THROW(
      {
        try {
          load_hwloc_topology(std::string("/nonexistent/topology.xml"));
        } catch (const std::runtime_error& error) {
          EXPECT_THAT(error.what(), HasSubstr("/nonexistent/topology.xml"));
          throw;
        }
      },
      std::runtime_error);
}

}  // namespace
}  // namespace mljob::plugin
