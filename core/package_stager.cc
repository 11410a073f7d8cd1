#include "core/package_stager.h"

#include <algorithm>

#include "core/spec_error.h"

namespace mljob {
namespace {

namespace fs = std::filesystem;

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

fs::path stage_folder(const std::string& field, const fs::path& source, const fs::path& package_root) {
  fs::path normalized = source.lexically_normal();
  if (normalized.filename().empty()) normalized = normalized.parent_path();
  if (!fs::exists(normalized / "__init__.py")) {
    throw SpecError(field, source.string(), "must be a Python package folder (it has no __init__.py)");
  }
  fs::path target = package_root / normalized.filename();
  if (fs::exists(target)) throw SpecError(field, source.string(), "a package of the same name is already staged");
  fs::copy(normalized, target, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  return package_root;
}

}  // namespace

std::vector<fs::path> stage_packages(const std::string& package_path, const std::vector<std::string>& package_uris,
                                     const fs::path& package_root) {
  fs::create_directories(package_root);
  std::vector<fs::path> python_path;
  auto add = [&](const fs::path& entry) {
    if (std::find(python_path.begin(), python_path.end(), entry) == python_path.end()) python_path.push_back(entry);
  };
  if (!package_path.empty()) {
    if (!fs::is_directory(package_path)) throw SpecError("--package-path", package_path, "must be an existing folder");
    add(stage_folder("--package-path", fs::absolute(package_path), package_root));
  }
  for (std::size_t i = 0; i < package_uris.size(); ++i) {
    const std::string& uri = package_uris[i];
    std::string field = "trainingInput.packageUris[" + std::to_string(i) + "]";
    if (uri.find("://") != std::string::npos) {
      throw SpecError(field, uri, "only local paths can be staged by this version of mljob (no URL fetching yet)");
    }
    if (fs::is_directory(uri)) {
      add(stage_folder(field, fs::absolute(uri), package_root));
    } else if (ends_with(uri, ".whl") && fs::is_regular_file(uri)) {
      fs::path target = package_root / fs::path(uri).filename();
      fs::copy_file(uri, target, fs::copy_options::overwrite_existing);
      add(target);
    } else {
      throw SpecError(field, uri, "must be a local package folder or a .whl file that exists");
    }
  }
  return python_path;
}

}  // namespace mljob
