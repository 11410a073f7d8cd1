// Limits that every variable the plugin sets must respect.
#pragma once

#include <cstddef>

namespace mljob::plugin {

// Linux refuses to exec a program with an environment string ("NAME=value") longer than
// 32 pages (MAX_ARG_STRLEN, 128 KiB): a longer variable would make every task fail to start.
inline constexpr std::size_t kMaxEnvironmentString = 128 * 1024;

}  // namespace mljob::plugin
