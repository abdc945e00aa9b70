#include "gateway/metrics.hpp"

#include <algorithm>
#include <cstdio>

#include "matching/outcome.hpp"

namespace fg::gateway {

std::string_view route_name(route r) {
    static constexpr std::string_view names[] = {
        "livez",          "readyz",     "metrics",          "sku_put",
        "sku_get",        "sku_batch",  "sku_stock",        "order_create",
        "order_get",      "order_move", "payment_callback", "blocklist_get",
        "blocklist_post", "events",     "not_found"};
    return names[static_cast<std::size_t>(r)];
}

void route_metrics::record(route r, unsigned status, std::uint64_t latency_us) {
    const auto ri = static_cast<std::size_t>(r);
    const unsigned slot =
        std::clamp(status, status_min, status_min + status_slots - 1) - status_min;
    ++requests[ri][slot];
    auto it = std::lower_bound(latency_bounds_us.begin(), latency_bounds_us.end(), latency_us);
    ++latency[ri][static_cast<std::size_t>(it - latency_bounds_us.begin())];
    latency_sum_us[ri] += latency_us;
}

void route_metrics::merge(const route_metrics& other) {
    for (std::size_t r = 0; r < route_count; ++r) {
        for (std::size_t s = 0; s < status_slots; ++s) requests[r][s] += other.requests[r][s];
        for (std::size_t b = 0; b < latency[r].size(); ++b) latency[r][b] += other.latency[r][b];
        latency_sum_us[r] += other.latency_sum_us[r];
    }
}

namespace {

class text_out {
 public:
    void help(std::string_view name, std::string_view type, std::string_view help) {
        line("# HELP ", name, " ", help);
        line("# TYPE ", name, " ", type);
    }
    template <class... Parts>
    void line(const Parts&... parts) {
        (append(parts), ...);
        out_ += '\n';
    }
    std::string take() { return std::move(out_); }

 private:
    void append(std::string_view s) { out_ += s; }
    void append(const char* s) { out_ += s; }
    void append(const std::string& s) { out_ += s; }
    void append(std::uint64_t v) { out_ += std::to_string(v); }
    void append(std::int64_t v) { out_ += std::to_string(v); }
    void append(double v) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.6g", v);
        out_ += buf;
    }
    std::string out_;
};

void render_http(text_out& t, const route_metrics& m) {
    t.help("flashgate_http_requests_total", "counter",
           "HTTP requests answered, by route and status.");
    for (std::size_t r = 0; r < route_count; ++r) {
        for (std::size_t s = 0; s < route_metrics::status_slots; ++s) {
            if (m.requests[r][s] == 0) continue;
            t.line("flashgate_http_requests_total{route=\"", route_name(static_cast<route>(r)),
                   "\",code=\"", std::uint64_t{s + route_metrics::status_min}, "\"} ",
                   m.requests[r][s]);
        }
    }
    t.help("flashgate_http_request_duration_seconds", "histogram",
           "Time from a request's last byte read to its response queued, by route.");
    for (std::size_t r = 0; r < route_count; ++r) {
        std::uint64_t cumulative = 0;
        const std::string_view name = route_name(static_cast<route>(r));
        for (std::size_t b = 0; b < m.latency[r].size(); ++b) {
            cumulative += m.latency[r][b];
            if (b < latency_bounds_us.size()) {
                t.line("flashgate_http_request_duration_seconds_bucket{route=\"", name, "\",le=\"",
                       static_cast<double>(latency_bounds_us[b]) / 1e6, "\"} ", cumulative);
            } else {
                t.line("flashgate_http_request_duration_seconds_bucket{route=\"", name,
                       "\",le=\"+Inf\"} ", cumulative);
            }
        }
        t.line("flashgate_http_request_duration_seconds_sum{route=\"", name, "\"} ",
               static_cast<double>(m.latency_sum_us[r]) / 1e6);
        t.line("flashgate_http_request_duration_seconds_count{route=\"", name, "\"} ", cumulative);
    }
}

void render_orders(text_out& t, const std::vector<shard_report>& shards) {
    std::array<std::uint64_t, matching::outcome_count> by{};
    for (const auto& s : shards) {
        for (std::size_t i = 0; i < by.size(); ++i) by[i] += s.orders_by_outcome[i];
    }
    t.help("flashgate_orders_accepted_total", "counter", "Orders acknowledged as durable.");
    t.line("flashgate_orders_accepted_total ", by[0]);
    t.help("flashgate_orders_refused_total", "counter", "Orders refused, by reason.");
    for (std::size_t i = 1; i < by.size(); ++i) {
        if (by[i] == 0) continue;
        t.line("flashgate_orders_refused_total{reason=\"",
               matching::to_string(static_cast<matching::outcome>(i)), "\"} ", by[i]);
    }
}

void render_stock(text_out& t, const std::vector<shard_report>& shards) {
    t.help("flashgate_sku_stock", "gauge",
           "Units per SKU by state (available, held, sold); listed for shards owning at most "
           "1000 SKUs.");
    for (const auto& s : shards) {
        for (const auto& sku : s.skus) {
            t.line("flashgate_sku_stock{sku=\"", sku.id, "\",state=\"available\"} ",
                   sku.available());
            t.line("flashgate_sku_stock{sku=\"", sku.id, "\",state=\"held\"} ", sku.held);
            t.line("flashgate_sku_stock{sku=\"", sku.id, "\",state=\"sold\"} ", sku.sold);
        }
    }
}

}  // namespace

