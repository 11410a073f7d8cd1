// Measuring what a piece of code takes from the heap, for tests of the plugin's memory
// bounds (the plugin runs inside slurmstepd: "bounded" must be a number a test can check).
//
// The test binaries replace the global operator new and delete (test_heap_meter.cc): each
// forwards to the one it replaces (libstdc++'s, or AddressSanitizer's in the sanitized
// binary, which so keeps its new/delete mismatch checks) and, on a thread that is
// measuring, counts the bytes. Allocations made with malloc (hwloc's, for instance) are
// not counted; the plugin's C++ code allocates only through operator new.
#pragma once

#include <cstddef>
#include <functional>

namespace mljob::plugin::test_support {

struct HeapUse {
  // The most bytes that `work` held at once (malloc_usable_size of each block), counting
  // only blocks it allocated itself.
  std::size_t peak_bytes = 0;
  // True when `work` asked for more than the budget: that allocation threw std::bad_alloc
  // instead of being made, and measure_heap caught it.
  bool over_budget = false;
};

// Runs `work` on this thread, counting its operator new/delete. An allocation that would
// take what `work` holds above `budget_bytes` throws std::bad_alloc without allocating,
// so a test of a bound fails quickly instead of exhausting the machine's memory. Other
// exceptions pass through.
HeapUse measure_heap(std::size_t budget_bytes, const std::function<void()>& work);

}  // namespace mljob::plugin::test_support
