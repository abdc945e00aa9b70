#pragma once

// Live events (GET /v1/events): one background thread reads the durable log back in log order
// (storage::log_tail), turns each record into zero or more Server-Sent Events, and publishes
// them into a bounded ring that every subscriber's worker copies from. Every client sees the
// same totally ordered stream; an order event's id is its record's LSN, so resuming is reading
// the log from a position. See gateway/README.md, "Live events".

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "matching/detail/id_index.hpp"
#include "matching/event_codec.hpp"
#include "matching/inventory.hpp"
#include "matching/order.hpp"

namespace fg::matching {
class engine;
}
namespace fg::storage {
class commit_log;
class log_tail;
}  // namespace fg::storage

namespace fg::gateway {

// ---- Formatting (pure) ----

// The SSE text of the order event a record stands for (order_placed, order_cancelled,
// order_moved), appended to `out`: "id: <lsn>\nevent: order\ndata: {...}\n\n". Depends on the
// record alone, so a resume from the log writes the same bytes as the live feed. False (and
// nothing appended) for other record types; false also for an undecodable payload.
bool append_order_event(std::uint64_t lsn, std::uint16_t type, std::span<const std::byte> payload,
                        std::string& out);

enum class stock_event : std::uint8_t { low_stock, sold_out, restocked };
std::string_view to_string(stock_event e);

// "event: <kind>\ndata: {"sku_id","available","threshold","at"}\n\n" (no id: derived, live only).
void append_stock_event(stock_event kind, std::string_view sku_id, std::int64_t available,
                        std::int64_t threshold, std::int64_t at_ms, std::string& out);

// Hysteresis of one SKU's stock events. low_stock fires when available drops to <= threshold
// (threshold > 0) and re-arms only once available rises above threshold + max(1, threshold/10);
// sold_out fires when available reaches 0, restocked when it rises from 0 to > 0 again.
struct stock_alarm {
    bool low = false;  // low_stock fired and not re-armed
    bool out = false;  // sold_out fired, restocked not yet
    // The state a SKU is already in, without firing (at start-up, or when a SKU is created).
    static stock_alarm quiet(std::int64_t available, std::int64_t threshold);
    // Moves to `available`; appends what fires, in order, to `fired` (at most two).
    void step(std::int64_t available, std::int64_t threshold, std::vector<stock_event>& fired);
};

// ---- The feed's view of the state (feed thread only) ----

// What the feed knows, kept just big enough to tell stock events: per SKU stock, held, sold and
// threshold; per order its status and lines. Applies each record as the engine does
// (matching::rule_for decides what a move does to the stock).
class event_view {
 public:
    // Which part of the view an order is in: its home shard (matching::engine::order_home), so
    // that start-up seeds each shard's orders on a thread of its own (seed_from_engine).
    using home_fn = std::function<std::size_t(std::uint64_t order_id)>;

    event_view();
    // Splits the orders into `parts` parts by `home`; before any order is seeded or applied.
    void partition(std::size_t parts, home_fn home);
    std::size_t parts() const { return parts_.size(); }

    void seed_sku(const matching::sku_state& s);
    // Room for `orders` more orders in part `part`, so that seeding millions copies none.
    void reserve_orders(std::size_t part, std::size_t orders);
    // An order from its status now and its placement read in place, into its home's part.
    // Seeding different parts at once, on different threads, is safe once every SKU is seeded.
    void seed_order(std::size_t part, matching::order_status now,
                    const matching::order_placed_view& placed);

    // Applies one record; appends the SSE text of its events to `out` and returns how many.
    std::size_t apply(std::uint64_t lsn, std::uint16_t type, std::span<const std::byte> payload,
                      std::string& out);

    std::size_t sku_count() const { return skus_.size(); }
    std::size_t order_count() const;

 private:
    struct sku_view {
        std::int64_t stock = 0, held = 0, sold = 0, threshold = 0;
        stock_alarm alarm;
        std::int64_t available() const { return stock - held - sold; }
    };
    using sku_entry = matching::string_map<sku_view>::value_type;  // stable: the map is node-based
    // An order is small and flat, because the view holds every order the engine does: its
    // status and where its lines are in lines_.
    struct order_view {
        matching::order_status status = matching::order_status::pending_payment;
        std::uint32_t first_line = 0;
        std::uint32_t line_count = 0;
    };
    struct line_view {
        sku_entry* sku;  // null: a SKU the view never saw (then it has no stock events)
        std::int64_t qty;
    };
    // One home shard's orders, each with its lines.
    struct order_part {
        matching::detail::id_index index;  // order id -> its position in orders, plus 1
        std::vector<order_view> orders;
        std::vector<line_view> lines;
    };
    struct found {
        order_view* order;
        order_part* part;
    };
    std::size_t check(const std::string& sku_id, sku_view& s, std::int64_t at_ms, std::string& out);
    std::size_t move(found o, matching::order_status to, matching::stock_effect effect,
                     std::int64_t at_ms, std::string& out);
    order_part& part_of(std::uint64_t id) {
        return parts_.size() == 1 ? parts_[0] : parts_[home_(id)];
    }
    // Null `order` if the view does not have it.
    found find_order(std::uint64_t id);
    // (Re)starts the order's entry; its lines follow with add_line, before any other order's.
    static order_view& add_order(order_part& part, std::uint64_t id, matching::order_status status);
    line_view& add_line(order_part& part, order_view& o, std::string_view sku_id, std::int64_t qty);

