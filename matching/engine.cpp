#include "matching/engine.hpp"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "matching/assert.hpp"
#include "matching/event_codec.hpp"
#include "matching/limits.hpp"

namespace fg::matching {
namespace {

// FNV-1a: stable across builds and standard libraries, so a SKU's owner does not move when the
// binary changes, and tests can predict placement.
std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

}  // namespace

// How many records ahead of its turn a replay part reads an order record (read_batch) and
// starts loading its key's cell and its buyer's number, how many ahead it starts loading the
// buyer's counts (which need the number), and the ring that holds what it read.
constexpr std::size_t look_ahead = 8;
constexpr std::size_t look_near = 4;
constexpr std::size_t ring_size = 16;
static_assert(ring_size > look_ahead && look_ahead > look_near,
              "a record is applied before its slot is read into again");

struct engine::order_ahead {
    bool decoded = false;
    bool prepared = false;  // prepare_lines ran
    order_placed_view view;
    std::string scoped;  // "client \x1f key"
    std::uint64_t key_hash = 0;
    detail::hashed_string buyer{std::string_view{}};
    // Per line of `view`: the shard that owns its SKU, and (once prepared, where it is the
    // part's) the SKU and buyer looked up.
    std::array<std::uint32_t, limits::order_items_max> owner{};
    std::array<inventory::prepared_hold, limits::order_items_max> hold{};
};

// What one replaying thread writes (see "recovery" below), and its scratch.
struct engine::replay_part {
    std::size_t index = 0;
    std::size_t count = 0;  // 0: one thread writes every shard
    std::int64_t now_ms = 0;
    std::string scoped;  // an Idempotency-Key's scoped form, reused: no allocation per record
    std::array<order_ahead, ring_size> ahead;  // a ring over the batch; [0] alone without one
    std::uint64_t max_order_seq = 0;
    struct deferred_effect {
        const order_store::entry* order;
        std::size_t home;
        stock_effect effect;
    };
    // Only with several parts: what the part defers while reading batch k, at [k % 2] (the
    // others apply it before they read batch k + 1, while this part reads that batch).
    std::array<std::vector<deferred_effect>, 2> deferred;
    std::size_t deferring = 0;  // where replay_move defers now
    std::string error;
    std::uint64_t refused_record = 0;  // counted from 1 over every record replayed

    // Part i of n writes the shards s with s % n == i.
    bool mine(std::size_t s) const { return count == 0 || s % count == index; }
};

// With several parts, each has a thread of its own for the whole replay. The thread reading
// the log fills batches and hands them over; each part reads every batch in turn (and applies
// what its shards own), and before it reads batch k it applies to its lines the stock effects
// that every part deferred while reading batch k - 1 (a move's effect needs the order, which
// only its home has). So a part starts batch k once every part is done with batch k - 1: the
// parts run up to a batch apart, and one slowed down for a moment (the reading thread shares
// the cores with them) does not stop the others at the end of every batch. Batches sit in
// `slots` places: the reader fills batch n once every part is done with batch n - slots.
struct engine::replay_pipeline {
    static constexpr std::size_t slots = 3;
    std::array<replay_batch, slots> batches;  // batch k at [k % slots]
    // The reader's own: the batch it fills, and the records it handed over before it.
    std::uint64_t filling = 0;
    std::uint64_t records_handed_over = 0;

    std::mutex mu;
    std::condition_variable changed;
    // Guarded by mu.
    std::uint64_t handed_over = 0;             // batches the parts may read
    std::vector<std::uint64_t> done;           // per part: batches it has read
    std::vector<std::uint64_t> refused_at;     // per part: its refused record from 1, or 0
    std::uint64_t refused_batch = UINT64_MAX;  // the first batch where a part refused one
    std::size_t running = 0;                   // parts whose thread has not stopped
    bool stopping = false;

    std::vector<std::thread> threads;

