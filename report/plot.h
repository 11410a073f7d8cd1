// Pictures of a job's metrics: one panel per metric, one curve per group (train against test),
// each curve named at its end so no legend is needed; and a one-line sparkline for terminals.
// Pure: records in, SVG text out.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "metrics/emetrics.h"

namespace mljob::report {

struct Series {
  std::string group;
  std::vector<std::pair<double, double>> points;  // (step, value)
  bool markers_only = false;                      // a dot per point (a scatter), named in the panel's margin
};

struct Panel {
  std::string metric;
  std::string x_label;  // the etime the steps come from, or "record"
  std::vector<Series> series;
  // Names for x = 0, 1, 2, ... (a categorical axis), shown as its ticks; empty: numeric ticks.
  std::vector<std::string> x_categories;
  bool log_x = false;  // x values drawn on a log scale (they must be positive)
};

// Numeric values of the records as panels (metrics by name, in first-seen order). The x of a
// point is its record's step (etimes step, global_step, iteration, epoch, ...) if it has one,
// else the point's position in its series.
std::vector<Panel> panels_from_records(const std::vector<metrics::EMetrics>& records);

std::string render_svg(const std::vector<Panel>& panels, const std::string& title);
// The SVG in a page, followed by `body_html` (already HTML: escape what it quotes).
std::string render_html(const std::vector<Panel>& panels, const std::string& title, const std::string& body_html = "");
// Text made safe inside HTML/SVG elements and attribute values.
std::string html_escape(const std::string& text);

// "▁▂▄▆█" scaled between the values' minimum and maximum, at most `width` characters (the last
// values win).
std::string sparkline(const std::vector<double>& values, std::size_t width = 40);

}  // namespace mljob::report
