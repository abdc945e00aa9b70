#include "loadtest/html_report.hpp"

#include <cmath>
#include <sstream>

#include "loadtest/svg_chart.hpp"

namespace fg::loadtest {

namespace {

std::string throughput_chart(const run_metrics& m) {
    line_chart c{"Throughput per second", "second of the run", "requests/s", x_scale::linear, {}};
    chart_series done{"answered", "#2b7bba", {}}, acked{"2xx", "#2a9d4b", {}},
        refused{"4xx", "#d08a1e", {}};
    for (const per_second_row& r : m.per_second) {
        const auto x = static_cast<double>(r.second);
        done.points.emplace_back(x, static_cast<double>(r.completed));
        acked.points.emplace_back(x, static_cast<double>(r.status_2xx));
        refused.points.emplace_back(x, static_cast<double>(r.status_4xx));
    }
    c.series = {done, acked, refused};
    return render_svg(c);
}

std::string latency_over_time_chart(const run_metrics& m) {
    line_chart c{"Latency per second (from intended send time)",
                 "second of the run",
                 "milliseconds",
                 x_scale::linear,
                 {}};
    chart_series p50{"p50", "#2b7bba", {}}, p99{"p99", "#c0392b", {}};
    for (const per_second_row& r : m.per_second) {
        if (r.completed == 0) continue;
        p50.points.emplace_back(static_cast<double>(r.second),
                                static_cast<double>(r.p50_us) / 1000.0);
        p99.points.emplace_back(static_cast<double>(r.second),
                                static_cast<double>(r.p99_us) / 1000.0);
    }
    c.series = {p50, p99};
    return render_svg(c);
}

std::string distribution_chart(const histogram& h) {
    // x is 1/(1-percentile) on a log axis, as HdrHistogram's plotter draws it.
    line_chart c{"Latency by percentile",
                 "1/(1-percentile): 10 = p90, 100 = p99, 1000 = p99.9",
                 "milliseconds",
                 x_scale::log10,
                 {}};
    chart_series s{"latency", "#8e44ad", {}};
    const double last = h.count() > 1 ? static_cast<double>(h.count()) : 2.0;
    for (double inv = 1.0; inv <= last; inv *= 1.12) {
        const double pct = 100.0 * (1.0 - 1.0 / inv);
        s.points.emplace_back(inv, static_cast<double>(h.value_at_percentile(pct)) / 1000.0);
    }
    s.points.emplace_back(last, static_cast<double>(h.max()) / 1000.0);
    c.series = {s};
    return render_svg(c);
}

std::string status_chart(const run_metrics& m) {
    std::vector<std::pair<std::string, double>> bars;
    for (const auto& [status, n] : m.by_status) {
        bars.emplace_back(status == 0 ? "no answer" : "HTTP " + std::to_string(status),
                          static_cast<double>(n));
    }
    for (const auto& [code, n] : m.by_code)
        bars.emplace_back("refused: " + (code.empty() ? "(no code)" : code),
                          static_cast<double>(n));
    return render_bar_svg("Status and refusal mix", bars);
}

std::string audit_html(const run_summary& s) {
    if (!s.audit) return "<p>Audit skipped (--no-audit).</p>";
    if (s.audit->passed()) {
        return "<p class=\"pass\">Audit PASSED: " + std::to_string(s.audit->skus_checked) +
               " SKUs, " + std::to_string(s.audit->keys_checked) + " idempotency keys.</p>";
    }
    std::string out =
        "<p class=\"fail\">Audit FAILED (" + std::to_string(s.audit->failure_count) + ")</p><ul>";
    for (const std::string& f : s.audit->failures) out += "<li>" + escape_xml(f) + "</li>";
    return out + "</ul>";
}

}  // namespace

std::string html_report(const run_summary& s) {
    std::ostringstream text;
    print_summary(text, s);
    std::string out = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>flashgate-load: " +
                      escape_xml(s.workload) +
                      "</title><style>body{font-family:sans-serif;margin:24px;max-width:780px}"
                      "pre{background:#f6f6f6;padding:10px;font-size:12px}.pass{color:#2a9d4b}."
                      "fail{color:#c0392b}"
                      "svg{display:block;margin:16px 0}</style></head><body>";
    out += "<h1>flashgate-load: " + escape_xml(s.workload) + "</h1>";
    out += audit_html(s);
    out += "<pre>" + escape_xml(text.str()) + "</pre>";
    out += throughput_chart(s.metrics);
    out += latency_over_time_chart(s.metrics);
    out += distribution_chart(s.metrics.latency);
    out += status_chart(s.metrics);
    return out + "</body></html>\n";
}

}  // namespace fg::loadtest
