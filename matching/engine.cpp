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
    // Read in place: the store keeps the payload's bytes, nothing is built from them here.
    order_placed_view o;
    if (!decode(payload, o)) {
        error = "undecodable order record";
        return false;
    }
    // One lookup per line. An unknown SKU stops start-up, so what was held before it is moot.
    for (const order_placed_view::line& item : o.lines()) {
        if (!shards_[sku_owner(item.sku_id)]->stock_.hold_line(o.buyer_id,
                                                               {item.sku_id, item.qty})) {
            error =
                "order " + std::to_string(o.id) + " names unknown SKU " + std::string(item.sku_id);
            return false;
        }
    }
    shard& home = *shards_[order_home(o.id)];
    if (home.orders_.insert(o.id, o.status, o.created_at_ms, o.hold_expires_at_ms, payload) ==
        nullptr) {
        error = "order id logged twice";
        return false;
    }
    max_order_seq_ = std::max(max_order_seq_, o.id >> 8);
    // Keys past their retention are not brought back: the key may be used again.
    if (o.created_at_ms + opts_.key_ttl_ms > clock_.now_ms()) {
        keep_key(o.client, o.idempotency_key, o.created_at_ms, o.digest).order_id = o.id;
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
    order_store::entry* o = home.orders_.find(e.order_id);
    if (o == nullptr) {
        error = "move record for unknown order " + std::to_string(e.order_id);
        return false;
    }
    const move_rule rule = rule_for(o->status, e.step.to, e.step.by, e.step.restock);
    if (!rule.legal || o->history_size() >= limits::order_history_max) {
        error = "move record of order " + std::to_string(e.order_id) + " from " +
                std::string(to_string(o->status)) + " to " + std::string(to_string(e.step.to)) +
                " is not a legal move";
        return false;
    }
    if (rule.effect != stock_effect::none) {
        order_placed_view placed;
        const bool decoded = decode(home.orders_.placement(*o), placed);
        FG_ASSERT(decoded, "M13 (a kept placement decodes: it was checked when kept)");
        apply_effect(rule.effect, placed);
    }
    home.apply_step(*o, e.step);
    return true;
}

void engine::apply_effect(stock_effect effect, const order_placed_view& placed) {
    for (const order_placed_view::line& item : placed.lines()) {
        const stock_line line{item.sku_id, item.qty};
        shards_[sku_owner(line.sku_id)]->stock_.apply_effect(effect, placed.buyer_id, {&line, 1});
    }
}

void engine::replay_refusal(key_refused e) {
    if (e.at_ms + opts_.key_ttl_ms <= clock_.now_ms()) return;  // past its retention
    key_entry& k = keep_key(e.client, e.idempotency_key, e.at_ms, e.digest);
    k.refusal = e.refusal;
    k.refused = std::make_unique<stored_refusal>(stored_refusal{
        .refused_sku = std::move(e.refused_sku), .request_id = std::move(e.request_id)});
}

// A key as a later record states it replaces what an earlier one said (a vacant key reused).
key_entry& engine::keep_key(std::string_view client, std::string_view key,
                            std::int64_t created_at_ms, const body_digest& digest) {
    std::string& scoped = replay_key_;  // reused: no allocation per record
    scoped.assign(client).push_back('\x1f');
    scoped.append(key);
    shard& kh = *shards_[key_home(scoped)];
    key_entry& k = kh.keys_.get_or_add(scoped, key_table::hash(scoped));
    const std::uint32_t slot = k.slot;
    k = key_entry{.created_at_ms = created_at_ms, .digest = digest, .in_flight = false};
    k.slot = slot;
    kh.keys_.aged(k, created_at_ms);
    return k;
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
    // Each order as it was logged, then its moves.
    for (const auto& s : shards_) {
        s->orders_.for_each([&](const order_store::entry& o) {
            if (!ok) return;
            ok = emit(record_type::order_placed, s->orders_.placement(o));
            for (std::size_t i = 0; ok && i < o.moves.size(); ++i) {
                encode(order_moved{.order_id = o.id, .step = o.moves[i]}, buf);
                ok = emit(record_type::order_moved, buf);
            }
        });
        if (!ok) return false;
    }
    // Logged refusals still within their retention (keys of orders come with the orders).
    for (const auto& s : shards_) {
        s->keys_.for_each([&](std::string_view scoped, const key_entry& k) {
            if (!ok || k.in_flight || !refusal_is_logged(k.refusal) || !k.refused) return;
            const auto sep = scoped.find('\x1f');
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
    for (auto& s : shards_) {
        if (!s->stock_.check(error)) return false;
        s->order_seq_ = max_order_seq_;
        // Holds still open get their timers now, once, rather than every order placed in the
        // log getting one during replay.
        s->orders_.for_each([&s](const order_store::entry& o) {
            if (o.status == order_status::pending_payment) {
                s->holds_.schedule(o.hold_expires_at_ms, o.id);
            }
        });
    }
    return true;
}

}  // namespace fg::matching
