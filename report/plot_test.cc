#include "report/plot.h"

#include <gtest/gtest.h>

namespace mljob::report {
namespace {

using metrics::EMetrics;
using metrics::TypedValue;
using metrics::ValueType;

EMetrics point(const std::string& group, const std::string& name, const std::string& value, const std::string& step) {
  EMetrics r;
  r.grouplabel = group;
  r.values[name] = TypedValue{ValueType::kFloat, value};
  if (!step.empty()) r.etimes["iteration"] = TypedValue{ValueType::kInt, step};
  return r;
}

TEST(Plot, OnePanelPerMetricOneCurvePerGroup) {
  auto panels = panels_from_records({point("train", "loss", "0.9", "100"), point("test", "loss", "1.1", "100"),
                                     point("train", "loss", "0.5", "200"), point("test", "accuracy", "0.7", "200"),
                                     point("train", "loss", "not a number", "300")});
  ASSERT_EQ(panels.size(), 2u);
  EXPECT_EQ(panels[0].metric, "loss");
  ASSERT_EQ(panels[0].series.size(), 2u);
  EXPECT_EQ(panels[0].series[0].group, "train");
  EXPECT_EQ(panels[0].series[0].points, (std::vector<std::pair<double, double>>{{100, 0.9}, {200, 0.5}}));
  EXPECT_EQ(panels[0].x_label, "step");
}

TEST(Plot, CurvesAreNamedWhereTheyEndAndTextIsEscaped) {
  auto svg =
      render_svg(panels_from_records({point("train", "a<b", "1", "1"), point("train", "a<b", "2", "2")}), "job & co");
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("a&lt;b"), std::string::npos);
  EXPECT_NE(svg.find("job &amp; co"), std::string::npos);
  EXPECT_NE(svg.find(">train 2</text>"), std::string::npos);  // the label at the curve's last point
  EXPECT_NE(render_html({}, "t").find("no metrics recorded"), std::string::npos);
}

TEST(Plot, Sparkline) {
  EXPECT_EQ(sparkline({0, 1, 2, 3, 4, 5, 6, 7}), "▁▂▃▄▅▆▇█");
  EXPECT_EQ(sparkline({5, 5}), "▄▄");
  EXPECT_EQ(sparkline({}), "");
  EXPECT_EQ(sparkline({0, 0, 1}, 2), "▁█");  // the last values win
}

}  // namespace
}  // namespace mljob::report
