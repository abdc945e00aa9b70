#include "loadtest/threshold.hpp"

#include <cctype>
#include <charconv>

#include "loadtest/options.hpp"
#include "loadtest/run_metrics.hpp"

namespace fg::loadtest {

namespace {

struct split {
    std::string lhs, op, rhs;
};

std::optional<split> split_at_operator(const std::string& t) {
    const std::size_t at = t.find_first_of("<>");
    if (at == std::string::npos || at == 0) return std::nullopt;
    const std::size_t op_len = (at + 1 < t.size() && t[at + 1] == '=') ? 2 : 1;
    return split{t.substr(0, at), t.substr(at, op_len), t.substr(at + op_len)};
}

bool parse_metric(const std::string& lhs, threshold& t) {
    if (lhs == "max")
        t.what = threshold::metric::max;
    else if (lhs == "mean")
        t.what = threshold::metric::mean;
    else if (lhs == "errors")
        t.what = threshold::metric::errors_pct;
    else if (lhs == "late")
        t.what = threshold::metric::late_pct;
    else if (lhs == "rps")
        t.what = threshold::metric::rps;
    else if (lhs.size() > 1 && lhs[0] == 'p') {
        const auto r = std::from_chars(lhs.data() + 1, lhs.data() + lhs.size(), t.percentile);
        if (r.ec != std::errc{} || r.ptr != lhs.data() + lhs.size() || t.percentile < 0 ||
            t.percentile > 100) {
            return false;
        }
        t.what = threshold::metric::percentile;
    } else {
        return false;
    }
    return true;
}

bool parse_limit(const std::string& rhs, threshold& t) {
    switch (t.what) {
        case threshold::metric::errors_pct:
        case threshold::metric::late_pct: {
            if (rhs.empty() || rhs.back() != '%') return false;
            const auto r = std::from_chars(rhs.data(), rhs.data() + rhs.size() - 1, t.limit);
            return r.ec == std::errc{} && r.ptr == rhs.data() + rhs.size() - 1;
        }
        case threshold::metric::rps: {
            const auto r = std::from_chars(rhs.data(), rhs.data() + rhs.size(), t.limit);
            return r.ec == std::errc{} && r.ptr == rhs.data() + rhs.size();
        }
        default: {
            // Latencies need a unit: a bare number is too easy to misread.
            if (rhs.empty() || !std::isalpha(static_cast<unsigned char>(rhs.back()))) return false;
            const auto ns = parse_duration_ns(rhs);
            if (!ns) return false;
            t.limit = static_cast<double>(*ns) / 1000.0;
            return true;
        }
    }
}

}  // namespace

threshold_parse parse_threshold(const std::string& text) {
    threshold t;
    t.text = text;
    const auto s = split_at_operator(text);
    if (!s) return {std::nullopt, "threshold '" + text + "' needs < or > (e.g. p99<2ms)"};
    if (!parse_metric(s->lhs, t)) {
        return {std::nullopt, "threshold '" + text + "': unknown metric '" + s->lhs +
                                  "' (pNN, max, mean, errors, late, rps)"};
    }
    t.op = s->op == "<"    ? threshold::comparison::less
           : s->op == "<=" ? threshold::comparison::less_equal
           : s->op == ">"  ? threshold::comparison::greater
                           : threshold::comparison::greater_equal;
    if (!parse_limit(s->rhs, t)) {
        return {std::nullopt,
                "threshold '" + text + "': bad limit '" + s->rhs +
                    "' (latency with a unit like 2ms, errors/late in %, rps a number)"};
    }
    return {t, {}};
}

double threshold::measure(const run_metrics& m) const {
    switch (what) {
        case metric::percentile:
            return static_cast<double>(m.latency.value_at_percentile(percentile));
        case metric::max:
            return static_cast<double>(m.latency.max());
        case metric::mean:
            return m.latency.mean();
        case metric::errors_pct:
            return m.error_pct();
        case metric::late_pct:
            return m.late_pct();
        case metric::rps:
            return m.throughput_rps();
    }
    return 0;
}

bool threshold::passes(double measured) const {
    switch (op) {
        case comparison::less:
            return measured < limit;
        case comparison::less_equal:
            return measured <= limit;
        case comparison::greater:
            return measured > limit;
        case comparison::greater_equal:
            return measured >= limit;
    }
    return false;
}

}  // namespace fg::loadtest
