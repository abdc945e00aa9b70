#include "loadtest/options.hpp"

#include <charconv>
#include <functional>
#include <map>

namespace fg::loadtest {

std::optional<std::int64_t> parse_duration_ns(const std::string& text) {
    double value = 0;
    const char* end = text.data() + text.size();
    const auto r = std::from_chars(text.data(), end, value);
    if (r.ec != std::errc{} || value < 0) return std::nullopt;
    const std::string unit(r.ptr, end);
    double scale = 0;
    if (unit.empty() || unit == "s")
        scale = 1e9;
    else if (unit == "ms")
        scale = 1e6;
    else if (unit == "us")
        scale = 1e3;
    else if (unit == "ns")
        scale = 1;
    else if (unit == "m")
        scale = 60e9;
    else
        return std::nullopt;
    return static_cast<std::int64_t>(value * scale);
}

namespace {

template <typename T>
bool parse_number(const std::string& s, T& out) {
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

using setter = std::function<std::string(options&, const std::string&)>;

setter count_flag(unsigned options::*field, unsigned lo, unsigned hi) {
    return [=](options& o, const std::string& v) -> std::string {
        unsigned n = 0;
        if (!parse_number(v, n) || n < lo || n > hi) {
            return "must be a whole number in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                   "]";
        }
        o.*field = n;
        return {};
    };
}

setter duration_flag(std::function<void(options&, std::int64_t)> assign) {
    return [=](options& o, const std::string& v) -> std::string {
        const auto ns = parse_duration_ns(v);
        if (!ns || *ns <= 0) return "must be a positive duration like 10s, 500ms, 2m";
        assign(o, *ns);
        return {};
    };
}

setter text_flag(std::string options::*field) {
    return [=](options& o, const std::string& v) -> std::string {
        o.*field = v;
        return {};
    };
}

std::string set_mode(options& o, const std::string& v) {
    if (v == "closed")
        o.mode = loop_mode::closed;
    else if (v == "open")
        o.mode = loop_mode::open;
    else
        return "must be closed or open";
    return {};
}

std::string set_rate(options& o, const std::string& v) {
    if (!parse_number(v, o.rate_per_s) || o.rate_per_s <= 0)
        return "must be a positive number per second";
    return {};
}

template <typename T>
setter optional_number_flag(std::optional<T> options::*field, T lo) {
    return [=](options& o, const std::string& v) -> std::string {
        T n{};
        if (!parse_number(v, n) || n < lo) return "must be a whole number >= " + std::to_string(lo);
        o.*field = n;
        return {};
    };
}

const std::map<std::string, setter>& valued_flags() {
    static const std::map<std::string, setter> flags = {
        {"--url", text_flag(&options::url)},
        {"--target-path", text_flag(&options::target_path)},
        {"--mode", set_mode},
        {"--rate", set_rate},
        {"--connections", count_flag(&options::connections, 1, 100000)},
        {"--threads", count_flag(&options::threads, 1, 256)},
        {"--pipeline", count_flag(&options::pipeline, 1, 1024)},
        {"--duration", duration_flag([](options& o, std::int64_t ns) { o.duration_ns = ns; })},
        {"--timeout", duration_flag([](options& o, std::int64_t ns) { o.timeout_ns = ns; })},
        {"--requests", optional_number_flag<std::uint64_t>(&options::requests, 1)},
        {"--skus", optional_number_flag<std::uint64_t>(&options::skus, 1)},
        {"--stock", optional_number_flag<std::int64_t>(&options::stock, 0)},
        {"--workload", text_flag(&options::workload)},
        {"--sku-prefix",
         [](options& o, const std::string& v) -> std::string {
             o.sku_prefix = v;
             return {};
         }},
        {"--admin-token", text_flag(&options::admin_token)},
        {"--storefront-token", text_flag(&options::storefront_token)},
        {"--ledger", text_flag(&options::ledger_path)},
        {"--out", text_flag(&options::out_dir)},
        {"--threshold",
         [](options& o, const std::string& v) -> std::string {
             o.thresholds.push_back(v);
             return {};
         }},
        {"--seed",
         [](options& o, const std::string& v) -> std::string {
             return parse_number(v, o.seed) ? "" : "must be a whole number";
         }},
    };
    return flags;
}

const std::map<std::string, std::function<void(options&)>>& switch_flags() {
    static const std::map<std::string, std::function<void(options&)>> flags = {
        {"--no-setup", [](options& o) { o.setup = false; }},
        {"--no-audit", [](options& o) { o.audit = false; }},
        {"--exclusive", [](options& o) { o.exclusive = true; }},
        {"--no-exclusive", [](options& o) { o.exclusive = false; }},
        {"--quiet", [](options& o) { o.quiet = true; }},
    };
    return flags;
}

std::string check(const options& o) {
    if (o.mode == loop_mode::open && o.rate_per_s <= 0) return "--mode open needs --rate R";
    if (o.mode == loop_mode::closed && o.rate_per_s > 0)
        return "--rate applies to --mode open only";
    if (o.threads > o.connections) return "--threads must not exceed --connections";
    if (o.target_path.empty() || o.target_path.front() != '/')
        return "--target-path must start with /";
    return {};
}

}  // namespace

parse_result parse_options(const std::vector<std::string>& args, const char* admin_env,
                           const char* storefront_env) {
    parse_result r;
    if (admin_env != nullptr) r.value.admin_token = admin_env;
    if (storefront_env != nullptr) r.value.storefront_token = storefront_env;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string flag = args[i];
        std::optional<std::string> value;
        if (const auto eq = flag.find('='); flag.starts_with("--") && eq != std::string::npos) {
            value = flag.substr(eq + 1);
            flag.resize(eq);
        }
        if (flag == "--help" || flag == "-h") {
            r.help = true;
            return r;
        }
        if (const auto s = switch_flags().find(flag); s != switch_flags().end() && !value) {
            s->second(r.value);
            continue;
        }
        const auto f = valued_flags().find(flag);
        if (f == valued_flags().end()) {
            r.error = "unknown flag '" + args[i] + "' (see --help)";
            return r;
        }
        if (!value) {
            if (i + 1 >= args.size()) {
                r.error = flag + " needs a value";
                return r;
            }
            value = args[++i];
        }
        if (auto e = f->second(r.value, *value); !e.empty()) {
            r.error = flag + " " + *value + ": " + e;
            return r;
        }
    }
    if (!r.value.duration_ns && !r.value.requests) r.value.duration_ns = 10'000'000'000;
    r.error = check(r.value);
    return r;
}

}  // namespace fg::loadtest