    std::uint64_t all_done() const { return *std::min_element(done.begin(), done.end()); }
    bool refused() const { return refused_batch != UINT64_MAX; }
    replay_batch& being_filled() { return batches[filling % slots]; }
    // Every record handed in is applied (flush_replay() returned).
    bool idle() {
        std::lock_guard lock(mu);
        return being_filled().records.empty() && (threads.empty() || all_done() >= filling);
    }
};

engine::engine(const engine_options& opts, const clock& clk, journal& log)
    : opts_(opts), clock_(clk), journal_(log) {
    FG_ASSERT(opts.shard_count >= 1 && opts.shard_count <= 256, "M8 (1..256 shards)");
    for (std::size_t i = 0; i < opts.shard_count; ++i) {
        shards_.push_back(std::make_unique<shard>(*this, i));
    }
    // One replaying thread per shard, up to the threads asked for; one thread needs no parts.
    const std::size_t parts = std::min(opts.replay_threads, opts.shard_count);
    for (std::size_t i = 0; parts > 1 && i < parts; ++i) {
        replay_parts_.push_back(std::make_unique<replay_part>());
        replay_parts_.back()->index = i;
        replay_parts_.back()->count = parts;
    }
    if (parts > 1) pipeline_ = std::make_unique<replay_pipeline>();
}

engine::~engine() { stop_parts(); }  // a replay abandoned halfway

std::size_t engine::sku_owner(std::string_view sku_id) const {
    return fnv1a(sku_id) % shards_.size();
}

std::size_t engine::key_home(std::string_view scoped_key) const {
    return key_home_of(key_table::hash(scoped_key));
}

// The high bits of the key's hash: the key table starts its probes from the low ones.
std::size_t engine::key_home_of(std::uint64_t key_hash) const {
    return key_home_of(key_hash, shards_.size());
}

std::size_t engine::key_home_of(std::uint64_t key_hash, std::size_t shard_count) {
    return (key_hash >> 40) % shard_count;
}

std::size_t engine::buyer_home(std::string_view buyer_id) const {
    return (fnv1a(buyer_id) >> 13) % shards_.size();
}

std::size_t engine::ip_home(const ip_address& from) const {
    return (hash_of(ip_rule_key(from)) >> 3) % shards_.size();
}

std::string engine::scoped_key(std::string_view client, std::string_view key) {
    std::string out;
    key_table::scope(out, client, key);
    return out;
}

std::size_t engine::order_home(std::uint64_t order_id) const {
    return (order_id & 0xff) % shards_.size();
}

// --- recovery --------------------------------------------------------------------------------
//
// Each record is applied by "parts": a part writes the state of one shard only (or of every
// shard, when replay runs on one thread). With several threads, each one reads every record of
// a batch and applies what its shard owns: the SKU lines an order holds, the order if it is the
// order's home, its key if it is the key's home, its rule state if it owns the buyer or the
// address. A move's stock effect needs the order, which only its home has, so the home leaves
// it on a list that the line owners apply once every part has read the batch, before they read
// the next one (replay_pipeline). Counts only ever add, and every effect of an order comes
// after its hold (in an earlier batch or earlier in the same one), so the state is the one a
// single thread would build.

// The guess: one order per 224 bytes (a storefront's order_placed record with its frame is
// 200 to 260 bytes; moves and refusals are smaller but rarer), each with its key and 1.25 lines
// on average. Keys spread over the shards by their hash and lines by their SKU, so each shard
// gets its share. Too high costs the unused part of one table; too low, one doubling.
void engine::expect_replay_bytes(std::uint64_t bytes) {
    const std::uint64_t orders = bytes / 224 / shards_.size();
    for (const auto& s : shards_) {
        s->keys_.reserve(orders);
        s->stock_.reserve_buyer_counts(orders + orders / 4);
    }
}

bool engine::replay(std::uint16_t type, std::span<const std::byte> payload, std::string& error) {
    if (replay_parts_.empty()) {
        replay_part& p = solo_part();
        p.now_ms = clock_.now_ms();
        if (apply_record(type, payload, p)) return true;
        error = std::move(p.error);
        return false;
    }
    replay_batch& b = pipeline_->being_filled();
    const auto size = static_cast<std::uint32_t>(payload.size());
    if (payload_owner_) {
        b.records.push_back({type, size, 0, payload.data()});
    } else {
        b.records.push_back({type, size, b.bytes.size(), nullptr});
        b.bytes.insert(b.bytes.end(), payload.begin(), payload.end());
    }
    b.payload_bytes += size;
    // The full batch is applied on the parts' threads while this one reads the next.
    return b.payload_bytes < opts_.replay_batch_bytes || hand_over(error);
}

bool engine::hand_over(std::string& error) {
    replay_pipeline& pl = *pipeline_;
    replay_batch& b = pl.being_filled();
    b.first_record = pl.records_handed_over;
    b.now_ms = clock_.now_ms();
    pl.records_handed_over += b.records.size();
    if (pl.threads.empty()) {
        pl.done.assign(replay_parts_.size(), 0);
        pl.refused_at.assign(replay_parts_.size(), 0);
        pl.running = replay_parts_.size();
        for (std::size_t i = 0; i < replay_parts_.size(); ++i) {
            pl.threads.emplace_back([this, i] { run_part(i); });
        }
    }
    std::unique_lock lock(pl.mu);
    pl.handed_over = ++pl.filling;
    pl.changed.notify_all();
    // The next batch goes where batch filling - slots was.
    pl.changed.wait(lock, [&] {
        return pl.refused() || pl.filling < replay_pipeline::slots ||
               pl.all_done() > pl.filling - replay_pipeline::slots;
    });
    if (pl.refused()) {
        pl.changed.wait(lock, [&] { return pl.running == 0; });
        error = refusal_message();
        return false;
    }
    lock.unlock();
    pl.being_filled().clear();
    return true;
}

void engine::run_part(std::size_t i) {
    replay_pipeline& pl = *pipeline_;
    replay_part& p = *replay_parts_[i];
    for (std::uint64_t k = 0;; ++k) {
        {
            std::unique_lock lock(pl.mu);
            // After a refusal every part still reads the batch it was refused in, so that the
            // first refused record in the log is the one reported.
            pl.changed.wait(lock, [&] {
                return k > pl.refused_batch || (pl.handed_over > k && pl.all_done() >= k) ||
                       (pl.stopping && pl.handed_over <= k);
            });
            if (k > pl.refused_batch || pl.handed_over <= k) {
                --pl.running;
                pl.changed.notify_all();
                return;
            }
        }
        if (k > 0) apply_deferred(k - 1, p);
        p.deferring = k % 2;
        const bool read = read_batch(pl.batches[k % replay_pipeline::slots], p);
        std::lock_guard lock(pl.mu);
        if (read) {
            pl.done[i] = k + 1;
        } else {
            pl.refused_batch = std::min(pl.refused_batch, k);
            pl.refused_at[i] = p.refused_record;
            --pl.running;
        }
        pl.changed.notify_all();
        if (!read) return;
    }
}

void engine::apply_deferred(std::uint64_t k, replay_part& p) {
    for (const auto& from : replay_parts_) {
        for (const replay_part::deferred_effect& d : from->deferred[k % 2]) {
            apply_effect(d.effect, shards_[d.home]->orders_.placed_view(*d.order), p);
        }
    }
}

std::string engine::refusal_message() {
    const replay_pipeline& pl = *pipeline_;
    std::size_t first = 0;
    for (std::size_t i = 0; i < pl.refused_at.size(); ++i) {
        const std::uint64_t at = pl.refused_at[i];
        if (at != 0 && (pl.refused_at[first] == 0 || at < pl.refused_at[first])) first = i;
    }
    // Counted from 1 over every record this engine replayed, so that it can be found.
    return replay_parts_[first]->error + " (record " + std::to_string(pl.refused_at[first]) +
           " replayed)";
}

void engine::stop_parts() {
    if (!pipeline_ || pipeline_->threads.empty()) return;
    replay_pipeline& pl = *pipeline_;
    {
        std::lock_guard lock(pl.mu);
        pl.stopping = true;
        pl.changed.notify_all();
    }
    for (std::thread& t : pl.threads) t.join();
    pl.threads.clear();
}

void engine::replay_in_place(std::shared_ptr<const void> owner) {
    FG_ASSERT(owner != nullptr, "replay in place needs the payloads' owner");
    payload_owner_ = std::move(owner);
}

engine::replay_part& engine::solo_part() {
    if (!solo_) solo_ = std::make_unique<replay_part>();
    return *solo_;
}

bool engine::flush_replay(std::string& error) {
    if (!pipeline_) return true;  // one part applies each record as it comes
    replay_pipeline& pl = *pipeline_;
    if (!pl.being_filled().records.empty() && !hand_over(error)) return false;
    if (pl.threads.empty()) return true;
    std::unique_lock lock(pl.mu);
    pl.changed.wait(lock, [&] { return pl.refused() || pl.all_done() >= pl.filling; });
    if (pl.refused()) {
        pl.changed.wait(lock, [&] { return pl.running == 0; });
        error = refusal_message();
        return false;
    }
    lock.unlock();
    // The parts wait for the next batch, so this thread applies what they deferred in the last
    // one; the next batch then finds nothing deferred before it.
    if (pl.filling == 0) return true;
    const std::uint64_t last = pl.filling - 1;
    for (const auto& p : replay_parts_) apply_deferred(last, *p);
    for (const auto& p : replay_parts_) p->deferred[last % 2].clear();
    return true;
}

// Phase 1 of a batch on one part: every record, applying what the part's shards own. Each
// part decodes an order `look_ahead` records before its turn and starts loading the cells it
// will touch (read_order, then prepare_lines `look_near` records before): the key index, the
// buyer numbers and the per-buyer counts are far larger than the caches, and each would
// otherwise stall its record in turn. Applying stays in log order.
bool engine::read_batch(const replay_batch& batch, replay_part& p) {
    p.now_ms = batch.now_ms;
    p.deferred[p.deferring].clear();
    const std::size_t n = batch.records.size();
    auto payload = [&](std::size_t r) -> std::span<const std::byte> {
        const buffered_record& rec = batch.records[r];
        return {rec.data ? rec.data : batch.bytes.data() + rec.offset, rec.size};
    };
    auto is_order = [&](std::size_t r) {
        return batch.records[r].type == static_cast<std::uint16_t>(record_type::order_placed);
    };
    for (std::size_t r = 0; r < n + look_ahead; ++r) {
        if (r >= look_ahead) {
            const std::size_t at = r - look_ahead;
            const bool ok = is_order(at) ? replay_order(p.ahead[at % ring_size], payload(at), p)
                                         : apply_record(batch.records[at].type, payload(at), p);
            if (!ok) {
                p.refused_record = batch.first_record + at + 1;
                return false;
            }
        }
        if (r >= look_near && r - look_near < n && is_order(r - look_near)) {
            prepare_lines(p.ahead[(r - look_near) % ring_size], p);
        }
        if (r < n && is_order(r)) read_order(payload(r), p.ahead[r % ring_size], p);
    }
    return true;
}

void engine::run_parts(const std::function<void(std::size_t)>& fn) {
    std::vector<std::thread> helpers;
    for (std::size_t i = 1; i < replay_parts_.size(); ++i) helpers.emplace_back(fn, i);
    fn(0);
    for (std::thread& t : helpers) t.join();
}

bool engine::apply_record(std::uint16_t type, std::span<const std::byte> payload, replay_part& p) {
    switch (static_cast<record_type>(type)) {
        case record_type::sku_upserted: {
            sku_state s;
            if (!decode(payload, s)) break;
            if (p.mine(sku_owner(s.id))) shards_[sku_owner(s.id)]->stock_.apply_upsert(s);
            return true;
        }
        case record_type::stock_adjusted: {
            stock_adjusted e;
            if (!decode(payload, e)) break;
            const std::size_t owner = sku_owner(e.sku_id);
            if (!p.mine(owner)) return true;
            inventory& inv = shards_[owner]->stock_;
            if (inv.find(e.sku_id) == nullptr) {
                p.error = "stock record for unknown SKU " + e.sku_id;
                return false;
            }
            inv.apply_adjust(e.sku_id, e.delta, e.at_ms);
            return true;
        }
        case record_type::order_placed:
            read_order(payload, p.ahead[0], p);
            return replay_order(p.ahead[0], payload, p);
        case record_type::order_cancelled: {
            order_cancelled e;
            if (!decode(payload, e)) break;
            return replay_move(
                {.order_id = e.order_id,
                 .step = {.to = order_status::cancelled, .by = actor::buyer, .at_ms = e.at_ms}},
                p);
        }
        case record_type::order_moved: {
            order_moved e;
            if (!decode(payload, e)) break;
            return replay_move(e, p);
        }
        case record_type::block_changed:
            return replay_block(payload, p);
        case record_type::key_refused: {
            key_refused e;
            if (!decode(payload, e)) break;
            replay_refusal(std::move(e), p);
            return true;
        }
    }
    if (p.error.empty()) p.error = "undecodable record of type " + std::to_string(type);
    return false;
}

// Read in place: the store keeps the payload's bytes, nothing is built from them here.
void engine::read_order(std::span<const std::byte> payload, order_ahead& a,
                        const replay_part& p) const {
    a.prepared = false;
    a.decoded = decode(payload, a.view);
    if (!a.decoded) return;
    key_table::scope(a.scoped, a.view.client, a.view.idempotency_key);
    a.key_hash = key_table::hash(a.scoped);
    a.buyer = detail::hashed_string(a.view.buyer_id);
    const std::size_t home = key_home_of(a.key_hash);
    if (p.mine(home)) shards_[home]->keys_.prefetch(a.key_hash);
    const auto lines = a.view.lines();
    for (std::size_t i = 0; i < lines.size(); ++i) {
        a.owner[i] = static_cast<std::uint32_t>(sku_owner(lines[i].sku_id));
        if (p.mine(a.owner[i])) shards_[a.owner[i]]->stock_.prefetch_buyer(a.buyer);
    }
}

void engine::prepare_lines(order_ahead& a, const replay_part& p) {
    if (!a.decoded) return;
    const auto lines = a.view.lines();
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (p.mine(a.owner[i])) {
            a.hold[i] = shards_[a.owner[i]]->stock_.prepare_hold(lines[i].sku_id, a.buyer);
        }
    }
    a.prepared = true;
}

