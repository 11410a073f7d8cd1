#include "core/slurm_config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace mljob {
namespace {

TEST(SlurmConfig, ValuesAsScontrolPrintsThem) {
  // Recorded from the local cluster: `scontrol show config`'s first lines and two limits.
  std::ifstream in(std::string(MLJOB_SOURCE_DIR) + "/core/testdata/scontrol_show_config_head.txt");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(slurm_config_value(text.str(), "MaxArraySize"), "1001");
  EXPECT_EQ(slurm_config_value(text.str(), "MaxJobCount"), "50000");
  EXPECT_EQ(slurm_config_value(text.str(), "NoSuchThing"), std::nullopt);
  EXPECT_EQ(slurm_config_value("MaxArraySizeX = 3\n", "MaxArraySize"), std::nullopt);
}

}  // namespace
}  // namespace mljob
