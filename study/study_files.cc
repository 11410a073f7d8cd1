#include "study/study_files.h"

#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "study/study_database.h"

namespace mljob::study {

namespace fs = std::filesystem;

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

tuner::Study load_study(const fs::path& folder) {
  if (!fs::exists(folder / kStudyFile) && fs::exists(folder / kStudyJsonFile)) {
    return tuner::Study::from_json(nlohmann::json::parse(read_text(folder / kStudyJsonFile)));
  }
  return read_study_database(folder / kStudyFile);
}

void save_study(const tuner::Study& study, const fs::path& folder) {
  write_study_database(study, folder / kStudyFile);
  fs::remove(folder / kStudyJsonFile);  // one place holds the state from now on
}

void write_study_settings(const StudySettings& settings, const fs::path& folder) {
  nlohmann::json out = nlohmann::json::object();
  if (!settings.tiers_file.empty()) out["tiersFile"] = settings.tiers_file.string();
  write_atomically(folder / kStudySettingsFile, out.dump(2) + "\n");
}

StudySettings read_study_settings(const fs::path& folder) {
  fs::path file = folder / kStudySettingsFile;
  if (!fs::exists(file)) return {};
  nlohmann::json in = nlohmann::json::parse(read_text(file), nullptr, false);
  if (!in.is_object())
    throw std::runtime_error("the study's settings " + file.string() + " are damaged (not a JSON object)");
  return {in.value("tiersFile", "")};
}

bool is_study_folder(const fs::path& folder) {
  return fs::exists(folder / kStudyFile) || fs::exists(folder / kStudyJsonFile);
}

}  // namespace mljob::study