bool engine::replay_order(order_ahead& a, std::span<const std::byte> payload, replay_part& p) {
    if (!a.decoded) {
        p.error = "undecodable order record";
        return false;
    }
    if (!a.prepared) prepare_lines(a, p);
    const order_placed_view& o = a.view;
    // An unknown SKU stops start-up, so what was held before it is moot.
    const auto lines = o.lines();
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (!p.mine(a.owner[i])) continue;
        inventory& stock = shards_[a.owner[i]]->stock_;
        // A SKU created by a record inside the look-ahead was not there when prepared.
        if (a.hold[i].ordinal == inventory::absent) {
            a.hold[i] = stock.prepare_hold(lines[i].sku_id, a.buyer);
        }
        if (!stock.hold_prepared(a.hold[i], lines[i].qty)) {
            p.error = "order " + std::to_string(o.id) + " names unknown SKU " +
                      std::string(lines[i].sku_id);
            return false;
        }
    }
    p.max_order_seq = std::max(p.max_order_seq, o.id >> 8);
    order_store::entry* kept = nullptr;
    if (p.mine(order_home(o.id))) {
        kept = shards_[order_home(o.id)]->orders_.insert(o.id, o.status, payload,
                                                         payload_owner_ != nullptr);
        if (kept == nullptr) {
            p.error = "order id logged twice";
            return false;
        }
        shards_[order_home(o.id)]->hold_replayed(*kept, o.id, o.hold_expires_at_ms);
    }
    // Keys past their retention are not brought back: the key may be used again. A key whose
    // order this part just kept at the key's own home reads from that order; any other keeps
    // an entry with the order's id.
    if (o.created_at_ms + opts_.key_ttl_ms > p.now_ms) {
        const std::string& scoped = a.scoped;
        const std::uint64_t h = a.key_hash;
        const std::size_t home = key_home_of(h);
        if (kept != nullptr && home == order_home(o.id)) {
            shards_[home]->keys_.keep_order(scoped, h, shards_[home]->orders_.newest());
        } else if (key_entry* k = keep_key(scoped, h, o.created_at_ms, o.digest, p)) {
            k->order_id = o.id;
        }
    }
    // Only with rules on is the address parsed at all: replay speed is the common case.
    const bool rules = opts_.risk.any_per_buyer() || opts_.risk.any_per_ip();
    if (auto from = rules ? parse_ip(o.client_ip) : std::nullopt) {
        if (opts_.risk.any_per_buyer() && p.mine(buyer_home(o.buyer_id))) {
            shards_[buyer_home(o.buyer_id)]->risk_.record_buyer_order(o.buyer_id, *from,
                                                                      o.created_at_ms);
        }
        if (opts_.risk.any_per_ip() && p.mine(ip_home(*from))) {
            shards_[ip_home(*from)]->risk_.record_ip_order(*from, o.created_at_ms);
        }
    }
    return true;
}

