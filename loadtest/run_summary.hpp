#pragma once

// The whole result of a run (settings, metrics, audit, thresholds) and its two renderings that
// every run produces or can produce: the wrk-style text on stdout and summary.json.

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "loadtest/audit.hpp"
#include "loadtest/run_metrics.hpp"

namespace fg::loadtest {

struct threshold_result {
    std::string text;
    double measured = 0;
    std::string unit;  // "us", "%", "req/s"
    bool passed = false;
};

// Immutable once the run is over.
struct run_summary {
    std::string url;
    std::string workload;
    std::string mode;  // "closed" or "open"
    double rate_per_s = 0;
    unsigned connections = 0;
    unsigned threads = 0;
    unsigned pipeline = 0;
    std::uint64_t seed = 0;
    std::string sku_prefix;
    std::uint64_t stock_total = 0;  // units the run's SKUs started with
    run_metrics metrics;
    std::optional<audit_report> audit;  // absent with --no-audit
    std::vector<threshold_result> thresholds;
};

void print_summary(std::ostream& out, const run_summary& s);
std::string summary_json(const run_summary& s);

}  // namespace fg::loadtest
