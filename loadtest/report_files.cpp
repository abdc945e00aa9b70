#include "loadtest/report_files.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>

#include "loadtest/html_report.hpp"

namespace fg::loadtest {

namespace {

bool write_file(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    return static_cast<bool>(out);
}

std::string per_second_csv(const run_metrics& m) {
    std::string out = "second,sent,completed,2xx,4xx,5xx,errors,p50_us,p99_us\n";
    char line[256];
    for (const per_second_row& r : m.per_second) {
        std::snprintf(
            line, sizeof line, "%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu\n",
            static_cast<unsigned long long>(r.second), static_cast<unsigned long long>(r.sent),
            static_cast<unsigned long long>(r.completed),
            static_cast<unsigned long long>(r.status_2xx),
            static_cast<unsigned long long>(r.status_4xx),
            static_cast<unsigned long long>(r.status_5xx),
            static_cast<unsigned long long>(r.errors), static_cast<unsigned long long>(r.p50_us),
            static_cast<unsigned long long>(r.p99_us));
        out += line;
    }
    return out;
}

}  // namespace

std::string hgrm_text(const histogram& h) {
    std::string out = "       Value     Percentile TotalCount 1/(1-Percentile)\n\n";
    char line[128];
    const double count = static_cast<double>(h.count());
    // Like HdrHistogram: 5 ticks per halving of the distance to 100%, until the last value.
    for (int half = 0; count > 0; ++half) {
        const double base = 1.0 - std::pow(0.5, half);
        bool reached_end = false;
        for (int tick = 0; tick < 5; ++tick) {
            const double q = base + std::pow(0.5, half) * 0.5 * tick / 5.0;
            const std::uint64_t v = h.value_at_percentile(q * 100.0);
            std::snprintf(line, sizeof line, "%12.3f %14.12f %10llu %14.2f\n",
                          static_cast<double>(v) / 1000.0, q,
                          static_cast<unsigned long long>(h.count_at_or_below(v)), 1.0 / (1.0 - q));
            out += line;
            if (q >= 1.0 - 1.0 / count) reached_end = true;
        }
        if (reached_end) break;
    }
    std::snprintf(line, sizeof line, "%12.3f %14.12f %10llu\n",
                  static_cast<double>(h.max()) / 1000.0, 1.0,
                  static_cast<unsigned long long>(h.count()));
    out += line;
    std::snprintf(line, sizeof line, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n",
                  h.mean() / 1000.0, h.stddev() / 1000.0);
    out += line;
    std::snprintf(line, sizeof line, "#[Max     = %12.3f, Total count    = %12llu]\n",
                  static_cast<double>(h.max()) / 1000.0,
                  static_cast<unsigned long long>(h.count()));
    out += line;
    std::snprintf(line, sizeof line, "#[Buckets = %12zu, SubBuckets     = %12d]\n",
                  histogram::bucket_index(histogram::value_max_us) + 1,
                  1 << histogram::sub_bucket_bits);
    out += line;
    return out;
}

std::string write_report_files(const std::filesystem::path& dir, const run_summary& s) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return "cannot create " + dir.string() + ": " + ec.message();
    if (!write_file(dir / "summary.json", summary_json(s))) return "cannot write summary.json";
    if (!write_file(dir / "per_second.csv", per_second_csv(s.metrics)))
        return "cannot write per_second.csv";
    if (!write_file(dir / "latency.hgrm", hgrm_text(s.metrics.latency)))
        return "cannot write latency.hgrm";
    if (!write_file(dir / "report.html", html_report(s))) return "cannot write report.html";
    return {};
}

}  // namespace fg::loadtest