// A logged move is applied as it was decided: the table must call it legal from the status
// the log put the order in, and its stock effect is applied without checks (a retake was
// checked live before it was logged).
bool engine::replay_move(const order_moved& e, replay_part& p) {
    const std::size_t home_index = order_home(e.order_id);
    if (!p.mine(home_index)) return true;
    shard& home = *shards_[home_index];
    order_store::entry* o = home.orders_.find(e.order_id);
    if (o == nullptr) {
        p.error = "move record for unknown order " + std::to_string(e.order_id);
        return false;
    }
    const move_rule rule = rule_for(o->status, e.step.to, e.step.by, e.step.restock);
    if (!rule.legal || o->history_size() >= limits::order_history_max) {
        p.error = "move record of order " + std::to_string(e.order_id) + " from " +
                  std::string(to_string(o->status)) + " to " + std::string(to_string(e.step.to)) +
                  " is not a legal move";
        return false;
    }
    if (rule.effect != stock_effect::none) {
        if (p.count != 0) {
            p.deferred[p.deferring].push_back({o, home_index, rule.effect});
        } else {
            apply_effect(rule.effect, home.orders_.placed_view(*o), p);
        }
    }
    home.apply_step(*o, e.step);
    return true;
}

void engine::apply_effect(stock_effect effect, const order_placed_view& placed,
                          const replay_part& p) {
    for (const order_placed_view::line& item : placed.lines()) {
        const std::size_t owner = sku_owner(item.sku_id);
        if (!p.mine(owner)) continue;
        const stock_line line{item.sku_id, item.qty};
        shards_[owner]->stock_.apply_effect(effect, placed.buyer_id, {&line, 1});
    }
}

