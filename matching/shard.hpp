#pragma once

// A shard: one core's partition of the stock, the orders it is home to, and the idempotency
// keys that hash to it. Everything here runs on the shard's own thread; other threads reach it
// only through its inbox (M7). The gateway drives it: it calls the entry points below from
// request handlers and poll() whenever the shard's doorbell rings.

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "matching/clock.hpp"
#include "matching/inbox.hpp"
#include "matching/inventory.hpp"
#include "matching/journal.hpp"
#include "matching/order.hpp"
#include "matching/outcome.hpp"
#include "matching/sku.hpp"
#include "matching/unique_function.hpp"

namespace fg::matching {

class engine;

struct place_result {
    outcome result = outcome::ok;
    std::string refused_sku;  // the SKU behind a refusal, when there is one
    order placed;             // the order, when result == ok
    bool replayed = false;    // an earlier order returned for a repeated Idempotency-Key
};

struct order_result {
    outcome result = outcome::ok;
    order value;  // also filled for illegal_transition, so the caller can show the status
};

struct sku_result {
    outcome result = outcome::ok;
    sku_state sku;
    bool created = false;
};

inline constexpr std::size_t outcome_count = static_cast<std::size_t>(outcome::log_failed) + 1;

// Shard-local: every member function runs on this shard's thread.
class shard {
 public:
    shard(engine& eng, std::size_t index);
    ~shard();
    shard(const shard&) = delete;
    shard& operator=(const shard&) = delete;

    // Entry points. `done` runs later, on this shard's thread.
    void place_order(std::string idempotency_key, order_request req,
                     unique_function<void(place_result)> done);
    void get_order(std::uint64_t order_id, unique_function<void(order_result)> done);
    void cancel_order(std::uint64_t order_id, unique_function<void(order_result)> done);
    void put_sku(std::string sku_id, sku_spec spec, unique_function<void(sku_result)> done);
    void get_sku(std::string sku_id, unique_function<void(sku_result)> done);
    void adjust_stock(std::string sku_id, std::int64_t delta,
                      unique_function<void(sku_result)> done);

    // Runs `op` on shard `target`; the reply it is given comes back to `done` on this shard.
    template <class R>
    void call(std::size_t target, unique_function<void(shard&, unique_function<void(R)>)> op,
              unique_function<void(R)> done);

    // Runs queued tasks and completes waits on the log. Returns how many of both it ran; the
    // gateway polls again at once when that reaches `max_tasks`.
    std::size_t poll(std::size_t max_tasks = 1024);

    std::size_t index() const { return index_; }
    inbox& mailbox() { return inbox_; }
    const inbox& mailbox() const { return inbox_; }
    const inventory& stock() const { return stock_; }
    std::size_t live_orders() const { return orders_.size(); }
    template <class Fn>
    void for_each_order(Fn&& fn) const {
        for (const auto& [id, o] : orders_) fn(o);
    }
    std::size_t pending() const { return pending_; }
    const std::uint64_t* orders_by_outcome() const { return orders_by_outcome_; }

 private:
    friend class engine;  // replay writes the state directly, before any thread runs
    struct placement;
    struct part;

    void place_at_home(std::string key, order_request req,
                       unique_function<void(place_result)> reply);
    void reserve_parts(std::uint64_t txn);
    void on_part_reserved(std::uint64_t txn, std::size_t part_index, reservation res);
    void commit_placement(std::uint64_t txn);
    void finish_placement(std::uint64_t txn, place_result result);
    void release_lines(const std::string& buyer_id, const std::vector<order_item>& items,
                       task then);
    void replay_existing(std::uint64_t order_id, unique_function<void(place_result)> reply);
    void cancel_at_home(std::uint64_t order_id, unique_function<void(order_result)> reply);
    void put_sku_at_owner(std::string sku_id, const sku_spec& spec,
                          unique_function<void(sku_result)> reply);
    void adjust_at_owner(std::string sku_id, std::int64_t delta,
                         unique_function<void(sku_result)> reply);

    // Holds `then` until the record ending at `end_pos` is durable (true) or the log failed.
    void when_durable(std::uint64_t end_pos, unique_function<void(bool durable)> then);
    std::size_t complete_durable_waits();  // returns how many it completed
    std::uint64_t next_order_id();

    engine& engine_;
    const std::size_t index_;
    inbox inbox_;
    inventory stock_;
    std::unordered_map<std::uint64_t, order> orders_;  // orders whose home is this shard
    std::unordered_set<std::uint64_t> orders_moving_;  // a transition is being logged
    struct key_entry {
        std::uint64_t order_id = 0;  // 0 while the first request is in flight
    };
    string_map<key_entry> keys_;  // Idempotency-Key -> order

    struct durable_wait {
        std::uint64_t end_pos;
        unique_function<void(bool)> then;
    };
    std::deque<durable_wait> durable_waits_;  // end_pos ascending: this shard appends in order

    std::unordered_map<std::uint64_t, std::unique_ptr<placement>> placements_;
    std::uint64_t next_txn_ = 1;
    std::uint64_t order_seq_ = 0;
    std::size_t pending_ = 0;  // placements and merchant writes not yet answered
    std::vector<std::byte> scratch_;
    std::uint64_t orders_by_outcome_[outcome_count] = {};
};

}  // namespace fg::matching
