#pragma once

// flashgate-load's command line: every flag, its default, and the usage text.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loadtest/client_thread.hpp"

namespace fg::loadtest {

struct options {
    std::string url = "http://127.0.0.1:8080";
    std::string target_path = "/v1/orders";
    loop_mode mode = loop_mode::closed;
    double rate_per_s = 0;
    unsigned connections = 64;
    unsigned threads = 1;
    unsigned pipeline = 1;
    std::optional<std::int64_t> duration_ns;
    std::optional<std::uint64_t> requests;
    std::int64_t timeout_ns = 5'000'000'000;
    std::string workload = "flash_sale";
    std::optional<std::uint64_t> skus;
    std::optional<std::int64_t> stock;
    std::optional<std::string> sku_prefix;
    std::string admin_token;       // --admin-token or FLASHGATE_ADMIN_TOKEN
    std::string storefront_token;  // FLASHGATE_STOREFRONT_TOKEN or --storefront-token
    bool setup = true;
    bool audit = true;
    bool exclusive = true;
    std::string ledger_path;
    std::string out_dir;
    std::vector<std::string> thresholds;
    std::uint64_t seed = 0;  // 0: from the clock, printed so a run can be repeated
    bool quiet = false;
};

struct parse_result {
    options value;
    std::string error;  // non-empty: a usage error (exit 64)
    bool help = false;
};

// argv without the program name; `env` supplies the token variables (getenv in main).
parse_result parse_options(const std::vector<std::string>& args, const char* admin_env,
                           const char* storefront_env);
std::string usage_text();

// "10s", "250ms", "100us", "2m", or a bare number of seconds.
std::optional<std::int64_t> parse_duration_ns(const std::string& text);

}  // namespace fg::loadtest
