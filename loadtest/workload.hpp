#pragma once

// A workload is data (a JSON file in loadtest/workloads/): which SKUs exist, how orders pick
// them, how many items and units each order has, how often a request is a retry.

#include <cstdint>
#include <filesystem>
#include <string>

namespace fg::loadtest {

enum class sku_choice { hot, uniform, zipf };

struct workload {
    std::string name;
    std::string description;
    // The catalogue the run creates (or expects, with --no-setup).
    std::uint64_t sku_count = 1;
    std::string sku_id_prefix = "sku-";
    std::int64_t stock = 1000;
    std::int64_t price_minor = 1999;
    std::string currency = "CNY";
    std::string sku_name = "Load test item";
    // Per order: the number of distinct SKUs and the units of each, uniform in [min, max].
    unsigned items_min = 1;
    unsigned items_max = 1;
    unsigned qty_min = 1;
    unsigned qty_max = 1;
    sku_choice choice = sku_choice::hot;
    double zipf_s = 1.0;
    // Share of requests that resend an earlier Idempotency-Key with the same body.
    double retry_fraction = 0.0;
    std::uint64_t buyers = 100000;
    std::string payment_method = "alipay";
};

// Most distinct SKUs one order may carry (the API allows 32; a ledger entry stores this many).
inline constexpr unsigned items_per_order_max = 8;

struct workload_result {
    workload value;
    std::string error;  // empty on success
};

workload_result parse_workload(const std::string& json_text);
workload_result load_workload(const std::filesystem::path& path);
// NAME (looked up as <dir>/NAME.json) or a PATH to a file.
workload_result find_workload(const std::string& name_or_path, const std::filesystem::path& dir);

}  // namespace fg::loadtest
