#include "core/inventory_cache.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "base/test_support.h"

namespace mljob {
namespace {

namespace fs = std::filesystem;

class InventoryCacheTest : public ::testing::Test {
 protected:
  testing::ScratchFolder scratch_{"mljob-cache"};
  const fs::path folder_ = scratch_.path();
  // One node as the cluster's sinfo prints it (kSinfoNodeFormat).
  const std::string sinfo_ = "n1|batch*|96|655360|gpu:v100:8|(null)\n";
};

TEST_F(InventoryCacheTest, NothingCachedYet) {
  EXPECT_FALSE(InventoryCache(folder_, std::chrono::seconds(60)).load_fresh());
}

TEST_F(InventoryCacheTest, FreshAnswerIsReadBack) {
  InventoryCache cache(folder_, std::chrono::seconds(60));
  cache.save(sinfo_);
  auto inventory = cache.load_fresh();
  ASSERT_TRUE(inventory);
  EXPECT_EQ(inventory->nodes.size(), 1u);
}

TEST_F(InventoryCacheTest, OldAnswerIsNotUsed) {
  InventoryCache cache(folder_, std::chrono::seconds(60));
  cache.save(sinfo_);
  fs::last_write_time(cache.file(), fs::file_time_type::clock::now() - std::chrono::seconds(61));
  EXPECT_FALSE(cache.load_fresh());
}

TEST_F(InventoryCacheTest, EachSlurmConfigurationHasItsOwnFile) {
  ::setenv("SLURM_CONF", "/etc/slurm/a.conf", 1);
  InventoryCache a(folder_, std::chrono::seconds(60));
  ::setenv("SLURM_CONF", "/etc/slurm/b.conf", 1);
  InventoryCache b(folder_, std::chrono::seconds(60));
  ::unsetenv("SLURM_CONF");
  EXPECT_NE(a.file(), b.file());
  a.save(sinfo_);
  EXPECT_FALSE(b.load_fresh());
}

// Another user's answer could make a plan look as if it fits: a cache folder or file that
// others may write is neither read nor written.
TEST_F(InventoryCacheTest, ACacheOthersMayWriteIsIgnored) {
  InventoryCache cache(folder_, std::chrono::seconds(60));
  cache.save(sinfo_);
  fs::permissions(cache.file(), fs::perms::group_write, fs::perm_options::add);
  EXPECT_FALSE(cache.load_fresh());

  fs::permissions(cache.file(), fs::perms::group_write, fs::perm_options::remove);
  ASSERT_TRUE(cache.load_fresh());
  fs::permissions(folder_, fs::perms::others_write, fs::perm_options::add);
  EXPECT_FALSE(cache.load_fresh());
  fs::remove(cache.file());
  cache.save(sinfo_);
  EXPECT_FALSE(fs::exists(cache.file()));
}

TEST_F(InventoryCacheTest, AnUnwritableFolderIsNoError) {
  InventoryCache cache("/proc/mljob-cannot-write-here", std::chrono::seconds(60));
  EXPECT_NO_THROW(cache.save(sinfo_));
  EXPECT_FALSE(cache.load_fresh());
}

}  // namespace
}  // namespace mljob
