// The role map of --ml-roles / MLJOB_ROLES: which ML role each task of each het
// component plays, and the assignment of roles to concrete tasks.
//
// Text form: components separated by ',', in het-component order; a component is one
// role, or several joined by '+' with task counts: "master:1+worker,ps" means component
// 0's first task is the master and its other tasks are workers; component 1 is all ps.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mljob::plugin {

enum class Role { master, chief, worker, ps, evaluator };

// The role's name as written in --ml-roles ("master", "ps", ...).
std::string_view role_name(Role role);

// True for the one task that coordinates training (TensorFlow's chief, torch's rank 0).
bool is_coordinator(Role role);

// One "role" or "role:count" piece of a component.
struct RoleSegment {
  Role role;
  std::optional<unsigned> task_count;  // absent: the rest of the component's tasks
  bool operator==(const RoleSegment&) const = default;
};

struct ComponentRoles {
  std::vector<RoleSegment> segments;
  bool operator==(const ComponentRoles&) const = default;
};

using RoleMap = std::vector<ComponentRoles>;

// Upper bound on the components of a role map; Slurm's het jobs have at most 128.
inline constexpr std::size_t kMaxComponents = 128;

// Parses the text form. Throws std::invalid_argument with a message that quotes the
// offending piece and says what is allowed. Checks what can be checked without knowing
// task counts: role names, counts >= 1, only a component's last role may omit its count,
// "master" and "chief" not both used, at most one coordinator segment.
RoleMap parse_role_map(std::string_view text);

// The role of one task and its index among all tasks of that role in the job.
struct TaskRole {
  Role role;
  unsigned index;
  bool operator==(const TaskRole&) const = default;
};

// Assigns roles to tasks, one entry per global rank (components in order, each
// component's tasks in rank order). Throws std::invalid_argument when the map does not
// fit the tasks: a different number of components, counts that exceed or do not cover a
// component, or more than one coordinator (master/chief) task.
std::vector<TaskRole> assign_roles(const RoleMap& roles, std::span<const unsigned> component_task_counts);

}  // namespace mljob::plugin
