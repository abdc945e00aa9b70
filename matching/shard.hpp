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
#include "matching/event_codec.hpp"
#include "matching/inbox.hpp"
#include "matching/inventory.hpp"
#include "matching/ip_address.hpp"
#include "matching/journal.hpp"
#include "matching/key_table.hpp"
#include "matching/order.hpp"
#include "matching/order_store.hpp"
#include "matching/outcome.hpp"
#include "matching/risk.hpp"
#include "matching/sku.hpp"
#include "matching/timer_wheel.hpp"
#include "matching/unique_function.hpp"

namespace fg::matching {

class engine;

// Who sent an order and how: the Idempotency-Key is scoped per (client, key), the digest of
// the body tells a retry from a reuse, and the address feeds the per-IP and location rules.
struct placement_context {
    std::string client;
    std::string idempotency_key;
    body_digest digest{};
    std::string client_ip;   // textual, as the socket gave it
    std::string request_id;  // kept with a refusal, so a replay of it is byte for byte
};

struct place_result {
    outcome result = outcome::ok;
    std::string refused_sku;          // the SKU behind a refusal, when there is one
    order placed;                     // the order as placed, when result == ok
    bool replayed = false;            // the stored answer to an earlier request with the same key
    std::string request_id;           // a replayed refusal: the request id it was first given
    std::int64_t retry_after_ms = 0;  // rate_limited
};

// A transition asked for by a buyer or a merchant (payments use pay_order).
struct move_request {
    order_status to = order_status::cancelled;
    actor by = actor::buyer;
    std::string carrier;
    std::string tracking_no;
    std::string reason;
    bool restock = false;
};

// A payment service's report (POST /v1/payments/callback), its signature already checked.
struct payment_report {
    std::uint64_t order_id = 0;
    std::string provider_txn_id;
    bool succeeded = false;
    money amount;
};

struct order_result {
    outcome result = outcome::ok;
    order value;            // also filled for illegal_transition, so the caller can show the status
    bool replayed = false;  // a payment callback already applied: nothing changed
};

struct block_result {
    outcome result = outcome::ok;
    std::vector<block_changed> entries;  // the whole block list after the change
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
    void place_order(placement_context ctx, order_request req,
                     unique_function<void(place_result)> done);
    // For callers that speak for no client in particular (benchmarks, unit tests): client
    // "public", no address, an empty body digest.
    void place_order(std::string idempotency_key, order_request req,
                     unique_function<void(place_result)> done) {
        place_order(
            placement_context{.client = "public", .idempotency_key = std::move(idempotency_key)},
            std::move(req), std::move(done));
    }
    void get_order(std::uint64_t order_id, unique_function<void(order_result)> done);
    // The buyer cancels (a move to cancelled by actor::buyer).
    void cancel_order(std::uint64_t order_id, unique_function<void(order_result)> done) {
        move_order(order_id, move_request{.to = order_status::cancelled, .by = actor::buyer},
                   std::move(done));
    }
    void move_order(std::uint64_t order_id, move_request req,
                    unique_function<void(order_result)> done);
    void pay_order(payment_report report, unique_function<void(order_result)> done);
    // Puts a buyer or an IP network on or off the block list (logged, then every shard's copy).
    void change_block(block_changed change, unique_function<void(block_result)> done);
    void get_block_list(unique_function<void(block_result)> done);
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
    // Expires lapsed holds, forgets Idempotency-Keys past their retention, trims rule state.
    // The gateway calls it every timer_tick_ms.
    void tick();

    std::size_t index() const { return index_; }
    inbox& mailbox() { return inbox_; }
    const inbox& mailbox() const { return inbox_; }
    const inventory& stock() const { return stock_; }
    std::size_t live_orders() const { return orders_.size(); }
    std::size_t idempotency_keys() const { return keys_.size(); }
    // Timers on the wheel plus replayed orders the hold walk has still to read.
    std::size_t holds_scheduled() const { return holds_.size() + (walk_end_ - walk_at_); }
    std::uint64_t orders_expired() const { return orders_expired_; }
    // Every order this shard is home to: its status now and its placement read in place (no
    // allocation; for start-up work over millions of orders).
    template <class Fn>
    void for_each_placed(Fn&& fn) const {
        orders_.for_each(
            [&](const order_store::entry& e) { fn(e.status, orders_.placed_view(e)); });
    }
    std::size_t pending() const { return pending_; }
    const std::uint64_t* orders_by_outcome() const { return orders_by_outcome_; }

