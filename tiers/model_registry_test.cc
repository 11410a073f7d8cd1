#include "tiers/model_registry.h"

#include <gtest/gtest.h>

#include "base/test_support.h"
#include "tiers/catalog_loader.h"

namespace mljob::tiers {
namespace {

namespace fs = std::filesystem;

class ModelRegistryFiles : public ::testing::Test {
 protected:
  fs::path write(const std::string& text) const {
    mljob::testing::write_file(scratch_.path() / "models.yaml", text);
    return scratch_.path() / "models.yaml";
  }
  void expect_refused(const std::string& text, const std::string& key) const {
    try {
      load_model_registry(write(text));
      ADD_FAILURE() << "expected a CatalogError at " << key;
    } catch (const CatalogError& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  }
  mljob::testing::ScratchFolder scratch_{"mljob-registry"};
};

TEST_F(ModelRegistryFiles, VersionsPathsAndDefaults) {
  ModelRegistry registry = load_model_registry(
      write("models:\n  census:\n    defaultVersion: v2\n    versions:\n      v1: {path: /srv/census/v1, predictor: "
            "sklearn}\n      v2: {path: v2, predictor: custom, predictionClass: census.p.Predictor, packageUris: "
            "[/srv/p.tar.gz], machineType: n1-standard-8}\n  mlp:\n    versions:\n      only: {path: /m, predictor: "
            "torchscript}\n"));
  EXPECT_EQ(registry.default_versions.at("census"), "v2");
  EXPECT_EQ(registry.default_versions.at("mlp"), "only");  // one version: it is the default
  const ModelVersion& v2 = registry.versions.at("census").at("v2");
  EXPECT_EQ(v2.path, (scratch_.path() / "v2").string());  // relative to the registry file
  EXPECT_EQ(v2.prediction_class, "census.p.Predictor");
  EXPECT_EQ(v2.package_uris, std::vector<std::string>{"/srv/p.tar.gz"});
  EXPECT_EQ(v2.machine_type, "n1-standard-8");
}

TEST_F(ModelRegistryFiles, EachMistakeNamesItsKey) {
  expect_refused("models:\n  m:\n    versions:\n      v1: {path: /m, predictor: tensorflow}\n",
                 "models.m.versions.v1.predictor");
  expect_refused("models:\n  m:\n    versions:\n      v1: {predictor: sklearn}\n", "models.m.versions.v1.path");
  expect_refused("models:\n  m:\n    versions:\n      v1: {path: /m, predictor: custom}\n",
                 "models.m.versions.v1.predictionClass");
  expect_refused("models:\n  m:\n    versions:\n      v1: {path: /m, predictor: sklearn, predictionClass: a.B}\n",
                 "models.m.versions.v1.predictionClass");
  expect_refused("models:\n  m:\n    versions:\n      v1: {path: /m, predictor: sklearn, patth: x}\n",
                 "models.m.versions.v1.patth");
  expect_refused("models:\n  m:\n    defaultVersion: v9\n    versions:\n      v1: {path: /m, predictor: sklearn}\n",
                 "models.m.defaultVersion");
  expect_refused(
      "models:\n  m:\n    versions:\n      v1: {path: /m, predictor: sklearn}\n      v2: {path: /n, predictor: "
      "sklearn}\n",
      "models.m.defaultVersion");
  expect_refused("models:\n  m: {}\n", "models.m.versions");
}

}  // namespace
}  // namespace mljob::tiers