std::string render_metrics(const std::vector<shard_report>& shards,
                           const storage::commit_log::counters& log, bool ready,
                           const recovery_report& recovery) {
    text_out t;
    route_metrics http;
    std::uint64_t skus = 0, orders = 0, pending = 0, inbox = 0, connections = 0;
    std::uint64_t expired = 0, keys = 0, holds = 0;
    for (const auto& s : shards) {
        expired += s.orders_expired;
        keys += s.idempotency_keys;
        holds += s.holds_scheduled;
        http.merge(s.http);
        skus += s.sku_count;
        orders += s.live_orders;
        pending += s.pending;
        inbox += s.inbox_depth;
        connections += s.connections;
    }
    t.help("flashgate_ready", "gauge", "1 once recovery has finished and intake is open.");
    t.line("flashgate_ready ", std::uint64_t{ready ? 1u : 0u});
    render_http(t, http);
    render_orders(t, shards);
    render_stock(t, shards);
    t.help("flashgate_orders_expired_total", "counter",
           "Unpaid orders whose hold lapsed (since this process started).");
    t.line("flashgate_orders_expired_total ", expired);
    t.help("flashgate_idempotency_keys", "gauge",
           "Idempotency-Keys remembered with their answers.");
    t.line("flashgate_idempotency_keys ", keys);
    t.help("flashgate_hold_timers", "gauge",
           "Holds waiting to lapse: timers on the shards' wheels (a paid order's timer stays "
           "until it fires) plus replayed orders the hold walk has yet to read.");
    t.line("flashgate_hold_timers ", holds);
    t.help("flashgate_skus", "gauge", "SKUs known.");
    t.line("flashgate_skus ", skus);
    t.help("flashgate_live_orders", "gauge", "Orders kept in memory.");
    t.line("flashgate_live_orders ", orders);
    t.help("flashgate_pending_writes", "gauge", "Orders and merchant writes not yet answered.");
    t.line("flashgate_pending_writes ", pending);
    t.help("flashgate_inbox_depth", "gauge", "Tasks queued between shards (approximate).");
    t.line("flashgate_inbox_depth ", inbox);
    t.help("flashgate_connections", "gauge", "Open client connections.");
    t.line("flashgate_connections ", connections);
    t.help("flashgate_log_batches_total", "counter", "Group commits (one fdatasync each).");
    t.line("flashgate_log_batches_total ", log.batches);
    t.help("flashgate_log_records_total", "counter", "Records made durable.");
    t.line("flashgate_log_records_total ", log.records);
    t.help("flashgate_log_bytes_total", "counter", "Bytes made durable.");
    t.line("flashgate_log_bytes_total ", log.bytes);
    t.help("flashgate_log_fsync_seconds_total", "counter", "Time spent in fdatasync.");
    t.line("flashgate_log_fsync_seconds_total ", static_cast<double>(log.fsync_ns_total) / 1e9);
    t.help("flashgate_log_fsync_seconds_max", "gauge", "Longest fdatasync so far.");
    t.line("flashgate_log_fsync_seconds_max ", static_cast<double>(log.fsync_ns_max) / 1e9);
    t.help("flashgate_log_ring_used_bytes", "gauge", "Bytes appended and not yet durable.");
    t.line("flashgate_log_ring_used_bytes ", log.ring_used_bytes);
    t.help("flashgate_log_recovery_records", "gauge", "Log records replayed at start-up.");
    t.line("flashgate_log_recovery_records ", recovery.records);
    t.help("flashgate_log_recovery_truncated_bytes", "gauge",
           "Bytes of a torn tail cut from the last log segment at start-up.");
    t.line("flashgate_log_recovery_truncated_bytes ", recovery.truncated_bytes);
    t.help("flashgate_log_recovery_seconds", "gauge",
           "Time start-up recovery took (open, replay, checks).");
    t.line("flashgate_log_recovery_seconds ", recovery.seconds);
    t.help("flashgate_log_recovery_mapped_bytes", "gauge",
           "Bytes of the snapshot and log files start-up recovery read, kept mapped while the "
           "process runs (recovered orders point into them); files deleted since keep their disk "
           "space until exit.");
    t.line("flashgate_log_recovery_mapped_bytes ", recovery.mapped_bytes);
    t.help("flashgate_log_disk_full", "gauge",
           "1 while the log's disk is full: writes get 503 disk_full, /readyz is 503.");
    t.line("flashgate_log_disk_full ", std::uint64_t{log.no_space ? 1u : 0u});
    t.help("flashgate_log_enospc_total", "counter",
           "Attempts to create a log segment or write a batch that found the disk full "
           "(ENOSPC; each retry counts).");
    t.line("flashgate_log_enospc_total ", log.no_space_events);
    t.help("flashgate_log_failed", "gauge",
           "1 once a log write or fdatasync has failed: the process is stopping (exit 3).");
    t.line("flashgate_log_failed ", std::uint64_t{log.failed ? 1u : 0u});
    return t.take();
}

}  // namespace fg::gateway
