#include "matching/engine.hpp"

#include "matching/assert.hpp"
#include "matching/event_codec.hpp"

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

std::vector<stock_line> lines_of(const order& o) {
    std::vector<stock_line> lines;
    for (const order_item& item : o.items) lines.push_back({item.sku_id, item.qty});
    return lines;
}

}  // namespace

engine::engine(const engine_options& opts, const clock& clk, journal& log)
    : opts_(opts), clock_(clk), journal_(log) {
    FG_ASSERT(opts.shard_count >= 1 && opts.shard_count <= 256, "M8 (1..256 shards)");
    for (std::size_t i = 0; i < opts.shard_count; ++i) {
        shards_.push_back(std::make_unique<shard>(*this, i));
    }
}

std::size_t engine::sku_owner(std::string_view sku_id) const {
    return fnv1a(sku_id) % shards_.size();
}

std::size_t engine::key_home(std::string_view idempotency_key) const {
    return (fnv1a(idempotency_key) >> 7) % shards_.size();
}

std::size_t engine::order_home(std::uint64_t order_id) const {
    return (order_id & 0xff) % shards_.size();
}

bool engine::replay(std::uint16_t type, std::span<const std::byte> payload, std::string& error) {
    switch (static_cast<record_type>(type)) {
        case record_type::sku_upserted: {
            sku_state s;
            if (!decode(payload, s)) break;
            shards_[sku_owner(s.id)]->stock_.apply_upsert(s);
            return true;
        }
        case record_type::stock_adjusted: {
            stock_adjusted e;
            if (!decode(payload, e)) break;
            inventory& inv = shards_[sku_owner(e.sku_id)]->stock_;
            if (inv.find(e.sku_id) == nullptr) {
                error = "stock record for unknown SKU " + e.sku_id;
                return false;
            }
            inv.apply_adjust(e.sku_id, e.delta, e.at_ms);
            return true;
        }
        case record_type::order_placed:
            return replay_order(payload, error);
        case record_type::order_cancelled:
            return replay_cancel(payload, error);
        case record_type::order_moved:
        case record_type::block_changed:
            error = "record type " + std::to_string(type) + " is not replayed yet";
            return false;
    }
    if (error.empty()) error = "undecodable record of type " + std::to_string(type);
    return false;
}

bool engine::replay_order(std::span<const std::byte> payload, std::string& error) {
    order o;
    if (!decode(payload, o)) {
        error = "undecodable order record";
        return false;
    }
    // One lookup per line. An unknown SKU stops start-up, so what was held before it is moot.
    for (const order_item& item : o.items) {
        if (!shards_[sku_owner(item.sku_id)]->stock_.hold_line(o.buyer_id,
                                                               {item.sku_id, item.qty})) {
            error = "order " + std::to_string(o.id) + " names unknown SKU " + item.sku_id;
            return false;
        }
    }
    max_order_seq_ = std::max(max_order_seq_, o.id >> 8);
    shards_[key_home(o.idempotency_key)]->keys_[o.idempotency_key] = {o.id};
    shard& home = *shards_[order_home(o.id)];
    if (!home.orders_.emplace(o.id, std::move(o)).second) {
        error = "order id logged twice";
        return false;
    }
    return true;
}

bool engine::replay_cancel(std::span<const std::byte> payload, std::string& error) {
    order_cancelled e;
    if (!decode(payload, e)) {
        error = "undecodable cancel record";
        return false;
    }
    shard& home = *shards_[order_home(e.order_id)];
    auto it = home.orders_.find(e.order_id);
    if (it == home.orders_.end() || it->second.status != order_status::pending_payment) {
        error = "cancel record for an order that is missing or not pending";
        return false;
    }
    order& o = it->second;
    for (const stock_line& line : lines_of(o)) {
        shards_[sku_owner(line.sku_id)]->stock_.release(o.buyer_id, {&line, 1});
    }
    o.status = order_status::cancelled;
    o.updated_at_ms = e.at_ms;
    return true;
}

bool engine::export_records(const record_sink& emit) const {
    std::vector<std::byte> buf;
    bool ok = true;
    for (const auto& s : shards_) {
        s->stock_.for_each([&](const sku_state& sku) {
            if (!ok) return;
            encode(sku, buf);
            ok = emit(record_type::sku_upserted, buf);
        });
    }
    for (const auto& s : shards_) {
        for (const auto& [id, o] : s->orders_) {
            if (!ok) return false;
            encode(o, buf);
            ok = emit(record_type::order_placed, buf);
            if (ok && o.status == order_status::cancelled) {
                encode(order_cancelled{.order_id = id, .at_ms = o.updated_at_ms}, buf);
                ok = emit(record_type::order_cancelled, buf);
            }
        }
    }
    return ok;
}

bool engine::finish_replay(std::string& error) {
    for (auto& s : shards_) {
        if (!s->stock_.check(error)) return false;
        s->order_seq_ = max_order_seq_;
    }
    return true;
}

}  // namespace fg::matching
