// A flag shared by the processes forked after it is made: slurmstepd makes one in
// user_init, and the tasks it forks afterwards use it to tell the user something once per
// node rather than once per task. One anonymous shared page: nothing on disk, nothing
// another job can reach, gone with the processes (a task's exec drops it).
#pragma once

#include <atomic>

namespace mljob::plugin {

class SharedFlag {
 public:
  // Throws std::runtime_error with mmap's errno when the page cannot be mapped.
  SharedFlag();
  ~SharedFlag();
  SharedFlag(const SharedFlag&) = delete;
  SharedFlag& operator=(const SharedFlag&) = delete;

  // True for the first call among all the processes that share the flag, false after.
  bool test_and_set();

 private:
  // Lock-free, hence address-free: the same atomic in every process mapping the page.
  static_assert(std::atomic<bool>::is_always_lock_free);
  std::atomic<bool>* flag_;
};

}  // namespace mljob::plugin
