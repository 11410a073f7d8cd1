#include "plugin_context.h"

#include <type_traits>

namespace mljob::plugin {
namespace {

// A fresh context allocates nothing (the step, which holds hwloc bitmaps, is empty) and
// moving one into place cannot throw: reset_plugin_context is a plain assignment that
// cannot fail half-way, and the static below is built at load time without any risk.
static_assert(std::is_nothrow_default_constructible_v<PluginContext>);
static_assert(std::is_nothrow_move_assignable_v<PluginContext>);

PluginContext context;

}  // namespace

PluginContext& plugin_context() noexcept {
  return context;
}

void reset_plugin_context() noexcept {
  context = PluginContext{};
}

}  // namespace mljob::plugin