namespace fg::loadtest {

std::string usage_text() {
    return R"(flashgate-load: load generator and end-of-run auditor for the flashgate order gateway.

usage: flashgate-load [flags]       (no flags: flash_sale against 127.0.0.1:8080 for 10s)

target
  --url URL                 gateway base URL, http only (default http://127.0.0.1:8080)
  --target-path PATH        path the orders are POSTed to (default /v1/orders); with
                            --no-setup --no-audit any HTTP server can be driven (peer runs)
  --admin-token T           admin bearer token for setup and audit (env FLASHGATE_ADMIN_TOKEN)
  --storefront-token T      bearer token on orders (env FLASHGATE_STOREFRONT_TOKEN)
load
  --mode closed|open        closed: next request when the answer arrives (default);
                            open: constant arrival rate, latency from the intended send time
  --rate R                  open loop: requests per second over the whole run
  --connections N           keep-alive connections (default 64), split over the threads
  --threads N               client threads, one epoll loop each (default 1)
  --pipeline D              closed loop: requests in flight per connection (default 1)
  --duration D              stop issuing after D (10s, 500ms, 2m); default 10s unless
                            --requests is given
  --requests N              stop after N requests (whichever bound comes first)
  --timeout D               per-request timeout, then the connection is reset (default 5s)
workload
  --workload NAME|PATH      flash_sale (default), mixed_catalog, multi_item, retries, or a file
  --skus N                  override the workload's SKU count
  --stock N                 override the stock per SKU
  --sku-prefix P            SKU id prefix (default: unique per run, so runs never collide)
  --seed N                  random seed (default from the clock; printed)
  --no-setup                do not create the SKUs (they must exist)
audit
  --no-audit                skip the end-of-run SKU audit (peer comparisons)
  --exclusive               no other client touches these SKUs (default): held + sold must
                            match what was acknowledged, up to unknown outcomes
  --no-exclusive            only check no-oversell, undersell and idempotency
output
  --ledger PATH             write every request as CSV
  --out DIR                 write summary.json, per_second.csv, latency.hgrm, report.html
  --threshold EXPR          repeatable: p99<2ms, p99.9<5ms, max<1s, mean<1ms, errors<1%,
                            late<5%, rps>1000 (exit 3 if any fails)
  --quiet                   only the summary
  --help                    this text

exit codes: 0 ok, 1 run could not happen, 2 audit failed, 3 threshold failed, 64 usage error
)";
}

}  // namespace fg::loadtest
