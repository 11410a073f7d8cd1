// The site's model registry: what AI Platform's models and versions are here, for batch
// prediction jobs that name a model (modelName / versionName) instead of a folder (uri). A small
// YAML file the site admin owns, named by the tier catalog's prediction.modelRegistry
// (docs/prediction.md):
//
//   models:
//     census:
//       defaultVersion: v1
//       versions:
//         v1: {path: /srv/models/census/v1, predictor: sklearn}
//         v2: {path: v2, predictor: custom, predictionClass: census.predictor.Predictor,
//              packageUris: [/srv/packages/census-0.2.tar.gz], runtimeVersion: "1.0",
//              machineType: n1-standard-8}
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace mljob::tiers {

// One version of a model: where its files are and what serves them.
struct ModelVersion {
  std::string model, version;
  std::string path;                       // the model folder, absolute (relative paths are the registry file's)
  std::string predictor;                  // sklearn, torchscript or custom
  std::string prediction_class;           // custom: "package.module.Class" (from_path, predict)
  std::vector<std::string> package_uris;  // custom: the packages that hold it
  std::string runtime_version;            // empty: the job's runtimeVersion, else the default runtime
  std::string machine_type;               // empty: the catalog's prediction.machineType
};

struct ModelRegistry {
  std::string source;                                                   // the file, for messages
  std::map<std::string, std::map<std::string, ModelVersion>> versions;  // model -> version -> entry
  std::map<std::string, std::string> default_versions;                  // model -> its defaultVersion
};

// Reads and checks the registry; a CatalogError (tiers/catalog_loader.h) naming the file, the
// key and the rule for anything wrong.
ModelRegistry load_model_registry(const std::filesystem::path& file);

}  // namespace mljob::tiers
