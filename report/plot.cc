#include "report/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <sstream>

namespace mljob::report {
namespace {

using metrics::EMetrics;
using metrics::parse_number;
using metrics::record_step;

constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                   "#9467bd", "#8c564b", "#e377c2", "#17becf"};
constexpr double kWidth = 720, kPanelHeight = 240, kLeft = 70, kRight = 130, kTop = 34, kBottom = 36;

std::string number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g", value);
  return buffer;
}

std::string escape(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c < 0x20 ? '?' : static_cast<char>(c);
    }
  }
  return out;
}

// The panel's x and y ranges over every point, never empty (a single value gets some room).
struct Ranges {
  double x_min = INFINITY, x_max = -INFINITY, y_min = INFINITY, y_max = -INFINITY;
};

Ranges ranges_of(const Panel& panel, const std::function<double(double)>& x_of) {
  Ranges r;
  for (const auto& series : panel.series) {
    for (const auto& [x, y] : series.points) {
      r.x_min = std::min(r.x_min, x_of(x)), r.x_max = std::max(r.x_max, x_of(x));
      r.y_min = std::min(r.y_min, y), r.y_max = std::max(r.y_max, y);
    }
  }
  if (!panel.x_categories.empty()) r.x_min = -0.5, r.x_max = static_cast<double>(panel.x_categories.size()) - 0.5;
  if (!(r.x_max > r.x_min)) r.x_max = (std::isfinite(r.x_min) ? r.x_min : (r.x_min = 0)) + 1;
  if (!(r.y_max > r.y_min)) {
    if (!std::isfinite(r.y_min)) r.y_min = 0;
    r.y_max = r.y_min + (r.y_min == 0 ? 1 : std::fabs(r.y_min) * 0.1);
  }
  return r;
}

void render_x_ticks(std::ostringstream& svg, const Panel& panel, const Ranges& r, double y,
                    const std::function<double(double)>& px) {
  auto tick = [&](double at, const std::string& text) {
    svg << "<text x=\"" << px(at) << "\" y=\"" << y << "\" font-size=\"11\" text-anchor=\"middle\">" << escape(text)
        << "</text>\n";
  };
  if (!panel.x_categories.empty()) {
    for (std::size_t i = 0; i < panel.x_categories.size(); ++i) tick(static_cast<double>(i), panel.x_categories[i]);
    return;
  }
  for (double x : {r.x_min, r.x_max}) tick(x, number(panel.log_x ? std::pow(10.0, x) : x));
}

void render_series(std::ostringstream& svg, const Series& series, std::size_t index,
                   const std::function<double(double)>& px, const std::function<double(double)>& py, double legend_x,
                   double legend_y) {
  const char* color = kColors[index % std::size(kColors)];
  if (series.markers_only) {
    for (const auto& [x, y] : series.points) {
      svg << "<circle cx=\"" << number(px(x)) << "\" cy=\"" << number(py(y)) << "\" r=\"4\" fill=\"" << color
          << "\" fill-opacity=\"0.75\"><title>" << number(x) << ", " << number(y) << "</title></circle>\n";
    }
    svg << "<circle cx=\"" << legend_x << "\" cy=\"" << legend_y - 4 << "\" r=\"4\" fill=\"" << color << "\"/>\n";
    svg << "<text x=\"" << legend_x + 8 << "\" y=\"" << legend_y << "\" font-size=\"12\" fill=\"" << color << "\">"
        << escape(series.group) << "</text>\n";
    return;
  }
  svg << "<polyline fill=\"none\" stroke=\"" << color << "\" stroke-width=\"1.8\" points=\"";
  for (const auto& [x, y] : series.points) svg << number(px(x)) << "," << number(py(y)) << " ";
  svg << "\"/>\n";
  const auto& [last_x, last_y] = series.points.back();
  // The curve's name where it ends: read at a glance, no legend to look up.
  svg << "<circle cx=\"" << px(last_x) << "\" cy=\"" << py(last_y) << "\" r=\"3\" fill=\"" << color << "\"/>\n";
  svg << "<text x=\"" << px(last_x) + 6 << "\" y=\"" << py(last_y) + 4 + 13.0 * static_cast<double>(index)
      << "\" font-size=\"12\" fill=\"" << color << "\">" << escape(series.group) << " " << number(last_y)
      << "</text>\n";
}

