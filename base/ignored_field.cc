#include "base/ignored_field.h"

#include <mutex>
#include <set>

#include "base/input_error.h"

namespace mljob {

void warn_ignored(const IgnoredField& ignored, std::ostream& err) {
  static std::mutex guard;
  static std::set<std::string> said;
  std::string message = InputError(ignored.field, ignored.value, "ignored: " + ignored.why).what();
  std::lock_guard lock(guard);
  if (said.insert(message).second) err << "mljob: warning: " << message << "\n";
}

}  // namespace mljob
