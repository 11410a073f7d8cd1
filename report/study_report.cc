#include "report/study_report.h"

#include <algorithm>
#include <sstream>

namespace mljob::report {
namespace {

using namespace tuner;  // a report of the tuner's Study, Trial and their states

bool has_result(const Trial& trial) {
  return trial.is_own() && trial.state == TrialState::kSucceeded && trial.final_value.has_value();
}

std::string goal_name(const Study& study) {
  return study.spec().goal == Goal::kMaximize ? "maximised" : "minimised";
}

Panel objective_panel(const Study& study) {
  Series ran{"ran to the end", {}, true}, stopped{"stopped early", {}, true}, best{"best so far", {}, false};
  bool maximize = study.spec().goal == Goal::kMaximize;
  std::optional<double> best_value;
  for (const auto& trial : study.trials()) {
    if (!has_result(trial)) continue;
    double value = *trial.final_value;
    (trial.stopped_early ? stopped : ran).points.emplace_back(trial.id, value);
    if (!best_value || (maximize ? value > *best_value : value < *best_value)) best_value = value;
    best.points.emplace_back(trial.id, *best_value);
  }
  return Panel{
      study.spec().metric_tag + " per trial (" + goal_name(study) + ")", "trial", {ran, stopped, best}, {}, false};
}

// Where a trial's value of `param` goes on the x axis: the number itself, or the index of a
// category.
double x_of(const ParameterSpec& param, const nlohmann::json& value) {
  if (param.type == ParameterType::kCategorical) {
    auto found = std::find(param.categorical_values.begin(), param.categorical_values.end(), value.get<std::string>());
    return static_cast<double>(found - param.categorical_values.begin());
  }
  return value.get<double>();
}

Panel parameter_panel(const Study& study, const ParameterSpec& param) {
  Series ran{"ran to the end", {}, true}, stopped{"stopped early", {}, true};
  for (const auto& trial : study.trials()) {
    if (!has_result(trial) || !trial.parameters.contains(param.name)) continue;
    (trial.stopped_early ? stopped : ran)
        .points.emplace_back(x_of(param, trial.parameters[param.name]), *trial.final_value);
  }
  bool log_x = param.scale == ScaleType::kLog && param.type != ParameterType::kCategorical;
  Panel panel{param.name + " against " + study.spec().metric_tag,
              param.name + (log_x ? " (log scale)" : ""),
              {ran, stopped},
              {},
              log_x};
  if (param.type == ParameterType::kCategorical) panel.x_categories = param.categorical_values;
  return panel;
}

std::string trials_table(const Study& study) {
  std::ostringstream html;
  html << "<h3>Trials, best first</h3>\n<table><tr><th>trial</th><th>state</th><th>"
       << html_escape(study.spec().metric_tag) << "</th><th>step</th>";
  for (const auto& param : study.spec().params) html << "<th>" << html_escape(param.name) << "</th>";
  html << "<th>note</th></tr>\n";
  const nlohmann::json output = study.training_output();  // held: the loop reads into it
  for (const auto& trial : output["trials"]) {
    html << "<tr><td>" << html_escape(trial["trialId"].get<std::string>()) << "</td><td>"
         << html_escape(trial["state"].get<std::string>()) << "</td>";
    if (trial.contains("finalMetric")) {
      html << "<td>" << trial["finalMetric"]["objectiveValue"].dump() << "</td><td>"
           << html_escape(trial["finalMetric"]["trainingStep"].get<std::string>()) << "</td>";
    } else {
      html << "<td></td><td></td>";
    }
    for (const auto& param : study.spec().params)
      html << "<td>" << html_escape(trial["hyperparameters"].value(param.name, "")) << "</td>";
    std::string note = trial.value("isTrialStoppedEarly", false) ? "stopped early" : trial.value("errorMessage", "");
    html << "<td style=\"text-align:left\">" << html_escape(note) << "</td></tr>\n";
  }
  html << "</table>\n";
  if (!study.failure().empty()) html << "<p>The study failed: " << html_escape(study.failure()) << "</p>\n";
  return html.str();
}

}  // namespace

std::vector<Panel> study_panels(const Study& study) {
  std::vector<Panel> panels{objective_panel(study)};
  for (const auto& param : study.spec().params) panels.push_back(parameter_panel(study, param));
  return panels;
}

std::string render_study_report(const tuner::Study& study, const std::string& title) {
  return render_html(study_panels(study), title, trials_table(study));
}

}  // namespace mljob::report