    matching::string_map<sku_view> skus_;
    std::vector<order_part> parts_;
    home_fn home_;
    std::vector<stock_event> fired_;
};

// ---- Delivery ----

// The recent events, each with a sequence number. Thread-safe: a mutex, taken by the feed
// thread once per batch and by a subscriber's worker once per write; it is off the order path.
class event_ring {
 public:
    explicit event_ring(std::size_t capacity_events) : slots_(capacity_events) {}

    struct pending {
        std::uint64_t lsn;  // 0 for a stock event
        std::string text;
    };
    void publish(std::vector<pending>& batch);  // moves the texts out
    std::uint64_t next_seq() const;

    // Appends events from `cursor` on (stopping once `out` exceeds bytes_max), skipping order
    // events with lsn <= skip_through_lsn; advances `cursor`. False if the ring already
    // overwrote the event at `cursor` (a slow consumer). `events` counts what was appended.
    bool copy_since(std::uint64_t& cursor, std::uint64_t skip_through_lsn, std::string& out,
                    std::size_t bytes_max, std::uint64_t& events) const;

 private:
    struct slot {
        std::uint64_t seq = 0;
        std::uint64_t lsn = 0;
        std::string text;
    };
    mutable std::mutex mu_;
    std::vector<slot> slots_;
    std::uint64_t next_ = 1;  // seq of the next event; seqs start at 1
};

// The state one subscriber shares with the feed. Thread-safe: `mu` guards the members below it;
// `wake` is set before the channel is handed to the feed and not changed afterwards.
struct event_channel {
    std::function<void()> wake;  // posts a write pass to the subscriber's worker; any thread
    std::atomic<bool> closed{false};

    std::mutex mu;
    std::string backlog;  // resume text the worker has not taken yet
    std::uint64_t backlog_events = 0;
    bool attached = false;  // from `cursor` on, the worker reads the ring
    bool failed = false;    // the resume read failed: close the connection
    std::uint64_t cursor = 0;
    std::uint64_t skip_through_lsn = 0;
};

// Shared between the feed and the subscribers (which may outlive the feed object at shutdown).
// Thread-safe.
class event_hub {
 public:
    static constexpr std::size_t ring_events = 8192;
    static constexpr int subscribers_max = 64;  // per process; beyond: 503 overloaded

    event_ring ring{ring_events};

    [[nodiscard]] bool try_join();  // counts a subscriber, false at subscribers_max
    void leave();
    // A live subscriber (no Last-Event-ID): reads the ring from now on.
    void subscribe_live(const std::shared_ptr<event_channel>& ch);
    // A resuming subscriber: the feed thread first sends every order event after `last_id` from
    // the log, then attaches it to the ring with no gap and no duplicate.
    void subscribe_resume(const std::shared_ptr<event_channel>& ch, std::uint64_t last_id);

    struct counters {
        std::uint64_t subscribers, sent_total, dropped_subscribers_total;
    };
    counters stats() const;
    void count_sent(std::uint64_t n) { sent_total_.fetch_add(n, std::memory_order_relaxed); }
    void count_dropped() { dropped_total_.fetch_add(1, std::memory_order_relaxed); }

 private:
    friend class event_feed;
    struct resume_request {
        std::shared_ptr<event_channel> ch;
        std::uint64_t last_id;
    };
    std::mutex mu_;
    std::vector<std::shared_ptr<event_channel>> channels_;  // live or attached soon
    std::vector<resume_request> resumes_;                   // not yet taken by the feed
    // Metrics: relaxed, counts only.
    std::atomic<int> subscribers_{0};
    std::atomic<std::uint64_t> sent_total_{0};
    std::atomic<std::uint64_t> dropped_total_{0};
};

std::string render_event_metrics(const event_hub::counters& c);

struct event_feed_options {
    std::filesystem::path log_dir;
    std::uint32_t poll_ms = 10;  // read the log at least this often (notify() wakes it sooner)
    // Reports trouble on the feed thread (a log read error, a gap): (event, detail).
    std::function<void(std::string_view, std::string_view)> report;
};

// Owner-thread: construction, seeding, start(), stop(). notify() from any thread.
class event_feed {
 public:
    event_feed(event_feed_options opts, const storage::commit_log& log);
    ~event_feed();  // stops the thread
    event_feed(const event_feed&) = delete;
    event_feed& operator=(const event_feed&) = delete;

    event_view& view() { return view_; }  // seed before start()
    // Starts the tail at `from_pos` (the log's end after recovery: the seeded state's position).
    // False + `error` if the log cannot be read there.
    [[nodiscard]] bool start(std::uint64_t from_pos, std::string& error);
    void stop();
    // Wakes the feed thread now (the log's on_durable hook). Cheap, never blocks.
    void notify();

    const std::shared_ptr<event_hub>& hub() const { return hub_; }

 private:
    struct catch_up;
    void run();
    void read_live();
    void serve_resumes();
    bool advance(catch_up& c);

    event_feed_options opts_;
    const storage::commit_log& log_;
    std::shared_ptr<event_hub> hub_ = std::make_shared<event_hub>();
    event_view view_;
    std::unique_ptr<storage::log_tail> tail_;
    std::vector<std::unique_ptr<catch_up>> catch_ups_;  // feed thread
    std::vector<event_ring::pending> batch_;            // feed thread
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> notified_{false};
    std::counting_semaphore<> wake_{0};
};

// Seeds the feed's view from the recovered engine (before any worker serves a domain route).
void seed_from_engine(event_feed& feed, matching::engine& engine);

}  // namespace fg::gateway
