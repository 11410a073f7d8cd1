#include "report/study_report.h"

#include <gtest/gtest.h>

namespace mljob::report {
namespace {

using namespace tuner;

using nlohmann::json;

Study finished_study() {
  HyperparameterSpec spec = parse_hyperparameter_spec(
      json{{"goal", "MAXIMIZE"},
           {"hyperparameterMetricTag", "accuracy"},
           {"maxTrials", 4},
           {"maxParallelTrials", 4},
           {"enableTrialEarlyStopping", true},
           {"algorithm", "RANDOM_SEARCH"},
           {"params",
            {{{"parameterName", "lr"},
              {"type", "DOUBLE"},
              {"minValue", 1e-4},
              {"maxValue", 1e-1},
              {"scaleType", "UNIT_LOG_SCALE"}},
             {{"parameterName", "act"}, {"type", "CATEGORICAL"}, {"categoricalValues", {"relu", "<tanh>"}}}}}});
  Study study(spec, 7);
  auto trials = study.ask(4);
  study.tell(trials[0].id, 0.5);
  study.tell(trials[1].id, 0.8);
  study.tell_failed(trials[2].id, "crashed & burned");
  study.tell(trials[3].id, 0.6);
  return study;
}

TEST(StudyReport, ObjectivePerTrialWithTheBestSoFarAndAPanelPerParameter) {
  auto panels = study_panels(finished_study());
  ASSERT_EQ(panels.size(), 3u);
  EXPECT_EQ(panels[0].metric, "accuracy per trial (maximised)");
  const auto& ran = panels[0].series[0].points;
  ASSERT_EQ(ran.size(), 3u);  // the failed trial has no value to draw
  EXPECT_EQ(ran[2], (std::pair<double, double>{4, 0.6}));
  const auto& best = panels[0].series[2].points;
  EXPECT_EQ(best, (std::vector<std::pair<double, double>>{{1, 0.5}, {2, 0.8}, {4, 0.8}}));
  EXPECT_TRUE(panels[1].log_x);  // lr is UNIT_LOG_SCALE
  EXPECT_EQ(panels[2].x_categories, (std::vector<std::string>{"relu", "<tanh>"}));
  for (const auto& [x, y] : panels[2].series[0].points) EXPECT_TRUE(x == 0 || x == 1);
}

TEST(StudyReport, HtmlHasTheChartsAndTheTrialsBestFirstEscaped) {
  std::string html = render_study_report(finished_study(), "study <s1>");
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("<title>study &lt;s1&gt;</title>"), std::string::npos);
  EXPECT_NE(html.find("&lt;tanh&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<tanh>"), std::string::npos);
  EXPECT_NE(html.find("crashed &amp; burned"), std::string::npos);
  auto best = html.find("<tr><td>2</td><td>SUCCEEDED</td><td>0.8</td>");
  auto next = html.find("<tr><td>4</td><td>SUCCEEDED</td><td>0.6</td>");
  ASSERT_NE(best, std::string::npos) << html;
  EXPECT_LT(best, next);
}

}  // namespace
}  // namespace mljob::report
