#pragma once

// Everything the reports say about a run, computed from the ledger after the run so that the hot
// path records only raw times and answers.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "loadtest/histogram.hpp"
#include "loadtest/ledger.hpp"

namespace fg::loadtest {

struct per_second_row {
    std::uint64_t second = 0;
    std::uint64_t sent = 0;
    std::uint64_t completed = 0;  // answered
    std::uint64_t status_2xx = 0;
    std::uint64_t status_4xx = 0;
    std::uint64_t status_5xx = 0;
    std::uint64_t errors = 0;  // no answer: timeout, reset, closed
    std::uint64_t p50_us = 0;
    std::uint64_t p99_us = 0;
};

// Immutable once computed.
struct run_metrics {
    double duration_s = 0;
    double cpu_s = 0;  // the client's user + system time during the load
    std::uint64_t issued = 0;
    std::uint64_t sent = 0;
    std::uint64_t answered = 0;
    std::uint64_t acknowledged = 0;
    std::uint64_t refused = 0;
    std::uint64_t unknown = 0;
    std::uint64_t late_sends = 0;
    std::uint64_t retries = 0;  // attempts that reused an earlier attempt's key
    histogram latency;          // answered requests, from the intended send time, microseconds
    std::map<unsigned, std::uint64_t> by_status;  // 0: no answer
    std::map<std::string, std::uint64_t> by_code;
    std::vector<per_second_row> per_second;

    double throughput_rps() const {
        return duration_s > 0 ? static_cast<double>(answered) / duration_s : 0;
    }
    double error_pct() const;
    double late_pct() const;
    double requests_per_cpu_s() const {
        return cpu_s > 0 ? static_cast<double>(answered) / cpu_s : 0;
    }
};

run_metrics compute_metrics(const ledger& l, double duration_s, double cpu_s);

}  // namespace fg::loadtest
