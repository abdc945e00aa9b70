#pragma once

// report.html: one self-contained page (inline SVG, no external JS, CSS or fonts) with the run's
// settings, headline numbers, audit, and four charts: throughput over time, p50/p99 over time,
// the percentile distribution, and the status mix.

#include <string>

#include "loadtest/run_summary.hpp"

namespace fg::loadtest {

std::string html_report(const run_summary& s);

}  // namespace fg::loadtest
