#include "test_heap_meter.h"

#include <dlfcn.h>
#include <malloc.h>

#include <cstdlib>
#include <new>

namespace mljob::plugin::test_support {
namespace {

// The measurement of the current thread. Plain data: reading it from operator new
// allocates nothing.
struct Meter {
  bool measuring = false;
  bool over_budget = false;
  std::size_t budget = 0;
  std::size_t held = 0;
  std::size_t peak = 0;
};
thread_local Meter t_meter;

// The operator this file replaces, found once: the next definition of the symbol after
// this binary's (libstdc++'s, or libasan's in the sanitized binary).
template <typename Function>
Function next_definition(const char* mangled_name) {
  void* symbol = dlsym(RTLD_NEXT, mangled_name);
  if (!symbol) std::abort();  // no operator new at all: nothing sensible to do
  return reinterpret_cast<Function>(symbol);
}

using NewFunction = void* (*)(std::size_t);
using DeleteFunction = void (*)(void*);
using SizedDeleteFunction = void (*)(void*, std::size_t);

// libstdc++'s operator new[] calls operator new, and its sized and array deletes call
// operator delete: this binary's, again. Only the outermost call counts a block.
thread_local int t_nesting = 0;

struct Nested {
  Nested() { ++t_nesting; }
  ~Nested() { --t_nesting; }
  Nested(const Nested&) = delete;
  Nested& operator=(const Nested&) = delete;
};

void* counted_new(std::size_t size, NewFunction next_new, DeleteFunction next_delete) {
  void* block = nullptr;
  {
    const Nested inner;
    block = next_new(size);
  }
  Meter& meter = t_meter;
  if (!meter.measuring || t_nesting > 0) return block;
  const std::size_t bytes = malloc_usable_size(block);
  if (bytes > meter.budget - meter.held) {  // held <= budget always holds
    const Nested inner;
    next_delete(block);
    meter.over_budget = true;
    throw std::bad_alloc();
  }
  meter.held += bytes;
  if (meter.held > meter.peak) meter.peak = meter.held;
  return block;
}

// A block allocated before the measurement started is freed uncounted as far as it can
// be told apart (held never goes below zero).
void uncount(void* block) {
  Meter& meter = t_meter;
  if (!meter.measuring || t_nesting > 0 || !block) return;
  const std::size_t bytes = malloc_usable_size(block);
  meter.held = bytes > meter.held ? 0 : meter.held - bytes;
}

template <typename Delete, typename... Size>
void counted_delete(void* block, Delete next_delete, Size... size) {
  uncount(block);
  const Nested inner;
  next_delete(block, size...);
}

NewFunction next_new() {
  static const NewFunction next = next_definition<NewFunction>("_Znwm");
  return next;
}
NewFunction next_new_array() {
  static const NewFunction next = next_definition<NewFunction>("_Znam");
  return next;
}
DeleteFunction next_delete() {
  static const DeleteFunction next = next_definition<DeleteFunction>("_ZdlPv");
  return next;
}
DeleteFunction next_delete_array() {
  static const DeleteFunction next = next_definition<DeleteFunction>("_ZdaPv");
  return next;
}
SizedDeleteFunction next_sized_delete() {
  static const SizedDeleteFunction next = next_definition<SizedDeleteFunction>("_ZdlPvm");
  return next;
}
SizedDeleteFunction next_sized_delete_array() {
  static const SizedDeleteFunction next = next_definition<SizedDeleteFunction>("_ZdaPvm");
  return next;
}

}  // namespace

HeapUse measure_heap(std::size_t budget_bytes, const std::function<void()>& work) {
  struct StopMeasuring {
    ~StopMeasuring() { t_meter.measuring = false; }
  };
  t_meter = Meter{.measuring = true, .over_budget = false, .budget = budget_bytes, .held = 0, .peak = 0};
  const StopMeasuring stop_at_return;
  try {
    work();
  } catch (const std::bad_alloc&) {
    if (!t_meter.over_budget) throw;  // a real shortage, not the budget's refusal
  }
  return HeapUse{.peak_bytes = t_meter.peak, .over_budget = t_meter.over_budget};
}

}  // namespace mljob::plugin::test_support

namespace support = mljob::plugin::test_support;

void* operator new(std::size_t size) {
  return support::counted_new(size, support::next_new(), support::next_delete());
}

void* operator new[](std::size_t size) {
  return support::counted_new(size, support::next_new_array(), support::next_delete_array());
}

void operator delete(void* block) noexcept {
  support::counted_delete(block, support::next_delete());
}

void operator delete[](void* block) noexcept {
  support::counted_delete(block, support::next_delete_array());
}

void operator delete(void* block, std::size_t size) noexcept {
  support::counted_delete(block, support::next_sized_delete(), size);
}

void operator delete[](void* block, std::size_t size) noexcept {
  support::counted_delete(block, support::next_sized_delete_array(), size);
}
