#pragma once

// The files of --out DIR: summary.json, per_second.csv, latency.hgrm and report.html.

#include <filesystem>
#include <string>

#include "loadtest/run_summary.hpp"

namespace fg::loadtest {

// Empty on success, else which file could not be written.
std::string write_report_files(const std::filesystem::path& dir, const run_summary& s);

// HdrHistogram's percentile-distribution text (values in milliseconds).
std::string hgrm_text(const histogram& h);

}  // namespace fg::loadtest
