#pragma once

// The order engine: N shards, the map from SKUs, keys and orders to shards, and recovery.
// Immutable after construction except for the shards themselves, which are shard-local.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "matching/clock.hpp"
#include "matching/event_codec.hpp"
#include "matching/journal.hpp"
#include "matching/shard.hpp"

namespace fg::matching {

struct engine_options {
    std::size_t shard_count = 1;
    std::int64_t hold_ms = 15 * 60 * 1000;  // how long an unpaid order keeps its stock
    std::size_t pending_max = 16'384;       // per shard: writes in flight before 503 overloaded
    std::int64_t key_ttl_ms = 24ll * 3600 * 1000;  // how long an Idempotency-Key is remembered
    risk_options risk;                             // flash-sale rules; all off by default
    // Threads that replay the log at start-up, one per shard at most. With more than one,
    // replay() buffers records and applies them in batches (see flush_replay).
    std::size_t replay_threads = 1;
    std::size_t replay_batch_bytes = std::size_t{32} << 20;  // payload bytes per batch
};

// Thread-safe: the shard map and post() may be used from any thread; each shard is shard-local.
class engine {
 public:
    engine(const engine_options& opts, const clock& clk, journal& log);
    ~engine();
    engine(const engine&) = delete;
    engine& operator=(const engine&) = delete;

    std::size_t shard_count() const { return shards_.size(); }
    shard& at(std::size_t index) { return *shards_[index]; }
    const engine_options& options() const { return opts_; }
    const clock& time() const { return clock_; }
    journal& log() const { return journal_; }

    std::size_t sku_owner(std::string_view sku_id) const;
    // Where a (client, key) pair is checked: the scoped key is "client \x1f key".
    std::size_t key_home(std::string_view scoped_key) const;
    std::size_t key_home_of(std::uint64_t key_hash) const;  // key_table::hash(scoped_key)
    // The same rule for `shard_count` shards, without an engine (tools that write logs).
    static std::size_t key_home_of(std::uint64_t key_hash, std::size_t shard_count);
    std::size_t buyer_home(std::string_view buyer_id) const;
    // The owner of an address's per-IP rules (risk.hpp, ip_rule_key).
    std::size_t ip_home(const ip_address& from) const;
    static std::string scoped_key(std::string_view client, std::string_view key);
    std::size_t order_home(std::uint64_t order_id) const;

    // Hands `t` to shard `target`'s inbox; it runs on that shard's thread.
    void post(std::size_t target, task t) { shards_[target]->mailbox().push(std::move(t)); }

    // Recovery: called for every log record in order, before any shard thread runs. With
    // several replay threads a record may be applied (and refused) only at a later call or at
    // flush_replay(); the error then names the record.
    bool replay(std::uint16_t type, std::span<const std::byte> payload, std::string& error);
    // Sizes the shards' tables for a replay of about `bytes` of snapshot and log, before the
    // first record: a table that doubles on the way writes every smaller one first. A guess
    // from the files' sizes, so it only changes speed and memory, never the state.
    void expect_replay_bytes(std::uint64_t bytes);
    // From now on, the payloads given to replay() stay readable as long as `owner` lives (the
    // mapped log and snapshot: storage/kept_mappings.hpp). The engine keeps `owner` and points
    // at them instead of copying: an order's placement stays where the log has it.
    void replay_in_place(std::shared_ptr<const void> owner);
    // Applies every record replay() has buffered.
    bool flush_replay(std::string& error);
    // Flushes, checks M1/M2 on every SKU and sets where new order ids continue.
    bool finish_replay(std::string& error);

    // The whole state as records which, replayed in order into an empty engine with the same
    // shard count, rebuild it: every SKU, the block list, every order with its later moves,
    // then the logged refusals of Idempotency-Keys still within their retention. For a
    // snapshot; only valid while no shard thread runs (the snapshotter's own shadow engine,
    // which is fed by replay() alone). Stops and returns false when `emit` does.
    using record_sink = std::function<bool(record_type, std::span<const std::byte>)>;
    bool export_records(const record_sink& emit) const;