void render_panel(std::ostringstream& svg, const Panel& panel, double top) {
  std::function<double(double)> x_of = [&](double x) { return panel.log_x ? std::log10(x) : x; };
  Ranges r = ranges_of(panel, x_of);
  double plot_w = kWidth - kLeft - kRight, plot_h = kPanelHeight - kTop - kBottom;
  std::function<double(double)> px_scaled = [&](double x) {
    return kLeft + (x - r.x_min) / (r.x_max - r.x_min) * plot_w;
  };
  std::function<double(double)> px = [&](double x) { return px_scaled(x_of(x)); };
  std::function<double(double)> py = [&](double y) {
    return top + kTop + (1 - (y - r.y_min) / (r.y_max - r.y_min)) * plot_h;
  };

  svg << "<text x=\"" << kLeft << "\" y=\"" << top + 20 << "\" font-size=\"15\" font-weight=\"bold\">"
      << escape(panel.metric) << "</text>\n";
  svg << "<rect x=\"" << kLeft << "\" y=\"" << top + kTop << "\" width=\"" << plot_w << "\" height=\"" << plot_h
      << "\" fill=\"none\" stroke=\"#999\"/>\n";
  for (double y : {r.y_min, (r.y_min + r.y_max) / 2, r.y_max}) {
    svg << "<text x=\"" << kLeft - 6 << "\" y=\"" << py(y) + 4 << "\" font-size=\"11\" text-anchor=\"end\">"
        << number(y) << "</text>\n";
  }
  render_x_ticks(svg, panel, r, top + kTop + plot_h + 15, px_scaled);
  svg << "<text x=\"" << kLeft + plot_w / 2 << "\" y=\"" << top + kPanelHeight - 6
      << "\" font-size=\"11\" text-anchor=\"middle\" fill=\"#555\">" << escape(panel.x_label) << "</text>\n";
  for (std::size_t s = 0; s < panel.series.size(); ++s) {
    if (panel.series[s].points.empty()) continue;
    render_series(svg, panel.series[s], s, px, py, kLeft + plot_w + 10,
                  top + kTop + 12 + 16.0 * static_cast<double>(s));
  }
}

}  // namespace

std::vector<Panel> panels_from_records(const std::vector<metrics::EMetrics>& records) {
  std::vector<Panel> panels;
  std::map<std::string, std::size_t> panel_of;
  for (const auto& record : records) {
    std::optional<double> step = record_step(record);
    for (const auto& [name, value] : record.values) {
      auto number = parse_number(value.text);
      if (!number) continue;
      auto [it, added] = panel_of.try_emplace(name, panels.size());
      if (added) {
        Panel panel;
        panel.metric = name;
        panel.x_label = step ? "step" : "record";
        panels.push_back(std::move(panel));
      }
      Panel& panel = panels[it->second];
      auto series = std::find_if(panel.series.begin(), panel.series.end(),
                                 [&](const Series& s) { return s.group == record.grouplabel; });
      if (series == panel.series.end()) series = panel.series.insert(panel.series.end(), Series{record.grouplabel, {}});
      double x = step ? *step : static_cast<double>(series->points.size());
      series->points.emplace_back(x, *number);
    }
  }
  return panels;
}

std::string render_svg(const std::vector<Panel>& panels, const std::string& title) {
  std::ostringstream svg;
  double height = 40 + kPanelHeight * std::max<std::size_t>(panels.size(), 1);
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << height
      << "\" font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg << "<text x=\"10\" y=\"24\" font-size=\"17\">" << escape(title) << "</text>\n";
  if (panels.empty()) svg << "<text x=\"10\" y=\"70\" font-size=\"14\">no metrics recorded</text>\n";
  for (std::size_t i = 0; i < panels.size(); ++i) render_panel(svg, panels[i], 40 + kPanelHeight * i);
  svg << "</svg>\n";
  return svg.str();
}

std::string render_html(const std::vector<Panel>& panels, const std::string& title, const std::string& body_html) {
  return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + escape(title) +
         "</title>\n<style>body{font-family:sans-serif} table{border-collapse:collapse} td,th{border:1px solid #ccc;"
         "padding:2px 8px;text-align:right}</style></head><body>\n" +
         render_svg(panels, title) + body_html + "</body></html>\n";
}

std::string html_escape(const std::string& text) {
  return escape(text);
}

std::string sparkline(const std::vector<double>& values, std::size_t width) {
  static const char* const kBars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  std::vector<double> shown(values.size() > width ? values.end() - static_cast<std::ptrdiff_t>(width) : values.begin(),
                            values.end());
  if (shown.empty()) return "";
  auto [low, high] = std::minmax_element(shown.begin(), shown.end());
  std::string out;
  for (double value : shown) {
    int level = *high > *low ? static_cast<int>(std::lround((value - *low) / (*high - *low) * 7)) : 3;
    out += kBars[std::clamp(level, 0, 7)];
  }
  return out;
}

}  // namespace mljob::report
