#include "loadtest/run_summary.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace fg::loadtest {

namespace {

std::string format_us(double us) {
    char buf[32];
    if (us < 1000)
        std::snprintf(buf, sizeof buf, "%.0fus", us);
    else if (us < 1e6)
        std::snprintf(buf, sizeof buf, "%.2fms", us / 1e3);
    else
        std::snprintf(buf, sizeof buf, "%.2fs", us / 1e6);
    return buf;
}

void print_latency(std::ostream& out, const histogram& h) {
    out << "  Latency (from intended send time)  mean " << format_us(h.mean()) << "  stdev "
        << format_us(h.stddev()) << "\n";
    for (const double p : {50.0, 90.0, 99.0, 99.9}) {
        char label[16];
        std::snprintf(label, sizeof label, "%8.1f%%", p);
        out << "    " << label << "  " << format_us(static_cast<double>(h.value_at_percentile(p)))
            << "\n";
    }
    out << "        max  " << format_us(static_cast<double>(h.max())) << "\n";
}

void print_counts(std::ostream& out, const run_metrics& m) {
    out << "  Outcomes  acknowledged " << m.acknowledged << "  refused " << m.refused
        << "  unknown " << m.unknown << "  (retries " << m.retries << ")\n  Status   ";
    for (const auto& [status, n] : m.by_status) {
        out << "  " << (status == 0 ? std::string("none") : std::to_string(status)) << ": " << n;
    }
    out << "\n";
    if (!m.by_code.empty()) {
        out << "  Refusals ";
        for (const auto& [code, n] : m.by_code)
            out << "  " << (code.empty() ? "(no code)" : code) << ": " << n;
        out << "\n";
    }
}

void print_audit(std::ostream& out, const run_summary& s) {
    if (!s.audit) {
        out << "Audit: skipped (--no-audit)\n";
        return;
    }
    const audit_report& a = *s.audit;
    if (a.passed()) {
        out << "Audit: PASSED (" << a.skus_checked << " SKUs, " << a.keys_checked
            << " idempotency keys: no oversell, nothing lost, no undersell, one order per key)\n";
        return;
    }
    out << "Audit: FAILED (" << a.failure_count << " problems)\n";
    for (const std::string& f : a.failures) out << "  " << f << "\n";
}

}  // namespace

void print_summary(std::ostream& out, const run_summary& s) {
    const run_metrics& m = s.metrics;
    char line[256];
    out << "Running " << s.workload << " against " << s.url << " (" << s.mode << " loop";
    if (s.mode == "open") out << ", " << s.rate_per_s << " req/s";
    out << ", " << s.connections << " connections, " << s.threads << " threads";
    if (s.pipeline > 1) out << ", pipeline " << s.pipeline;
    out << ", seed " << s.seed << ", SKU prefix " << s.sku_prefix << ")\n";
    print_latency(out, m.latency);
    std::snprintf(line, sizeof line, "  %llu requests in %.2fs (%llu answered), %.1f req/s\n",
                  static_cast<unsigned long long>(m.sent), m.duration_s,
                  static_cast<unsigned long long>(m.answered), m.throughput_rps());
    out << line;
    print_counts(out, m);
    if (s.mode == "open") out << "  Late sends " << m.late_sends << " (" << m.late_pct() << "%)\n";
    std::snprintf(line, sizeof line, "  Client CPU %.3fs, %.0f requests per client CPU-second\n",
                  m.cpu_s, m.requests_per_cpu_s());
    out << line;
    print_audit(out, s);
    for (const threshold_result& t : s.thresholds) {
        out << "Threshold " << t.text << ": " << (t.passed ? "pass" : "FAIL") << " (measured "
            << t.measured << t.unit << ")\n";
    }
}

std::string summary_json(const run_summary& s) {
    const run_metrics& m = s.metrics;
    nlohmann::json j = {{"url", s.url},
                        {"workload", s.workload},
                        {"mode", s.mode},
                        {"rate_per_s", s.rate_per_s},
                        {"connections", s.connections},
                        {"threads", s.threads},
                        {"pipeline", s.pipeline},
                        {"seed", s.seed},
                        {"sku_prefix", s.sku_prefix},
                        {"stock_total", s.stock_total},
                        {"duration_s", m.duration_s},
                        {"requests", m.sent},
                        {"issued", m.issued},
                        {"answered", m.answered},
                        {"acknowledged", m.acknowledged},
                        {"refused", m.refused},
                        {"unknown", m.unknown},
                        {"retries", m.retries},
                        {"late_sends", m.late_sends},
                        {"throughput_rps", m.throughput_rps()},
                        {"client_cpu_s", m.cpu_s},
                        {"requests_per_client_cpu_s", m.requests_per_cpu_s()},
                        {"error_pct", m.error_pct()}};
    const histogram& h = m.latency;
    j["latency_us"] = {{"p50", h.value_at_percentile(50)},
                       {"p90", h.value_at_percentile(90)},
                       {"p99", h.value_at_percentile(99)},
                       {"p99_9", h.value_at_percentile(99.9)},
                       {"max", h.max()},
                       {"min", h.min()},
                       {"mean", h.mean()},
                       {"stddev", h.stddev()}};
    for (const auto& [status, n] : m.by_status)
        j["status"][status == 0 ? "none" : std::to_string(status)] = n;
    j["refusal_codes"] = nlohmann::json::object();
    for (const auto& [code, n] : m.by_code) j["refusal_codes"][code.empty() ? "(none)" : code] = n;
    if (s.audit) {
        j["audit"] = {{"passed", s.audit->passed()},
                      {"failure_count", s.audit->failure_count},
                      {"failures", s.audit->failures},
                      {"skus_checked", s.audit->skus_checked},
                      {"keys_checked", s.audit->keys_checked}};
    } else {
        j["audit"] = nullptr;
    }
    j["thresholds"] = nlohmann::json::array();
    for (const threshold_result& t : s.thresholds) {
        j["thresholds"].push_back({{"threshold", t.text},
                                   {"measured", t.measured},
                                   {"unit", t.unit},
                                   {"passed", t.passed}});
    }
    return j.dump(2);
}

}  // namespace fg::loadtest
