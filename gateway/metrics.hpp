#pragma once

// Request counters and latency histograms per route. Each worker keeps its own (no atomics on
// the request path); /metrics gathers them by running a task on every worker's thread.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "matching/shard.hpp"
#include "storage/commit_log.hpp"

namespace fg::gateway {

enum class route : std::uint8_t {
    livez,
    readyz,
    metrics,
    sku_put,
    sku_get,
    sku_batch,
    sku_stock,
    order_create,
    order_get,
    order_move,
    payment_callback,
    blocklist_get,
    blocklist_post,
    events,
    not_found,
    count_,
};

std::string_view route_name(route r);

inline constexpr std::size_t route_count = static_cast<std::size_t>(route::count_);
// Upper bounds in microseconds; the last bucket is +Inf.
inline constexpr std::array<std::uint64_t, 14> latency_bounds_us = {
    50,     100,    250,    500,     1'000,   2'500,   5'000,
    10'000, 25'000, 50'000, 100'000, 250'000, 500'000, 1'000'000};

// Shard-local: written only by its worker's thread; copied by value to be merged.
struct route_metrics {
    static constexpr unsigned status_min = 100;
    static constexpr unsigned status_slots = 500;  // 100..599

    void record(route r, unsigned status, std::uint64_t latency_us);
    void merge(const route_metrics& other);

    std::array<std::array<std::uint64_t, status_slots>, route_count> requests{};
    std::array<std::array<std::uint64_t, latency_bounds_us.size() + 1>, route_count> latency{};
    std::array<std::uint64_t, route_count> latency_sum_us{};
};

// What one shard reports for /metrics, gathered on its own thread.
struct shard_report {
    route_metrics http;
    std::array<std::uint64_t, matching::outcome_count> orders_by_outcome{};
    std::vector<matching::sku_state> skus;  // only when the shard owns few enough to list
    std::uint64_t sku_count = 0;
    std::uint64_t live_orders = 0;
    std::uint64_t pending = 0;
    std::uint64_t inbox_depth = 0;
    std::uint64_t connections = 0;
    std::uint64_t orders_expired = 0;    // holds that lapsed (counted since start)
    std::uint64_t idempotency_keys = 0;  // keys remembered, with their answers
    std::uint64_t holds_scheduled =
        0;  // timers on the wheel + replayed orders not yet walked (some moot)
};

inline constexpr std::size_t metrics_skus_listed_max = 1'000;  // per shard

// Immutable after set_ready(): what start-up recovery did, for the flashgate_log_recovery_*
// gauges (ops read them after a crash to see how much was replayed and cut, and how long it took).
struct recovery_report {
    std::uint64_t records = 0;          // log records replayed
    std::uint64_t truncated_bytes = 0;  // torn tail cut from the last segment
    double seconds = 0;                 // opening the log, replaying it, checking the result
    // Snapshot and log files recovery read and keeps mapped (storage/kept_mappings.hpp).
    std::uint64_t mapped_bytes = 0;
};

std::string render_metrics(const std::vector<shard_report>& shards,
                           const storage::commit_log::counters& log, bool ready,
                           const recovery_report& recovery = {});

}  // namespace fg::gateway
