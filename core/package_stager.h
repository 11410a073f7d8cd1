// Stages the trainer's code into the job folder so that every replica imports the same copy,
// whatever happens to the user's working tree while the job waits in the queue.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mljob {

// Copies each package into `package_root` and returns the entries to put on PYTHONPATH.
// Supported here: a local package folder (--package-path: copied under its own name, so
// `-m NAME.module` imports it) and local wheels (pure-Python wheels import from the zip).
// Anything else is refused with a SpecError naming the field and the value.
std::vector<std::filesystem::path> stage_packages(const std::string& package_path,
                                                  const std::vector<std::string>& package_uris,
                                                  const std::filesystem::path& package_root);

}  // namespace mljob