 private:
    friend class engine;  // replay writes the state directly, before any thread runs
    struct placement;
    struct part;

    void place_at_home(std::string key, std::uint64_t key_hash, placement_context ctx,
                       order_request req, unique_function<void(place_result)> reply);
    void check_rules(std::uint64_t txn);
    // An accepted order counts toward velocity and known locations at the owners of its
    // buyer and of its IP prefix.
    void record_for_rules(const std::string& buyer_id, const ip_address& from, std::int64_t at_ms);
    void on_rules_checked(std::uint64_t txn, risk_decision d);
    void reserve_parts(std::uint64_t txn);
    void on_part_reserved(std::uint64_t txn, std::size_t part_index, reservation res);
    void commit_placement(std::uint64_t txn);
    void finish_placement(std::uint64_t txn, place_result result);
    void log_refusal_then_reply(std::unique_ptr<placement> p, place_result result);
    void replay_existing(std::uint64_t order_id, unique_function<void(place_result)> reply);
    void move_at_home(std::uint64_t order_id, move_request req,
                      unique_function<void(order_result)> reply);
    void pay_at_home(payment_report report, unique_function<void(order_result)> reply);
    // Logs `step` for the order; once durable applies it and its stock effect, then replies.
    // `taken`: the effect (a retake) was applied before logging and is undone if the log fails.
    void log_move(std::uint64_t order_id, transition step, stock_effect effect, bool taken,
                  unique_function<void(order_result)> reply);
    // Runs `effect` on the owner shard of each line, then `then` here.
    void effect_lines(stock_effect effect, const std::string& buyer_id,
                      const std::vector<order_item>& items, task then);
    std::vector<std::vector<order_item_request>> lines_by_owner(
        const std::vector<order_item>& items) const;
    void retake_lines(const order& o, unique_function<void(bool)> then);
    void expire_due(std::int64_t now);
    // Replay kept `o` (number orders_.newest(), id `id`, placed with a hold until
    // `hold_expires_at_ms`): puts its hold, if it has one, on the walk, or on the wheel when
    // its deadline is earlier than one already walked.
    void hold_replayed(order_store::entry& o, std::uint64_t id, std::int64_t hold_expires_at_ms);
    // Adds to `due` the walked orders whose hold lapsed by `now`, reading at most
    // walk_per_tick orders.
    void walk_holds(std::int64_t now, std::vector<std::uint64_t>& due);
    void forget_old_keys(std::int64_t now);
    // Applies a logged transition to the order itself (status, history, hold); not the stock.
    void apply_step(order_store::entry& o, const transition& step);
    // A block list change to this shard's copy; false if the network does not parse.
    bool apply_block(const block_changed& change);
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
    order_store orders_;                               // orders whose home is this shard
    std::unordered_set<std::uint64_t> orders_moving_;  // a transition is being logged
    timer_wheel holds_;                                // order ids, at their hold_expires_at
    // The holds of replayed orders lapse by a walk over the store, in the order the orders
    // were kept, rather than with a timer each: 16 bytes apiece, and millions of them after a
    // sale. Replay puts on the walk only holds whose deadline is no earlier than the last one
    // put there, so the walk stops at the first walked order still waiting for payment whose
    // hold has not lapsed. Any other hold, and any hold set after replay, is on the wheel.
    static constexpr std::uint32_t walk_per_tick = 65'536;
    std::uint32_t walk_at_ = 0;   // the next order the walk reads
    std::uint32_t walk_end_ = 0;  // one past the last order put on the walk
    std::int64_t walk_last_deadline_ = INT64_MIN;
    risk_guard risk_;  // the buyers and IP prefixes this shard owns; a copy of the block list

    // Idempotency-Keys ("client \x1f key") and their answers. Keys of orders come back from
    // the log after a restart, as do logged refusals; cheap refusals are kept in memory only.
    key_table keys_;

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
    std::uint64_t orders_expired_ = 0;
};

}  // namespace fg::matching
