// Loading the topology: what hwloc is asked to discover, since the plugin does it inside
// slurmstepd (user_init) and must neither hang there nor run more of hwloc than binding needs.
#include "node_topology.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace mljob::plugin {
namespace {

hwloc_type_filter_e filter_of(hwloc_topology_t topology, hwloc_obj_type_t type) {
  hwloc_type_filter_e filter{};
  EXPECT_EQ(hwloc_topology_get_type_filter(topology, type, &filter), 0);
  return filter;
}

// Whether this hwloc has the discovery component `name` (a plugin of libhwloc-plugins,
// for most): only a known component can be blacklisted.
bool hwloc_has_component(const char* name) {
  hwloc_topology_t topology = nullptr;
  if (hwloc_topology_init(&topology) != 0) return false;
  const bool known = hwloc_topology_set_components(topology, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, name) == 0;
  hwloc_topology_destroy(topology);
  return known;
}

TEST(NodeTopology, AnXmlTopologysOsDevicesAreLeftOutAndItsGpusKept) {
  // The workstation's five display devices each have a DRM OS device (card0-card4).
  const HwlocTopology loaded = load_hwloc_topology(std::string(MLJOB_PLUGIN_TESTDATA "/workstation-1s-4gpu.xml"));
  EXPECT_EQ(hwloc_get_nbobjs_by_type(loaded.get(), HWLOC_OBJ_OS_DEVICE), 0);
  const NodeTopology node = read_node_topology(loaded.get());
  std::vector<std::string> buses;
  for (const Gpu& gpu : node.gpus) buses.push_back(gpu.pci_bus_id);
  EXPECT_EQ(buses, (std::vector<std::string>{"0000:01:00.0", "0000:21:00.0", "0000:41:00.0", "0000:61:00.0"}));
  EXPECT_EQ(node.gpus[0].locality.name, "package 0 (NUMA node 0)");
}

// Runs `work` in a child process and returns its exit status (work's result), or nullopt
// when it has not finished within `limit` (the child is then killed). Discovering this
// machine's PCI devices runs there: with libhwloc-plugins, hwloc's pci component
// (libpciaccess) leaks about 1 KiB per discovery (a plain C program that only loads a
// topology with I/O devices shows it too), which LeakSanitizer would report against the
// test; a child that ends with _exit is not checked.
template <typename Work>
std::optional<int> exit_status_of(Work work, std::chrono::seconds limit) {
  const pid_t child = fork();
  if (child < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return -1;
  }
  if (child == 0) {
    int result = 100;
    try {
      result = work();
    } catch (...) {
      result = 101;
    }
    _exit(result);
  }
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (waitpid(child, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(child, SIGKILL);
      waitpid(child, &status, 0);
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The discovery user_init runs for a step with GPUs on the node; 0 when hwloc kept PCI
// devices and no OS device, else the number of the first check that failed.
int discover_with_devices() {
  const HwlocTopology loaded = load_hwloc_topology(std::nullopt, /*with_devices=*/true);
  hwloc_type_filter_e filter{};
  hwloc_topology_get_type_filter(loaded.get(), HWLOC_OBJ_PCI_DEVICE, &filter);
  if (filter != HWLOC_TYPE_FILTER_KEEP_IMPORTANT) return 1;
  hwloc_topology_get_type_filter(loaded.get(), HWLOC_OBJ_OS_DEVICE, &filter);
  if (filter != HWLOC_TYPE_FILTER_KEEP_NONE) return 2;
  if (hwloc_get_nbobjs_by_type(loaded.get(), HWLOC_OBJ_OS_DEVICE) != 0) return 3;
  hwloc_topology_get_type_filter(loaded.get(), HWLOC_OBJ_L3CACHE, &filter);
  if (filter != HWLOC_TYPE_FILTER_KEEP_NONE) return 4;
  return 0;
}

TEST(NodeTopology, DiscoveryKeepsPciDevicesButNoOsDevice) {
  // 1: PCI devices not KEEP_IMPORTANT, 2: OS devices not KEEP_NONE, 3: OS devices found,
  // 4: caches kept, 101: hwloc failed.
  EXPECT_EQ(exit_status_of(discover_with_devices, std::chrono::seconds(60)), 0);
}

TEST(NodeTopology, DiscoveryWithoutDevicesKeepsNoIoObject) {
  const HwlocTopology loaded = load_hwloc_topology(std::nullopt, /*with_devices=*/false);
  EXPECT_EQ(filter_of(loaded.get(), HWLOC_OBJ_PCI_DEVICE), HWLOC_TYPE_FILTER_KEEP_NONE);
  EXPECT_EQ(filter_of(loaded.get(), HWLOC_OBJ_BRIDGE), HWLOC_TYPE_FILTER_KEEP_NONE);
  EXPECT_EQ(filter_of(loaded.get(), HWLOC_OBJ_OS_DEVICE), HWLOC_TYPE_FILTER_KEEP_NONE);
  EXPECT_EQ(hwloc_get_nbobjs_by_type(loaded.get(), HWLOC_OBJ_PCI_DEVICE), 0);
}

// An "X server" on display :0 that takes connections and never answers: what any user can
// put on the abstract socket @/tmp/.X11-unix/X0. Closed when destroyed.
class SilentXServer {
 public:
  SilentXServer() {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const char name[] = "/tmp/.X11-unix/X0";  // after the leading NUL: abstract namespace
    std::memcpy(address.sun_path + 1, name, sizeof name - 1);
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + sizeof name);
    if (bind(fd_, reinterpret_cast<const sockaddr*>(&address), length) != 0 || listen(fd_, 64) != 0) {
      error_ = std::strerror(errno);
      close(fd_);
      fd_ = -1;
    }
  }
  ~SilentXServer() {
    if (fd_ >= 0) close(fd_);
  }
  SilentXServer(const SilentXServer&) = delete;
  SilentXServer& operator=(const SilentXServer&) = delete;

  bool listening() const { return fd_ >= 0; }
  const std::string& error() const { return error_; }

 private:
  int fd_ = -1;
  std::string error_;
};

TEST(NodeTopology, DiscoveryDoesNotWaitForAnXServer) {
  // hwloc's gl component (libhwloc-plugins) opens displays :0 to :9 with XOpenDisplay,
  // which waits for the server's answer without a timeout.
  // contrib/deps.sh installs libhwloc-plugins so that this runs wherever `make test` does.
  ASSERT_TRUE(hwloc_has_component("gl")) << "this hwloc has no gl component: install libhwloc-plugins (make deps)";
  const SilentXServer server;
  ASSERT_TRUE(server.listening()) << "cannot listen on @/tmp/.X11-unix/X0 (" << server.error()
                                  << "): is an X server running here?";
  const std::optional<int> status = exit_status_of(discover_with_devices, std::chrono::seconds(30));
  EXPECT_TRUE(status.has_value()) << "hwloc's discovery waited for the X server on display :0";
  EXPECT_EQ(status.value_or(0), 0);
}

}  // namespace
}  // namespace mljob::plugin
