#include "roles.h"

#include <array>
#include <charconv>
#include <stdexcept>
#include <utility>

#include "log_text.h"

namespace mljob::plugin {
namespace {

constexpr std::array kRoleNames{
    std::pair{Role::master, std::string_view{"master"}},       std::pair{Role::chief, std::string_view{"chief"}},
    std::pair{Role::worker, std::string_view{"worker"}},       std::pair{Role::ps, std::string_view{"ps"}},
    std::pair{Role::evaluator, std::string_view{"evaluator"}},
};

constexpr std::string_view kAllowedRoles = "master, chief, worker, ps, evaluator";

[[noreturn]] void fail(std::string_view text, const std::string& what) {
  throw std::invalid_argument("ml-roles " + log_quoted(text) + ": " + what);
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> pieces;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = text.find(separator, start);
    pieces.push_back(text.substr(start, at - start));
    if (at == std::string_view::npos) return pieces;
    start = at + 1;
  }
}

Role parse_role(std::string_view name, std::string_view whole) {
  for (const auto& [role, role_text] : kRoleNames) {
    if (name == role_text) return role;
  }
  if (name.empty()) fail(whole, "a role name is missing (empty entry or stray separator)");
  fail(whole, "unknown role " + log_quoted(name) + " (allowed: " + std::string(kAllowedRoles) + ")");
}

unsigned parse_task_count(std::string_view digits, std::string_view segment, std::string_view whole) {
  unsigned count = 0;
  const char* end = digits.data() + digits.size();
  auto [stop, error] = std::from_chars(digits.data(), end, count);
  if (digits.empty() || error != std::errc{} || stop != end || count == 0 || count > 65535) {
    fail(whole, "in " + log_quoted(segment) + ", the task count must be a whole number from 1 to 65535");
  }
  return count;
}

RoleSegment parse_segment(std::string_view segment, std::string_view whole) {
  const std::size_t colon = segment.find(':');
  RoleSegment parsed{parse_role(segment.substr(0, colon), whole), std::nullopt};
  if (colon != std::string_view::npos) {
    parsed.task_count = parse_task_count(segment.substr(colon + 1), segment, whole);
  }
  return parsed;
}

ComponentRoles parse_component(std::string_view component, std::string_view whole) {
  ComponentRoles parsed;
  const std::vector<std::string_view> segments = split(component, '+');
  for (std::string_view segment : segments) {
    parsed.segments.push_back(parse_segment(segment, whole));
  }
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    if (!parsed.segments[i].task_count) {
      fail(whole, "in " + log_quoted(component) + ", " + log_quoted(segments[i]) + " needs a task count (e.g. " +
                      log_quoted(std::string(segments[i]) + ":1") +
                      "): only the last role of a component may take the rest");
    }
  }
  return parsed;
}

void check_coordinators(const RoleMap& map, std::string_view whole) {
  bool uses_master = false;
  bool uses_chief = false;
  int coordinator_segments = 0;
  for (const ComponentRoles& component : map) {
    for (const RoleSegment& segment : component.segments) {
      uses_master |= segment.role == Role::master;
      uses_chief |= segment.role == Role::chief;
      coordinator_segments += is_coordinator(segment.role) ? 1 : 0;
    }
  }
  if (uses_master && uses_chief) {
    fail(whole,
         "use either \"master\" or \"chief\" for the coordinating task, not both "
         "(--ml-chief names the master \"chief\" in TF_CONFIG)");
  }
  if (coordinator_segments > 1) {
    fail(whole, "more than one master/chief entry: a job has exactly one coordinating task");
  }
}

}  // namespace

std::string_view role_name(Role role) {
  for (const auto& [candidate, name] : kRoleNames) {
    if (candidate == role) return name;
  }
  return "unknown";
}

bool is_coordinator(Role role) {
  return role == Role::master || role == Role::chief;
}

RoleMap parse_role_map(std::string_view text) {
  if (text.empty()) fail(text, "is empty (example: master,worker,ps)");
  if (text.size() > 4096) fail(text, "is longer than 4096 characters");
  RoleMap map;
  for (std::string_view component : split(text, ',')) {
    if (map.size() == kMaxComponents) {
      fail(text, "more than " + std::to_string(kMaxComponents) + " components");
    }
    map.push_back(parse_component(component, text));
  }
  check_coordinators(map, text);
  return map;
}

namespace {

std::string describe_component(std::size_t component, unsigned tasks) {
  return "het component " + std::to_string(component) + " has " + std::to_string(tasks) +
         (tasks == 1 ? " task" : " tasks");
}

// The roles of one component's tasks, in rank order.
std::vector<Role> expand_component(const ComponentRoles& roles, std::size_t component, unsigned task_count) {
  std::vector<Role> expanded;
  expanded.reserve(task_count);
  for (const RoleSegment& segment : roles.segments) {
    const unsigned left = task_count - static_cast<unsigned>(expanded.size());
    const unsigned wanted = segment.task_count.value_or(left);
    if (wanted > left) {
      throw std::invalid_argument("ml-roles: " + describe_component(component, task_count) + ", fewer than the " +
                                  std::to_string(expanded.size() + wanted) + " its roles ask for");
    }
    if (wanted == 0) {
      throw std::invalid_argument("ml-roles: " + describe_component(component, task_count) +
                                  ", none left for its role \"" + std::string(role_name(segment.role)) + "\"");
    }
    expanded.insert(expanded.end(), wanted, segment.role);
  }
  if (expanded.size() < task_count) {
    throw std::invalid_argument("ml-roles: " + describe_component(component, task_count) +
                                " but its roles cover only " + std::to_string(expanded.size()) +
                                "; leave the last role's count off to give it the rest");
  }
  return expanded;
}

}  // namespace

std::vector<TaskRole> assign_roles(const RoleMap& roles, std::span<const unsigned> component_task_counts) {
  if (roles.size() != component_task_counts.size()) {
    throw std::invalid_argument("ml-roles names " + std::to_string(roles.size()) + " component(s) but the job has " +
                                std::to_string(component_task_counts.size()) +
                                (component_task_counts.size() == 1
                                     ? " (not a heterogeneous job: split one component by rank, e.g. master:1+worker)"
                                     : " heterogeneous components"));
  }
  std::array<unsigned, kRoleNames.size()> next_index{};
  std::vector<TaskRole> assignment;
  for (std::size_t component = 0; component < roles.size(); ++component) {
    for (Role role : expand_component(roles[component], component, component_task_counts[component])) {
      assignment.push_back({role, next_index[static_cast<std::size_t>(role)]++});
    }
  }
  const unsigned coordinators =
      next_index[static_cast<std::size_t>(Role::master)] + next_index[static_cast<std::size_t>(Role::chief)];
  if (coordinators > 1) {
    throw std::invalid_argument("ml-roles gives " + std::to_string(coordinators) +
                                " tasks the master/chief role; exactly one task coordinates: give that component one "
                                "task, or split it, e.g. master:1+worker");
  }
  return assignment;
}

}  // namespace mljob::plugin
