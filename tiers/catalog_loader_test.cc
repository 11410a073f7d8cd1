#include "tiers/catalog_loader.h"

#include <gtest/gtest.h>

#include <fstream>

#include "base/test_support.h"

namespace mljob::tiers {
namespace {

namespace fs = std::filesystem;

// Writes `text` to `name` in the running test's own scratch folder (removed after the test).
class CatalogLoaderFiles : public ::testing::Test {
 protected:
  fs::path write_temp(const std::string& name, const std::string& text) const {
    std::ofstream(scratch_.path() / name) << text;
    return scratch_.path() / name;
  }
  mljob::testing::ScratchFolder scratch_{"mljob-tiers"};
};

TEST(CatalogLoader, DefaultCatalogHasTheDocumentedTiers) {
  TierCatalog catalog = load_catalog(fs::path(MLJOB_SOURCE_DIR) / "etc/tiers.yaml");
  const ScaleTier* standard = catalog.scale_tier("STANDARD_1");
  ASSERT_NE(standard, nullptr);
  EXPECT_EQ(standard->master.machine_type, "n1-highcpu-8");
  EXPECT_EQ(standard->worker.count, 4);
  EXPECT_EQ(standard->parameter_server.count, 3);
  EXPECT_EQ(catalog.scale_tier("BASIC_TPU"), nullptr);  // not offered, not a crash
  const MachineType* highmem = catalog.machine_type("n1-highmem-96");
  ASSERT_NE(highmem, nullptr);
  EXPECT_EQ(highmem->cpus, 96);
  EXPECT_EQ(highmem->memory_mb, 624 * 1024);
  EXPECT_TRUE(catalog.machine_type("complex_model_m_gpu")->legacy);
  EXPECT_EQ(catalog.machine_type("complex_model_m_gpu")->accelerator->count, 4);
  EXPECT_EQ(catalog.accelerator_type("NVIDIA_TESLA_T4")->gres_type, "t4");
}

TEST(CatalogLoader, LocalClusterCatalogExtendsTheDefault) {
  TierCatalog catalog = load_catalog(fs::path(MLJOB_SOURCE_DIR) / "contrib/cluster/tiers.yaml");
  EXPECT_EQ(catalog.accelerator_type("NVIDIA_TESLA_K80")->gres_type, "t4");     // overridden
  EXPECT_EQ(catalog.accelerator_type("NVIDIA_TESLA_V100")->gres_type, "v100");  // inherited
  ASSERT_TRUE(catalog.scale_tier("STANDARD_1")->master.accelerator);
  EXPECT_EQ(catalog.runtime("", "")->python, "/usr/bin/python3");
  EXPECT_NE(catalog.machine_type("n1-standard-4"), nullptr);
}

TEST_F(CatalogLoaderFiles, UnknownKeyIsNamed) {
  auto file = write_temp("bad-key.yaml", "machineTypes:\n  x: {cpus: 2, memory: 1G, cpu: 3}\n");
  try {
    load_catalog(file);
    FAIL() << "expected an error";
  } catch (const CatalogError& e) {
    EXPECT_NE(std::string(e.what()).find("machineTypes.x.cpu: unknown key"), std::string::npos) << e.what();
  }
}

TEST_F(CatalogLoaderFiles, DanglingMachineTypeIsRefused) {
  auto file = write_temp("dangling.yaml", "scaleTiers:\n  BASIC: {master: {machineType: nope}}\n");
  EXPECT_THROW(load_catalog(file), CatalogError);
}

TEST_F(CatalogLoaderFiles, SlurmValuesMustBePlainWords) {
  auto file =
      write_temp("inject.yaml", "machineTypes:\n  x: {cpus: 1, memory: 1G, partition: \"a\\n#SBATCH --uid=0\"}\n");
  EXPECT_THROW(load_catalog(file), CatalogError);
}

TEST_F(CatalogLoaderFiles, NullTierRemovesIt) {
  auto base = write_temp(
      "base.yaml", "machineTypes:\n  m: {cpus: 1, memory: 1G}\nscaleTiers:\n  BASIC: {master: {machineType: m}}\n");
  auto site = write_temp("site.yaml", "extends: base.yaml\nscaleTiers:\n  BASIC: ~\n");
  EXPECT_EQ(load_catalog(site).scale_tier("BASIC"), nullptr);
}

TEST_F(CatalogLoaderFiles, TheLogCapIsASizeOfAtLeast16M) {
  EXPECT_EQ(load_catalog(write_temp("none.yaml", "runtimes: {}\n")).max_log_bytes_per_job, 0u);
  EXPECT_EQ(load_catalog(write_temp("cap.yaml", "logs: {maxBytesPerJob: 2G}\n")).max_log_bytes_per_job, 2ull << 30);
  auto base = write_temp("capped-base.yaml", "logs: {maxBytesPerJob: 64M}\n");
  EXPECT_EQ(load_catalog(write_temp("inherits.yaml", "extends: capped-base.yaml\n")).max_log_bytes_per_job, 64u << 20);
  for (const char* bad :
       {"logs: {maxBytesPerJob: 1M}\n", "logs: {maxBytesPerJob: lots}\n", "logs: {maxBytes: 1G}\n", "logs: 5\n"}) {
    try {
      load_catalog(write_temp("bad-cap.yaml", bad));
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const CatalogError& e) {
      EXPECT_NE(std::string(e.what()).find("logs"), std::string::npos) << e.what();
    }
  }
}

// Found by fuzz/tier_catalog_fuzzer: `legacy: [1]` threw yaml-cpp's BadConversion, which is
// no CatalogError, out of the loader. Every value of the wrong kind is a CatalogError naming it.
TEST_F(CatalogLoaderFiles, ValuesOfTheWrongKindAreCatalogErrors) {
  for (const auto& [text, named] : std::vector<std::pair<std::string, std::string>>{
           {"machineTypes:\n  x: {cpus: 1, memory: 1G, legacy: [1]}\n", "machineTypes.x.legacy: must be true or false"},
           {"machineTypes:\n  x: {cpus: 1, memory: 1G, legacy: maybe}\n",
            "machineTypes.x.legacy: must be true or false"},
           {"extends: {a: b}\n", "bad conversion"},
           // Found by the same fuzzer in a 10-minute run: a mapping as a key.
           {"machineTypes:\n  x: {cpus: 1, memory: 1G}\n? {a: b}\n: 1\n", "(top level): a key must be a plain name"}}) {
    SCOPED_TRACE(text);
    auto file = write_temp("kinds.yaml", text);
    try {
      load_catalog(file);
      ADD_FAILURE() << "accepted";
    } catch (const CatalogError& e) {
      EXPECT_NE(std::string(e.what()).find(named), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    }
  }
}

// The bound on `extends` (docs/reliability.md): the file named and 8 files above it are read,
// a ninth above it is refused (a loop, most likely).
TEST_F(CatalogLoaderFiles, AnExtendsChainOfEightIsReadAndOfNineRefused) {
  auto chain = [&](int above) {
    std::string top = "chain" + std::to_string(above) + "-0.yaml";
    for (int level = 0; level <= above; ++level) {
      std::string name = "chain" + std::to_string(above) + "-" + std::to_string(level) + ".yaml";
      std::string next = "chain" + std::to_string(above) + "-" + std::to_string(level + 1) + ".yaml";
      write_temp(name, level < above ? "extends: " + next + "\n" : "scaleTiers:\n  BASIC: ~\n");
    }
    return scratch_.path() / top;
  };
  EXPECT_NO_THROW(load_catalog(chain(8)));
  try {
    load_catalog(chain(9));
    ADD_FAILURE() << "a chain of 9 files above was read";
  } catch (const CatalogError& e) {
    EXPECT_NE(std::string(e.what()).find("chain is longer than 8 files"), std::string::npos) << e.what();
  }
}

TEST(CatalogLoader, MissingFileSaysSo) {
  try {
    load_catalog("/nonexistent/tiers.yaml");
    FAIL();
  } catch (const CatalogError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read"), std::string::npos);
  }
}

TEST(MemoryParsing, Units) {
  EXPECT_EQ(parse_memory_mb("512"), 512);
  EXPECT_EQ(parse_memory_mb("512M"), 512);
  EXPECT_EQ(parse_memory_mb("15G"), 15360);
  EXPECT_EQ(parse_memory_mb("7.2G"), 7373);  // rounded up
  EXPECT_EQ(parse_memory_mb("1T"), 1048576);
  EXPECT_THROW(parse_memory_mb("15Q"), std::invalid_argument);
  EXPECT_THROW(parse_memory_mb("-1G"), std::invalid_argument);
  EXPECT_THROW(parse_memory_mb("lots"), std::invalid_argument);
}

}  // namespace
}  // namespace mljob::tiers
