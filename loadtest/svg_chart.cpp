#include "loadtest/svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace fg::loadtest {

namespace {

constexpr double width = 720, height = 300;
constexpr double left = 70, right = 20, top = 36, bottom = 46;

std::string fmt(double v) {
    char buf[32];
    if (v != 0 && (std::abs(v) >= 1e6 || std::abs(v) < 0.01))
        std::snprintf(buf, sizeof buf, "%.3g", v);
    else
        std::snprintf(buf, sizeof buf, "%.6g", std::round(v * 100) / 100);
    return buf;
}

struct extent {
    double x_min = 0, x_max = 1, y_max = 1;
};

extent measure(const line_chart& c) {
    extent e{INFINITY, -INFINITY, 0};
    for (const chart_series& s : c.series) {
        for (const auto& [x, y] : s.points) {
            const double xv = c.scale == x_scale::log10 ? std::log10(std::max(x, 1.0)) : x;
            e.x_min = std::min(e.x_min, xv);
            e.x_max = std::max(e.x_max, xv);
            e.y_max = std::max(e.y_max, y);
        }
    }
    if (!std::isfinite(e.x_min)) e = {0, 1, 1};
    if (e.x_max <= e.x_min) e.x_max = e.x_min + 1;
    if (e.y_max <= 0) e.y_max = 1;
    e.y_max *= 1.05;
    return e;
}

std::string axes(const line_chart& c, const extent& e) {
    std::string out;
    const double plot_w = width - left - right, plot_h = height - top - bottom;
    out += "<text x=\"" + fmt(width / 2) +
           "\" y=\"20\" text-anchor=\"middle\" font-weight=\"bold\">" + escape_xml(c.title) +
           "</text>";
    out += "<rect x=\"" + fmt(left) + "\" y=\"" + fmt(top) + "\" width=\"" + fmt(plot_w) +
           "\" height=\"" + fmt(plot_h) + "\" fill=\"none\" stroke=\"#999\"/>";
    for (int i = 0; i <= 4; ++i) {
        const double y = top + plot_h * (1 - i / 4.0);
        const double x = left + plot_w * i / 4.0;
        const double xv = e.x_min + (e.x_max - e.x_min) * i / 4.0;
        out += "<line x1=\"" + fmt(left) + "\" x2=\"" + fmt(width - right) + "\" y1=\"" + fmt(y) +
               "\" y2=\"" + fmt(y) + "\" stroke=\"#eee\"/>";
        out += "<text x=\"" + fmt(left - 6) + "\" y=\"" + fmt(y + 4) + "\" text-anchor=\"end\">" +
               fmt(e.y_max * i / 4.0) + "</text>";
        out += "<text x=\"" + fmt(x) + "\" y=\"" + fmt(height - bottom + 16) +
               "\" text-anchor=\"middle\">" +
               fmt(c.scale == x_scale::log10 ? std::pow(10, xv) : xv) + "</text>";
    }
    out += "<text x=\"" + fmt(width / 2) + "\" y=\"" + fmt(height - 8) +
           "\" text-anchor=\"middle\">" + escape_xml(c.x_label) + "</text>";
    out += "<text transform=\"translate(14 " + fmt(height / 2) +
           ") rotate(-90)\" text-anchor=\"middle\">" + escape_xml(c.y_label) + "</text>";
    return out;
}

}  // namespace

std::string escape_xml(const std::string& s) {
    std::string out;
    for (const char ch : s) {
        switch (ch) {
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
                out += ch;
        }
    }
    return out;
}

std::string render_svg(const line_chart& c) {
    const extent e = measure(c);
    const double plot_w = width - left - right, plot_h = height - top - bottom;
    std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fmt(width) +
                      "\" height=\"" + fmt(height) +
                      "\" font-family=\"sans-serif\" font-size=\"11\">";
    out += axes(c, e);
    double legend_x = left + 8;
    for (const chart_series& s : c.series) {
        std::string path;
        for (const auto& [x, y] : s.points) {
            const double xv = c.scale == x_scale::log10 ? std::log10(std::max(x, 1.0)) : x;
            const double px = left + plot_w * (xv - e.x_min) / (e.x_max - e.x_min);
            const double py = top + plot_h * (1 - y / e.y_max);
            path += (path.empty() ? "M" : " L") + fmt(px) + " " + fmt(py);
        }
        out += "<path d=\"" + path + "\" fill=\"none\" stroke=\"" + s.colour +
               "\" stroke-width=\"1.8\"/>";
        out += "<text x=\"" + fmt(legend_x) + "\" y=\"" + fmt(top + 14) + "\" fill=\"" + s.colour +
               "\">" + escape_xml(s.name) + "</text>";
        legend_x += 12 + 7 * static_cast<double>(s.name.size());
    }
    return out + "</svg>";
}

std::string render_bar_svg(const std::string& title,
                           const std::vector<std::pair<std::string, double>>& bars) {
    const double row = 24, label_w = 170, bar_w = width - label_w - 100;
    const double h = top + row * static_cast<double>(bars.size()) + 10;
    double max_v = 1;
    for (const auto& b : bars) max_v = std::max(max_v, b.second);
    std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fmt(width) +
                      "\" height=\"" + fmt(h) + "\" font-family=\"sans-serif\" font-size=\"11\">";
    out += "<text x=\"" + fmt(width / 2) +
           "\" y=\"20\" text-anchor=\"middle\" font-weight=\"bold\">" + escape_xml(title) +
           "</text>";
    double y = top;
    for (const auto& [label, v] : bars) {
        const double w = std::max(1.0, bar_w * v / max_v);
        out += "<text x=\"" + fmt(label_w - 6) + "\" y=\"" + fmt(y + 15) +
               "\" text-anchor=\"end\">" + escape_xml(label) + "</text>";
        out += "<rect x=\"" + fmt(label_w) + "\" y=\"" + fmt(y + 3) + "\" width=\"" + fmt(w) +
               "\" height=\"16\" fill=\"#4a7ab5\"/>";
        out += "<text x=\"" + fmt(label_w + w + 6) + "\" y=\"" + fmt(y + 15) + "\">" + fmt(v) +
               "</text>";
        y += row;
    }
    return out + "</svg>";
}

}  // namespace fg::loadtest
