#include "gateway/config.hpp"

#include <charconv>
#include <thread>

#include "gateway/risk_config.hpp"

namespace fg::gateway {
namespace {

template <class T>
bool parse_number(std::string_view text, T min, T max, T& out) {
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
        return false;
    }
    out = value;
    return true;
}

// Applies one setting by name; used for both flags and environment variables.
bool apply(config& c, std::string_view name, std::string_view value, std::string& message) {
    if (name.starts_with("rate-") || name.starts_with("velocity-") ||
        name.starts_with("new-location") || name.starts_with("ip-prefix-")) {
        return apply_risk_option(c.risk, name, value, message);
    }
    bool ok = true;
    if (name == "host") {
        c.host = std::string(value);
    } else if (name == "port") {
        ok = parse_number<std::uint16_t>(value, 0, 65535, c.port);
    } else if (name == "data-dir") {
        ok = !value.empty();
        c.data_dir = std::string(value);
    } else if (name == "threads") {
        ok = parse_number<std::size_t>(value, 1, 256, c.threads);
    } else if (name == "log-segment-bytes") {
        ok = parse_number<std::uint64_t>(value, 64u << 10, 1ull << 32, c.log_segment_bytes);
    } else if (name == "log-ring-bytes") {
        ok = parse_number<std::size_t>(value, 64u << 10, 1u << 30, c.log_ring_bytes) &&
             (c.log_ring_bytes & (c.log_ring_bytes - 1)) == 0;
    } else if (name == "connections-max") {
        ok = parse_number<std::size_t>(value, 1, 1'000'000, c.connections_max);
    } else if (name == "hold-seconds") {
        std::int64_t seconds = 0;
        ok = parse_number<std::int64_t>(value, 1, 7 * 24 * 3600, seconds);
        c.hold_ms = seconds * 1000;
    } else if (name == "idempotency-ttl-seconds") {
        std::int64_t seconds = 0;
        ok = parse_number<std::int64_t>(value, 1, 365ll * 24 * 3600, seconds);
        c.key_ttl_ms = seconds * 1000;
    } else if (name == "snapshot-records") {
        ok = parse_number<std::uint64_t>(value, 0, 1ull << 40, c.snapshot_records);
    } else if (name == "snapshots-kept") {
        ok = parse_number<std::size_t>(value, 1, 1000, c.snapshots_kept);
    } else if (name == "fail-stop-grace-ms") {
        ok = parse_number<std::uint32_t>(value, 0, 60'000, c.fail_stop_grace_ms);
    } else {
        message = "unknown option --" + std::string(name) + " (see --help)";
        return false;
    }
    if (!ok) message = "invalid value '" + std::string(value) + "' for --" + std::string(name);
    return ok;
}

}  // namespace

std::string_view usage_text() {
    return R"(flashgate: the flash-sale order gateway

usage: flashgate [options]

  --host ADDR              address to listen on            (FLASHGATE_HOST, default 127.0.0.1)
  --port N                 TCP port, 0 = any free port     (FLASHGATE_PORT, default 8080)
  --data-dir DIR           where the log lives             (FLASHGATE_DATA_DIR, default ./data)
  --threads N              shards = threads = cores        (FLASHGATE_THREADS, default: cores)
  --demo                   seed a demo SKU, print a first order to paste
  --log-segment-bytes N    size of one log segment file    (default 67108864)
  --log-ring-bytes N       bytes appended but not yet durable before 503 (power of two,
                           default 16777216)
  --connections-max N      open connections before new ones are refused (default 20000)
  --hold-seconds N         how long an unpaid order holds its stock (default 900)
  --idempotency-ttl-seconds N  how long an Idempotency-Key and its answer are kept
                           (default 86400)
  --rate-buyer R           per-buyer token bucket: N/s, N/m or N/h, optionally :BURST
                           (e.g. 5/s:10); over it: 429 with Retry-After (default off)
  --rate-ip R              the same per client address (an IPv6 /64 counts as one)
  --velocity-buyer V       more than N orders by one buyer within T: N/T{s,m,h}:ACTION,
                           ACTION = allow|review|reject (e.g. 3/10s:review; default off)
  --velocity-ip V          the same per client address
  --new-location ACTION    a buyer's order from an address prefix never seen for them:
                           allow|review|reject (default allow)
  --ip-prefix-v4 BITS      prefix length that is one "location" for IPv4 (default 24)
  --ip-prefix-v6 BITS      the same for IPv6 (default 48)
  --snapshot-records N     snapshot the state once N more records are in sealed log segments;
                           0 = never (default 1000000)
  --snapshots-kept N       snapshots to keep; log segments older than the oldest kept one are
                           deleted (default 2)
  --fail-stop-grace-ms N   after the log fails, answer 503 this long, then exit 3
                           (0..60000, default 1000)
  --help, --version

environment:
  FLASHGATE_ADMIN_TOKEN       bearer token for merchant routes (random and printed when unset)
  FLASHGATE_STOREFRONT_TOKEN  bearer token for storefront routes (open when unset)
  FLASHGATE_STOREFRONT_TOKENS more storefronts as name=token,name=token; each is its own
                              client, and Idempotency-Keys are scoped per client
  FLASHGATE_PAYMENT_SECRET    HMAC-SHA256 key of POST /v1/payments/callback (refused unset)
)";
}