 private:
    struct replay_part;  // what one replaying thread writes, and its scratch
    struct order_ahead;  // an order_placed record read before its turn
    struct buffered_record {
        std::uint16_t type;
        std::uint32_t size;
        std::size_t offset;     // into replay_batch::bytes, when copied
        const std::byte* data;  // where it is, when replayed in place; else null
    };
    struct replay_batch {
        std::vector<buffered_record> records;
        std::vector<std::byte> bytes;
        std::size_t payload_bytes = 0;   // of the records, copied or not
        std::uint64_t first_record = 0;  // records replayed before the batch
        std::int64_t now_ms = 0;         // when it was handed over
        void clear() {
            records.clear();
            bytes.clear();
            payload_bytes = 0;
        }
    };
    struct replay_pipeline;  // the parts' threads and the batches they take in turn

    replay_part& solo_part();
    void run_parts(const std::function<void(std::size_t)>& fn);
    // Hands the batch being filled to the parts' threads (started on the first call) and
    // starts filling the next one once a part is done with what was in its place.
    bool hand_over(std::string& error);
    // A part's thread: every batch in turn, until stopped or a record is refused.
    void run_part(std::size_t i);
    // Reads batch `k` (phase 1): false, with the record noted, if one is refused.
    bool read_batch(const replay_batch& batch, replay_part& p);
    // Applies to `p`'s lines the stock effects every part deferred while reading batch `k`.
    void apply_deferred(std::uint64_t k, replay_part& p);
    // The first refused record's message, once every part has stopped.
    std::string refusal_message();
    void stop_parts();
    bool apply_record(std::uint16_t type, std::span<const std::byte> payload, replay_part& p);
    // Decodes an order record, hashes its key and buyer and notes each line's owner shard;
    // starts loading the key's index cell and the buyer's number where they are `p`'s.
    void read_order(std::span<const std::byte> payload, order_ahead& a, const replay_part& p) const;
    // Looks up the SKU and buyer of each of the order's lines that are `p`'s, and starts
    // loading the buyer's count (inventory::prepare_hold).
    void prepare_lines(order_ahead& a, const replay_part& p);
    bool replay_order(order_ahead& a, std::span<const std::byte> payload, replay_part& p);
    bool replay_move(const order_moved& e, replay_part& p);
    bool replay_block(std::span<const std::byte> payload, replay_part& p);
    void replay_refusal(key_refused e, replay_part& p);
    key_entry* keep_key(std::string_view scoped, std::uint64_t h, std::int64_t created_at_ms,
                        const body_digest& digest, replay_part& p);
    // What a logged move does to the stock of the order's lines that `p` owns.
    void apply_effect(stock_effect effect, const order_placed_view& placed, const replay_part& p);

    engine_options opts_;
    const clock& clock_;
    journal& journal_;
    // Keeps replayed payloads readable (replay_in_place); declared before the shards, which point
    // into them, so that it outlives them.
    std::shared_ptr<const void> payload_owner_;
    std::vector<std::unique_ptr<shard>> shards_;
    std::unique_ptr<replay_part> solo_;                       // one replaying thread
    std::vector<std::unique_ptr<replay_part>> replay_parts_;  // or several
    std::unique_ptr<replay_pipeline> pipeline_;               // with several parts
};

template <class R>
void shard::call(std::size_t target, unique_function<void(shard&, unique_function<void(R)>)> op,
                 unique_function<void(R)> done) {
    if (target == index_) {
        op(*this, std::move(done));
        return;
    }
    engine& eng = engine_;
    const std::size_t origin = index_;
    eng.post(target, [&eng, target, origin, op = std::move(op), done = std::move(done)]() mutable {
        unique_function<void(R)> reply = [&eng, origin, done = std::move(done)](R r) mutable {
            eng.post(origin,
                     [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
        };
        op(eng.at(target), std::move(reply));
    });
}

}  // namespace fg::matching
