#include "loadtest/run_metrics.hpp"

namespace fg::loadtest {

double run_metrics::error_pct() const {
    return issued == 0 ? 0.0 : 100.0 * static_cast<double>(unknown) / static_cast<double>(issued);
}

double run_metrics::late_pct() const {
    return issued == 0 ? 0.0
                       : 100.0 * static_cast<double>(late_sends) / static_cast<double>(issued);
}

namespace {

void add_to_second(std::vector<per_second_row>& rows, std::vector<histogram>& hists,
                   const attempt& a) {
    auto row_at = [&](std::int64_t ns) -> per_second_row& {
        const auto s = static_cast<std::size_t>(ns / 1'000'000'000);
        while (rows.size() <= s) {
            rows.push_back({.second = rows.size()});
            hists.emplace_back();
        }
        return rows[s];
    };
    if (a.sent_ns >= 0) ++row_at(a.sent_ns).sent;
    if (a.done_ns < 0) {
        if (a.sent_ns >= 0) ++row_at(a.sent_ns).errors;
        return;
    }
    per_second_row& r = row_at(a.done_ns);
    ++r.completed;
    if (a.status >= 200 && a.status < 300)
        ++r.status_2xx;
    else if (a.status >= 400 && a.status < 500)
        ++r.status_4xx;
    else if (a.status >= 500)
        ++r.status_5xx;
    hists[r.second].record(static_cast<std::uint64_t>(a.done_ns - a.intended_ns) / 1000);
}

}  // namespace

run_metrics compute_metrics(const ledger& l, double duration_s, double cpu_s) {
    run_metrics m;
    m.duration_s = duration_s;
    m.cpu_s = cpu_s;
    std::vector<histogram> per_second_hist;
    std::vector<std::uint8_t> key_seen(l.orders.size(), 0);
    for (const attempt& a : l.attempts) {
        ++m.issued;
        if (key_seen[a.order]) ++m.retries;
        key_seen[a.order] = 1;
        if (a.sent_ns >= 0) ++m.sent;
        if (a.late) ++m.late_sends;
        ++m.by_status[a.done_ns >= 0 ? a.status : 0];
        switch (a.result) {
            case outcome::acknowledged:
                ++m.acknowledged;
                break;
            case outcome::refused:
                ++m.refused;
                ++m.by_code[l.codes[a.code]];
                break;
            case outcome::unknown:
                ++m.unknown;
                break;
        }
        if (a.done_ns >= 0) {
            ++m.answered;
            m.latency.record(static_cast<std::uint64_t>(a.done_ns - a.intended_ns) / 1000);
        }
        add_to_second(m.per_second, per_second_hist, a);
    }
    for (per_second_row& r : m.per_second) {
        r.p50_us = per_second_hist[r.second].value_at_percentile(50);
        r.p99_us = per_second_hist[r.second].value_at_percentile(99);
    }
    return m;
}

}  // namespace fg::loadtest
