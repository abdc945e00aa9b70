#include "matching/engine.hpp"

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

std::size_t engine::key_home(std::string_view scoped_key) const {
    return (fnv1a(scoped_key) >> 7) % shards_.size();
}

std::size_t engine::buyer_home(std::string_view buyer_id) const {
    return (fnv1a(buyer_id) >> 13) % shards_.size();
}

std::size_t engine::ip_home(const ip_address& from) const {
    return (hash_of(ip_rule_key(from)) >> 3) % shards_.size();
}

std::string engine::scoped_key(std::string_view client, std::string_view key) {
    std::string out;
    out.reserve(client.size() + 1 + key.size());
    out.append(client).push_back('\x1f');
    out.append(key);
    return out;
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
        case record_type::order_moved: {
            order_moved e;
            if (!decode(payload, e)) break;
            return replay_move(e, error);
        }
        case record_type::block_changed:
            return replay_block(payload, error);
        case record_type::key_refused: {
            key_refused e;
            if (!decode(payload, e)) break;
            replay_refusal(std::move(e));
            return true;
        }
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
    // Keys past their retention are not brought back: the key may be used again.
    if (o.created_at_ms + opts_.key_ttl_ms > clock_.now_ms()) {
        std::string scoped = scoped_key(o.client, o.idempotency_key);
        shard& kh = *shards_[key_home(scoped)];
        auto& slot = *kh.keys_.insert_or_assign(std::move(scoped), shard::key_entry{}).first;
        slot.second.order_id = o.id;
        slot.second.created_at_ms = o.created_at_ms;
        slot.second.digest = o.digest;
        slot.second.in_flight = false;
        kh.key_ages_.emplace_back(o.created_at_ms, &slot);
    }
    // Only with rules on is the address parsed at all: replay speed is the common case.
    const bool rules = opts_.risk.any_per_buyer() || opts_.risk.any_per_ip();
    if (auto from = rules ? parse_ip(o.client_ip) : std::nullopt) {
        if (opts_.risk.any_per_buyer()) {
            shards_[buyer_home(o.buyer_id)]->risk_.record_buyer_order(o.buyer_id, *from,
                                                                      o.created_at_ms);
        }
        if (opts_.risk.any_per_ip()) {
            shards_[ip_home(*from)]->risk_.record_ip_order(*from, o.created_at_ms);
        }
    }
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
    return replay_move(
        {.order_id = e.order_id,
         .step = {.to = order_status::cancelled, .by = actor::buyer, .at_ms = e.at_ms}},
        error);
}

// A logged move is applied as it was decided: the table must call it legal from the status
// the log put the order in, and its stock effect is applied without checks (a retake was
// checked live before it was logged).
bool engine::replay_move(const order_moved& e, std::string& error) {
    shard& home = *shards_[order_home(e.order_id)];
    auto it = home.orders_.find(e.order_id);
    if (it == home.orders_.end()) {
        error = "move record for unknown order " + std::to_string(e.order_id);
        return false;
    }
    order& o = it->second;
    const move_rule rule = rule_for(o.status, e.step.to, e.step.by, e.step.restock);
    if (!rule.legal || o.history.size() >= limits::order_history_max) {
        error = "move record of order " + std::to_string(e.order_id) + " from " +
                std::string(to_string(o.status)) + " to " + std::string(to_string(e.step.to)) +
                " is not a legal move";
        return false;
    }
    apply_effect(rule.effect, o);
    home.apply_step(o, e.step);
    return true;
}

void engine::apply_effect(stock_effect effect, const order& o) {
    if (effect == stock_effect::none) return;
    for (const stock_line& line : lines_of(o)) {
        shards_[sku_owner(line.sku_id)]->stock_.apply_effect(effect, o.buyer_id, {&line, 1});
    }
}

void engine::replay_refusal(key_refused e) {
    if (e.at_ms + opts_.key_ttl_ms <= clock_.now_ms()) return;  // past its retention
    std::string scoped = scoped_key(e.client, e.idempotency_key);
    shard& kh = *shards_[key_home(scoped)];
    auto& slot = *kh.keys_.insert_or_assign(std::move(scoped), shard::key_entry{}).first;
    shard::key_entry& k = slot.second;
    k.created_at_ms = e.at_ms;
    k.digest = e.digest;
    k.in_flight = false;
    k.refusal = e.refusal;
    k.refused = std::make_unique<shard::stored_refusal>(shard::stored_refusal{
        .refused_sku = std::move(e.refused_sku), .request_id = std::move(e.request_id)});
    kh.key_ages_.emplace_back(e.at_ms, &slot);
}

bool engine::replay_block(std::span<const std::byte> payload, std::string& error) {
    block_changed e;
    if (!decode(payload, e)) {
        error = "undecodable block list record";
        return false;
    }
    for (auto& s : shards_) {
        if (!s->apply_block(e)) {
            error = "block list record with a bad IP network '" + e.value + "'";
            return false;
        }
    }
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
    for (const auto& s : shards_) {
        for (const auto& [id, o] : s->orders_) {
            if (!ok) return false;
            encode(o, buf);
            ok = emit(record_type::order_placed, buf);
            for (std::size_t i = 1; ok && i < o.history.size(); ++i) {
                encode(order_moved{.order_id = id, .step = o.history[i]}, buf);
                ok = emit(record_type::order_moved, buf);
            }
        }
    }
    // Logged refusals still within their retention (keys of orders come with the orders).
    for (const auto& s : shards_) {
        for (const auto& [scoped, k] : s->keys_) {
            if (!ok) return false;
            if (k.in_flight || !refusal_is_logged(k.refusal) || !k.refused) continue;
            const auto sep = scoped.find('\x1f');
            encode(key_refused{.client = scoped.substr(0, sep),
                               .idempotency_key = scoped.substr(sep + 1),
                               .digest = k.digest,
                               .refusal = k.refusal,
                               .refused_sku = k.refused->refused_sku,
                               .request_id = k.refused->request_id,
                               .at_ms = k.created_at_ms},
                   buf);
            ok = emit(record_type::key_refused, buf);
        }
    }
    return ok;
}

bool engine::finish_replay(std::string& error) {
    for (auto& s : shards_) {
        if (!s->stock_.check(error)) return false;
        s->order_seq_ = max_order_seq_;
        // Holds still open get their timers now, once, rather than every order placed in the
        // log getting one during replay.
        for (const auto& [id, o] : s->orders_) {
            if (o.status == order_status::pending_payment) {
                s->holds_.schedule(o.hold_expires_at_ms, id);
            }
        }
    }
    return true;
}

}  // namespace fg::matching