void engine::replay_refusal(key_refused e, replay_part& p) {
    if (e.at_ms + opts_.key_ttl_ms <= p.now_ms) return;  // past its retention
    key_table::scope(p.scoped, e.client, e.idempotency_key);
    key_entry* k = keep_key(p.scoped, key_table::hash(p.scoped), e.at_ms, e.digest, p);
    if (k == nullptr) return;
    k->refusal = e.refusal;
    k->refused = std::make_unique<stored_refusal>(stored_refusal{
        .refused_sku = std::move(e.refused_sku), .request_id = std::move(e.request_id)});
}

// A key as a later record states it replaces what an earlier one said (a vacant key reused).
// Null when the key's home is not this part's.
key_entry* engine::keep_key(std::string_view scoped, std::uint64_t h, std::int64_t created_at_ms,
                            const body_digest& digest, replay_part& p) {
    const std::size_t home = key_home_of(h);
    if (!p.mine(home)) return nullptr;
    key_table& keys = shards_[home]->keys_;
    key_entry& k = keys.get_or_add(scoped, h);
    const std::uint32_t slot = k.slot;
    k = key_entry{.created_at_ms = created_at_ms, .digest = digest, .in_flight = false};
    k.slot = slot;
    keys.aged(k, created_at_ms);
    return &k;
}

