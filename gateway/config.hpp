#pragma once

// Start-up configuration: flags, then FLASHGATE_* environment variables, then defaults.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "matching/risk.hpp"

namespace fg::gateway {

// Immutable after start-up.
struct config {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;  // 0 = any free port (printed at start-up)
    std::filesystem::path data_dir = "data";
    std::size_t threads = 0;       // 0 = one per core
    std::string admin_token;       // generated and printed when empty
    std::string storefront_token;  // storefront routes are open when empty (client "storefront")
    // More storefronts, each its own client: an Idempotency-Key is scoped per client.
    std::vector<std::pair<std::string, std::string>> storefront_clients;  // name, token
    std::string payment_secret;  // HMAC key of payment callbacks; callbacks are refused unset
    bool demo = false;           // seed a demo SKU and print a first order to paste
    std::uint64_t log_segment_bytes = 64ull << 20;
    std::size_t log_ring_bytes = 16u << 20;
    std::size_t connections_max = 20'000;  // per process, split across threads
    std::int64_t hold_ms = 15 * 60 * 1000;
    std::int64_t key_ttl_ms = 24ll * 3600 * 1000;  // how long an Idempotency-Key is remembered
    // A snapshot after this many new records have been sealed into log segments; 0 = never.
    std::uint64_t snapshot_records = 1'000'000;
    // Snapshots kept; log segments are deleted once the oldest kept snapshot covers them.
    std::size_t snapshots_kept = 2;
    // After the log fails, keep answering (503) this long before exiting 3, so that clients and
    // probes see 503 log_failed rather than a refused connection.
    std::uint32_t fail_stop_grace_ms = 1000;
    // Risk rules (rate limits, velocity, new location); all off by default.
    matching::risk_options risk;
};

enum class config_action : std::uint8_t { run, help, version, error };

using env_lookup = std::function<const char*(const char*)>;

// Fills `out`; on config_action::error, `message` says what is wrong.
config_action parse_config(int argc, const char* const* argv, const env_lookup& env, config& out,
                           std::string& message);

std::string_view usage_text();

}  // namespace fg::gateway
