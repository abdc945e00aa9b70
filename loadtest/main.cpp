// flashgate-load: drives the gateway's POST /v1/orders as a black-box HTTP client, keeps a ledger
// of every request, audits the SKUs at the end, and reports like wrk (see README.md).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>

#include "loadtest/catalog_admin.hpp"
#include "loadtest/http_target.hpp"
#include "loadtest/load_runner.hpp"
#include "loadtest/options.hpp"
#include "loadtest/report_files.hpp"
#include "loadtest/run_summary.hpp"
#include "loadtest/threshold.hpp"

namespace fg::loadtest {
namespace {

constexpr int exit_ok = 0;
constexpr int exit_run_failed = 1;
constexpr int exit_audit_failed = 2;
constexpr int exit_threshold_failed = 3;
constexpr int exit_usage = 64;

int usage_error(const std::string& message) {
    std::cerr << "flashgate-load: " << message << "\n";
    return exit_usage;
}

int run_failed(const std::string& message) {
    std::cerr << "flashgate-load: " << message << "\n";
    return exit_run_failed;
}

// Everything decided before the load starts.
struct plan {
    options opts;
    workload work;
    http_target target;
    std::vector<threshold> thresholds;
    std::string sku_prefix;
    std::string key_prefix;
};

std::string make_plan(const options& o, plan& p) {
    p.opts = o;
    workload_result w = find_workload(o.workload, FG_LOADTEST_WORKLOAD_DIR);
    if (!w.error.empty()) return w.error;
    p.work = w.value;
    if (o.skus) p.work.sku_count = *o.skus;
    if (o.stock) p.work.stock = *o.stock;
    if (p.work.items_max > p.work.sku_count)
        return "--skus is smaller than the workload's items per order";
    const auto t = parse_url(o.url);
    if (!t) return "--url must look like http://HOST:PORT (paths go in --target-path)";
    p.target = *t;
    for (const std::string& text : o.thresholds) {
        threshold_parse r = parse_threshold(text);
        if (!r.value) return r.error;
        p.thresholds.push_back(*r.value);
    }
    if (p.opts.seed == 0) {
        p.opts.seed = static_cast<std::uint64_t>(
                          std::chrono::system_clock::now().time_since_epoch().count()) |
                      1;
    }
    // A run id from the seed: SKUs and keys of different runs never collide in one gateway.
    char run_id[16];
    std::snprintf(run_id, sizeof run_id, "lt%06llx",
                  static_cast<unsigned long long>(std::mt19937_64(p.opts.seed)() & 0xffffff));
    p.sku_prefix = o.sku_prefix ? *o.sku_prefix : std::string(run_id) + "-" + p.work.sku_id_prefix;
    p.key_prefix = std::string(run_id) + "-k";
    return {};
}

client_config make_client_config(const plan& p, const boost::asio::ip::tcp::endpoint& ep,
                                 const zipf_sampler* zipf) {
    client_config c;
    c.endpoint = ep;
    c.mode = p.opts.mode;
    c.connections = p.opts.connections;
    c.pipeline = p.opts.mode == loop_mode::closed ? p.opts.pipeline : 1;
    c.rate_per_s = p.opts.rate_per_s;
    if (p.opts.requests) c.requests_max = *p.opts.requests;
    if (p.opts.duration_ns) c.duration_ns = *p.opts.duration_ns;
    c.timeout_ns = p.opts.timeout_ns;
    c.seed = p.opts.seed;
    c.work = &p.work;
    c.zipf = zipf;
    c.format.target = p.opts.target_path;
    c.format.host = p.target.host_header();
    c.format.bearer_token = p.opts.storefront_token;
    c.format.key_prefix = p.key_prefix;
    c.format.sku_prefix = p.sku_prefix;
    c.format.payment_method = p.work.payment_method;
    return c;
}

std::optional<boost::asio::ip::tcp::endpoint> resolve(const http_target& t, std::string& error) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::resolver resolver(io);
    boost::system::error_code ec;
    const auto results = resolver.resolve(t.host, t.port, ec);
    if (ec || results.empty()) {
        error = "cannot resolve " + t.host_header() + ": " + ec.message();
        return std::nullopt;
    }
    return results.begin()->endpoint();
}

std::vector<threshold_result> evaluate(const std::vector<threshold>& ts, const run_metrics& m) {
    std::vector<threshold_result> out;
    for (const threshold& t : ts) {
        const double v = t.measure(m);
        const char* unit =
            t.what == threshold::metric::rps ? "req/s"
            : (t.what == threshold::metric::errors_pct || t.what == threshold::metric::late_pct)
                ? "%"
                : "us";
        out.push_back({t.text, v, unit, t.passes(v)});
    }
    return out;
}

int finish(const plan& p, run_summary& s, const ledger& book) {
    s.thresholds = evaluate(p.thresholds, s.metrics);
    print_summary(std::cout, s);
    if (!p.opts.out_dir.empty()) {
        if (auto e = write_report_files(p.opts.out_dir, s); !e.empty()) return run_failed(e);
    }
    if (!p.opts.ledger_path.empty()) {
        const std::filesystem::path path(p.opts.ledger_path);
        std::error_code ignored;  // a missing parent shows up as the write failing below
        if (path.has_parent_path())
            std::filesystem::create_directories(path.parent_path(), ignored);
        if (!write_ledger_csv(book, path, p.key_prefix, p.sku_prefix)) {
            return run_failed("cannot write the ledger to " + p.opts.ledger_path);
        }
    }
    if (s.audit && !s.audit->passed()) return exit_audit_failed;
    for (const threshold_result& t : s.thresholds) {
        if (!t.passed) return exit_threshold_failed;
    }
    return exit_ok;
}

int run(const plan& p) {
    std::string error;
    const auto endpoint = resolve(p.target, error);
    if (!endpoint) return run_failed(error);
    admin_client admin(p.target, p.opts.admin_token);
    if (p.opts.setup) {
        if (!p.opts.quiet)
            std::cerr << "setting up " << p.work.sku_count << " SKUs (" << p.sku_prefix << "*)\n";
        if (auto e = create_skus(admin, p.work, p.sku_prefix); !e.empty())
            return run_failed("setup: " + e);
    }
    std::unique_ptr<zipf_sampler> zipf;
    if (p.work.choice == sku_choice::zipf)
        zipf = std::make_unique<zipf_sampler>(p.work.sku_count, p.work.zipf_s);
    load_output out = run_load(make_client_config(p, *endpoint, zipf.get()), p.opts.threads);
    if (!out.error.empty()) return run_failed(out.error);

    run_summary s;
    s.url = p.opts.url;
    s.workload = p.work.name;
    s.mode = p.opts.mode == loop_mode::open ? "open" : "closed";
    s.rate_per_s = p.opts.rate_per_s;
    s.connections = p.opts.connections;
    s.threads = p.opts.threads;
    s.pipeline = p.opts.pipeline;
    s.seed = p.opts.seed;
    s.sku_prefix = p.sku_prefix;
    s.stock_total = p.work.sku_count * static_cast<std::uint64_t>(p.work.stock);
    s.metrics = compute_metrics(out.book, out.duration_s, out.cpu_s);
    if (p.opts.audit) {
        const auto states = fetch_skus(admin, touched_skus(out.book), p.sku_prefix, error);
        if (!error.empty()) return run_failed("audit: " + error);
        s.audit =
            run_audit(out.book, states, p.opts.exclusive ? sku_usage::exclusive : sku_usage::shared,
                      p.sku_prefix, p.key_prefix);
    }
    return finish(p, s, out.book);
}

}  // namespace
}  // namespace fg::loadtest

int main(int argc, char** argv) {
    using namespace fg::loadtest;
    const parse_result parsed = parse_options(std::vector<std::string>(argv + 1, argv + argc),
                                              std::getenv("FLASHGATE_ADMIN_TOKEN"),
                                              std::getenv("FLASHGATE_STOREFRONT_TOKEN"));
    if (parsed.help) {
        std::cout << usage_text();
        return exit_ok;
    }
    if (!parsed.error.empty()) return usage_error(parsed.error);
    plan p;
    if (auto e = make_plan(parsed.value, p); !e.empty()) return usage_error(e);
    try {
        return run(p);
    } catch (const std::exception& e) {
        return run_failed(e.what());
    }
}
