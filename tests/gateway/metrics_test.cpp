#include "gateway/metrics.hpp"

#include <gtest/gtest.h>

namespace fg::gateway {

TEST(Metrics, HistogramBucketsAreCumulativeAndCountsMerge) {
    shard_report a, b;
    a.http.record(route::order_create, 201, 80);     // <= 100 us
    a.http.record(route::order_create, 409, 700);    // <= 1 ms
    b.http.record(route::order_create, 201, 3'000);  // <= 5 ms
    b.orders_by_outcome[0] = 2;
    b.orders_by_outcome[static_cast<std::size_t>(matching::outcome::sold_out)] = 1;
    std::string text = render_metrics({a, b}, storage::commit_log::counters{}, true);
    EXPECT_NE(text.find("flashgate_http_requests_total{route=\"order_create\",code=\"201\"} 2"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("flashgate_http_request_duration_seconds_bucket{route=\"order_create\",le="
                        "\"0.0001\"} 1"),
              std::string::npos);
    EXPECT_NE(text.find("flashgate_http_request_duration_seconds_bucket{route=\"order_create\",le="
                        "\"0.001\"} 2"),
              std::string::npos);
    EXPECT_NE(
        text.find(
            "flashgate_http_request_duration_seconds_bucket{route=\"order_create\",le=\"+Inf\"} 3"),
        std::string::npos);
    EXPECT_NE(text.find("flashgate_orders_accepted_total 2"), std::string::npos);
    EXPECT_NE(text.find("flashgate_orders_refused_total{reason=\"sold_out\"} 1"),
              std::string::npos);
    EXPECT_NE(text.find("flashgate_ready 1"), std::string::npos);
}

TEST(Metrics, LogDiskFullGaugeAndEnospcCounterFollowTheLog) {
    storage::commit_log::counters log{};
    std::string text = render_metrics({shard_report{}}, log, true);
    EXPECT_NE(text.find("flashgate_log_disk_full 0\n"), std::string::npos) << text;
    EXPECT_NE(text.find("flashgate_log_enospc_total 0\n"), std::string::npos);
    EXPECT_NE(text.find("flashgate_log_failed 0\n"), std::string::npos);
    log.no_space = true;
    log.no_space_events = 3;
    text = render_metrics({shard_report{}}, log, true);
    EXPECT_NE(text.find("flashgate_log_disk_full 1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("flashgate_log_enospc_total 3\n"), std::string::npos);
}

}  // namespace fg::gateway
