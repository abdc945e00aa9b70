#pragma once

// Inline SVG charts for report.html, drawn by hand so the report needs no JavaScript, CSS or
// fonts from anywhere: line charts with one or more series, and a horizontal bar chart.

#include <string>
#include <utility>
#include <vector>

namespace fg::loadtest {

struct chart_series {
    std::string name;
    std::string colour;                             // CSS colour
    std::vector<std::pair<double, double>> points;  // (x, y)
};

enum class x_scale { linear, log10 };

struct line_chart {
    std::string title;
    std::string x_label;
    std::string y_label;
    x_scale scale = x_scale::linear;
    std::vector<chart_series> series;
};

std::string render_svg(const line_chart& c);
// Bars: (label, value); the value is printed beside each bar.
std::string render_bar_svg(const std::string& title,
                           const std::vector<std::pair<std::string, double>>& bars);

// Text for an HTML/SVG text node: &, <, >, " escaped.
std::string escape_xml(const std::string& s);

}  // namespace fg::loadtest