// Every shard has its own copy of the block list.
bool engine::replay_block(std::span<const std::byte> payload, replay_part& p) {
    block_changed e;
    if (!decode(payload, e)) {
        p.error = "undecodable block list record";
        return false;
    }
    for (std::size_t i = 0; i < shards_.size(); ++i) {
        if (p.mine(i) && !shards_[i]->apply_block(e)) {
            p.error = "block list record with a bad IP network '" + e.value + "'";
            return false;
        }
    }
    return true;
}

bool engine::export_records(const record_sink& emit) const {
    FG_ASSERT(!pipeline_ || pipeline_->idle(), "M14 (a snapshot is taken of applied records only)");
    std::vector<std::byte> buf;
    bool ok = true;
    for (const auto& s : shards_) {
        s->stock_.for_each([&](const sku_state& sku) {
            if (!ok) return;
            encode(sku, buf);
            ok = emit(record_type::sku_upserted, buf);
        });
    }
    // Every shard has the whole block list; shard 0's copy speaks for all.
    const risk_guard& blocks = shards_.front()->risk_;
    blocks.for_each_blocked_buyer([&](std::string_view id) {
        if (!ok) return;
        encode(block_changed{.kind = block_kind::buyer, .value = std::string(id)}, buf);
        ok = emit(record_type::block_changed, buf);
    });
    blocks.for_each_blocked_network([&](const ip_network& net) {
        if (!ok) return;
        encode(block_changed{.kind = block_kind::network, .value = to_string(net)}, buf);
        ok = emit(record_type::block_changed, buf);
    });
    // Each order as it was logged, then its moves. The shards take turns, one order each, so
    // that a replay on one thread per shard finds work for every thread in every batch (each
    // shard's own orders, and so its keys' ages, keep their order).
    std::size_t most = 0;
    for (const auto& s : shards_) most = std::max(most, s->orders_.size());
    for (std::size_t n = 0; ok && n < most; ++n) {
        for (const auto& s : shards_) {
            if (n >= s->orders_.size()) continue;
            const order_store::entry& o = s->orders_.nth(n);
            ok = ok && emit(record_type::order_placed, s->orders_.placement(o));
            for (std::size_t i = 0; ok && i < o.moves().size(); ++i) {
                encode(order_moved{.order_id = order_store::id_of(o), .step = o.moves()[i]}, buf);
                ok = emit(record_type::order_moved, buf);
            }
        }
    }
    if (!ok) return false;
    // Logged refusals still within their retention (keys of orders come with the orders).
    for (const auto& s : shards_) {
        s->keys_.for_each_entry([&](std::string_view scoped, const key_entry& k) {
            if (!ok || k.in_flight || !refusal_is_logged(k.refusal) || !k.refused) return;
            const auto sep = scoped.find(key_table::scope_separator);
            encode(key_refused{.client = std::string(scoped.substr(0, sep)),
                               .idempotency_key = std::string(scoped.substr(sep + 1)),
                               .digest = k.digest,
                               .refusal = k.refusal,
                               .refused_sku = k.refused->refused_sku,
                               .request_id = k.refused->request_id,
                               .at_ms = k.created_at_ms},
                   buf);
            ok = emit(record_type::key_refused, buf);
        });
    }
    return ok;
}

bool engine::finish_replay(std::string& error) {
    if (!flush_replay(error)) return false;
    stop_parts();
    std::uint64_t max_order_seq = solo_ ? solo_->max_order_seq : 0;
    for (const auto& p : replay_parts_) max_order_seq = std::max(max_order_seq, p->max_order_seq);
    // Each shard is checked by the part that replayed it.
    std::vector<std::string> errors(shards_.size());
    const auto finish = [&](std::size_t s) {
        shard& sh = *shards_[s];
        if (!sh.stock_.check(errors[s])) return;
        sh.order_seq_ = max_order_seq;
    };
    if (replay_parts_.empty()) {
        for (std::size_t s = 0; s < shards_.size(); ++s) finish(s);
    } else {
        run_parts([&](std::size_t i) {
            for (std::size_t s = 0; s < shards_.size(); ++s) {
                if (replay_parts_[i]->mine(s)) finish(s);
            }
        });
    }
    for (std::string& e : errors) {
        if (e.empty()) continue;
        error = std::move(e);
        return false;
    }
    return true;
}

}  // namespace fg::matching