config_action parse_config(int argc, const char* const* argv, const env_lookup& env, config& out,
                           std::string& message) {
    static constexpr std::pair<const char*, const char*> env_names[] = {
        {"FLASHGATE_HOST", "host"},
        {"FLASHGATE_PORT", "port"},
        {"FLASHGATE_DATA_DIR", "data-dir"},
        {"FLASHGATE_THREADS", "threads"},
    };
    for (auto [var, name] : env_names) {
        if (const char* v = env(var); v != nullptr && *v != '\0') {
            if (!apply(out, name, v, message)) {
                message += std::string(" (from ") + var + ")";
                return config_action::error;
            }
        }
    }
    if (const char* v = env("FLASHGATE_ADMIN_TOKEN")) out.admin_token = v;
    if (const char* v = env("FLASHGATE_STOREFRONT_TOKEN")) out.storefront_token = v;
    if (const char* v = env("FLASHGATE_PAYMENT_SECRET")) out.payment_secret = v;
    if (const char* v = env("FLASHGATE_STOREFRONT_TOKENS"); v != nullptr && *v != '\0') {
        std::string_view list = v;
        while (!list.empty()) {
            const std::string_view item = list.substr(0, list.find(','));
            list.remove_prefix(std::min(list.size(), item.size() + 1));
            const auto eq = item.find('=');
            const std::string_view name = item.substr(0, eq);
            if (eq == std::string_view::npos || name.empty() || name.size() > 64 ||
                eq + 1 == item.size()) {
                message = "FLASHGATE_STOREFRONT_TOKENS: expected name=token,name=token";
                return config_action::error;
            }
            out.storefront_clients.emplace_back(std::string(name),
                                                std::string(item.substr(eq + 1)));
        }
    }

    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") return config_action::help;
        if (arg == "--version") return config_action::version;
        if (arg == "--demo") {
            out.demo = true;
            continue;
        }
        if (!arg.starts_with("--")) {
            message = "unexpected argument '" + std::string(arg) + "' (see --help)";
            return config_action::error;
        }
        std::string_view name = arg.substr(2);
        std::string_view value;
        if (auto eq = name.find('='); eq != std::string_view::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            message = "option --" + std::string(name) + " needs a value";
            return config_action::error;
        }
        if (!apply(out, name, value, message)) return config_action::error;
    }
    if (out.threads == 0) out.threads = std::max(1u, std::thread::hardware_concurrency());
    return config_action::run;
}

}  // namespace fg::gateway
