#pragma once

// Pass/fail thresholds on a finished run: `p99<2ms`, `p99.9<5ms`, `errors<1%`, `rps>1000`.

#include <optional>
#include <string>

namespace fg::loadtest {

struct run_metrics;

struct threshold {
    enum class metric { percentile, max, mean, errors_pct, late_pct, rps };
    enum class comparison { less, less_equal, greater, greater_equal };

    std::string text;
    metric what = metric::percentile;
    double percentile = 0;  // for metric::percentile
    comparison op = comparison::less;
    double limit = 0;  // microseconds for latencies, percent for errors/late, per second for rps

    // The measured value in the limit's unit, and whether it satisfies the threshold.
    double measure(const run_metrics& m) const;
    bool passes(double measured) const;
};

struct threshold_parse {
    std::optional<threshold> value;
    std::string error;
};

threshold_parse parse_threshold(const std::string& text);

}  // namespace fg::loadtest
