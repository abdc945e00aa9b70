#include "matching/shard.hpp"

#include <algorithm>

#include "matching/assert.hpp"
#include "matching/engine.hpp"
#include "matching/event_codec.hpp"

namespace fg::matching {

// The items of one order that one shard owns.
struct shard::part {
    std::size_t owner = 0;
    std::vector<std::size_t> item_indices;  // into placement::req.items
    reservation reserved;
};

// An order on its way through reservation and the log. Lives on its home shard.
struct shard::placement {
    std::string key;
    order_request req;
    std::vector<part> parts;
    std::size_t parts_waiting = 0;
    // The key's entry, claimed at the start: elements of an unordered_map keep their address
    // across rehashing, so the durable step fills it in without hashing the key again.
    key_entry* claimed = nullptr;
    order placed;
    unique_function<void(place_result)> reply;
};

namespace {

std::vector<stock_line> lines_of(const std::vector<order_item_request>& items,
                                 const std::vector<std::size_t>& indices) {
    std::vector<stock_line> lines;
    lines.reserve(indices.size());
    for (std::size_t i : indices) lines.push_back({items[i].sku_id, items[i].qty});
    return lines;
}

outcome refusal_of(append_status s) {
    switch (s) {
        case append_status::full:
            return outcome::overloaded;
        case append_status::no_space:
            return outcome::disk_full;
        case append_status::ok:
        case append_status::failed:
            break;
    }
    return outcome::log_failed;
}

// The log's state as a refusal of a new write (ok when it can take one). Checked before a write
// touches anything, so that a full disk leaves no reservation and no record behind.
outcome log_refusal(const journal& log) {
    if (log.failed()) return outcome::log_failed;
    if (log.no_space()) return outcome::disk_full;
    return outcome::ok;
}

}  // namespace

shard::shard(engine& eng, std::size_t index) : engine_(eng), index_(index) {}

shard::~shard() = default;

std::size_t shard::poll(std::size_t max_tasks) {
    const std::size_t ran = inbox_.drain(max_tasks);
    return ran + complete_durable_waits();
}

void shard::when_durable(std::uint64_t end_pos, unique_function<void(bool)> then) {
    FG_ASSERT(durable_waits_.empty() || durable_waits_.back().end_pos < end_pos,
              "M9 (a shard's appends end in increasing positions)");
    durable_waits_.push_back({end_pos, std::move(then)});
    complete_durable_waits();
}

std::size_t shard::complete_durable_waits() {
    if (durable_waits_.empty()) return 0;
    std::size_t completed = 0;
    const journal& log = engine_.log();
    const std::uint64_t durable = log.durable_pos();
    while (!durable_waits_.empty() && durable_waits_.front().end_pos <= durable) {
        auto then = std::move(durable_waits_.front().then);
        durable_waits_.pop_front();
        ++completed;
        then(true);
    }
    // Fail-stop (S-invariants): nothing after a failed sync is ever acknowledged.
    while (!durable_waits_.empty() && log.failed()) {
        auto then = std::move(durable_waits_.front().then);
        durable_waits_.pop_front();
        ++completed;
        then(false);
    }
    return completed;
}

std::uint64_t shard::next_order_id() { return (++order_seq_ << 8) | index_; }

// --- orders -------------------------------------------------------------------------------

void shard::place_order(std::string idempotency_key, order_request req,
                        unique_function<void(place_result)> done) {
    const std::size_t home = engine_.key_home(idempotency_key);
    call<place_result>(
        home,
        [key = std::move(idempotency_key), req = std::move(req)](
            shard& h, unique_function<void(place_result)> reply) mutable {
            h.place_at_home(std::move(key), std::move(req), std::move(reply));
        },
        std::move(done));
}

void shard::place_at_home(std::string key, order_request req,
                          unique_function<void(place_result)> reply) {
    if (auto it = keys_.find(key); it != keys_.end()) {
        if (it->second.order_id == 0) {
            reply(place_result{.result = outcome::request_in_progress});
        } else {
            replay_existing(it->second.order_id, std::move(reply));
        }
        return;
    }
    if (const outcome o = log_refusal(engine_.log()); o != outcome::ok) {
        return reply(place_result{.result = o});
    }
    if (pending_ >= engine_.options().pending_max) {
        return reply(place_result{.result = outcome::overloaded});
    }
    key_entry* claimed = &keys_.emplace(key, key_entry{}).first->second;
    ++pending_;
    auto p = std::make_unique<placement>();
    p->claimed = claimed;
    p->key = std::move(key);
    p->req = std::move(req);
    p->reply = std::move(reply);
    for (std::size_t i = 0; i < p->req.items.size(); ++i) {
        const std::size_t owner = engine_.sku_owner(p->req.items[i].sku_id);
        auto it = std::find_if(p->parts.begin(), p->parts.end(),
                               [owner](const part& pt) { return pt.owner == owner; });
        if (it == p->parts.end()) it = p->parts.insert(p->parts.end(), part{.owner = owner});
        it->item_indices.push_back(i);
    }
    p->parts_waiting = p->parts.size();
    const std::uint64_t txn = next_txn_++;
    placements_.emplace(txn, std::move(p));
    reserve_parts(txn);
}

void shard::reserve_parts(std::uint64_t txn) {
    placement& p = *placements_.at(txn);
    // Copy each part's lines out first: the owner shard reads them on its own thread, and once
    // the calls start `p` may be gone (a part this shard owns is answered inline, and the
    // last answer finishes the placement).
    std::vector<std::pair<std::size_t, std::vector<order_item_request>>> requests;
    for (const part& pt : p.parts) {
        std::vector<order_item_request> items;
        for (std::size_t i : pt.item_indices) items.push_back(p.req.items[i]);
        requests.emplace_back(pt.owner, std::move(items));
    }
    const std::string buyer = p.req.buyer_id;
    for (std::size_t pi = 0; pi < requests.size(); ++pi) {
        call<reservation>(
            requests[pi].first,
            [buyer, items = std::move(requests[pi].second)](
                shard& owner, unique_function<void(reservation)> reply) mutable {
                std::vector<std::size_t> all(items.size());
                for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
                auto lines = lines_of(items, all);
                reply(owner.stock_.reserve(buyer, lines, owner.engine_.time().now_ms()));
            },
            [this, txn, pi](reservation res) { on_part_reserved(txn, pi, std::move(res)); });
    }
}

void shard::on_part_reserved(std::uint64_t txn, std::size_t part_index, reservation res) {
    placement& p = *placements_.at(txn);
    p.parts[part_index].reserved = std::move(res);
    FG_ASSERT(p.parts_waiting > 0, "M10 (one reply per part)");
    if (--p.parts_waiting == 0) commit_placement(txn);
}

void shard::commit_placement(std::uint64_t txn) {
    placement& p = *placements_.at(txn);
    place_result refusal{.result = outcome::ok};
    for (const part& pt : p.parts) {
        const reservation& r = pt.reserved;
        if (r.result != outcome::ok &&
            (refusal.result == outcome::ok || r.result < refusal.result)) {
            refusal.result = r.result;
            refusal.refused_sku = r.refused_sku;
        }
    }
    order& o = p.placed;
    if (refusal.result == outcome::ok) {
        o.items.resize(p.req.items.size());
        for (const part& pt : p.parts) {
            for (std::size_t k = 0; k < pt.item_indices.size(); ++k) {
                const order_item_request& in = p.req.items[pt.item_indices[k]];
                o.items[pt.item_indices[k]] = {in.sku_id, in.qty, pt.reserved.unit_prices[k]};
            }
        }
        o.total.currency = o.items.front().unit_price.currency;
        for (const order_item& item : o.items) {
            if (item.unit_price.currency != o.total.currency) {
                refusal.result = outcome::mixed_currency;
                refusal.refused_sku = item.sku_id;
                break;
            }
            o.total.amount_minor += item.qty * item.unit_price.amount_minor;
        }
    }
    if (refusal.result != outcome::ok) return finish_placement(txn, std::move(refusal));

    const std::int64_t now = engine_.time().now_ms();
    o.id = next_order_id();
    o.idempotency_key = p.key;
    o.buyer_id = p.req.buyer_id;
    o.payment_method = p.req.payment_method;
    o.buyer_contact = p.req.buyer_contact;
    o.created_at_ms = o.updated_at_ms = now;
    o.hold_expires_at_ms = now + engine_.options().hold_ms;
    encode(o, scratch_);
    append_ticket ticket =
        engine_.log().append(static_cast<std::uint16_t>(record_type::order_placed), scratch_);
    if (ticket.status != append_status::ok) {
        return finish_placement(txn, place_result{.result = refusal_of(ticket.status)});
    }
    when_durable(ticket.end_pos, [this, txn](bool durable) {
        if (!durable) return finish_placement(txn, place_result{.result = outcome::log_failed});
        placement& done = *placements_.at(txn);
        done.claimed->order_id = done.placed.id;
        // One copy: the kept order is moved in, the reply gets a copy of it.
        auto kept = orders_.emplace(done.placed.id, std::move(done.placed)).first;
        finish_placement(txn, place_result{.result = outcome::ok, .placed = kept->second});
    });
}

// Answers the placement; a refused one first gives back whatever its parts reserved, so that
// the refusal leaves no trace in any count (M3) by the time the client sees it.
void shard::finish_placement(std::uint64_t txn, place_result result) {
    auto node = placements_.extract(txn);
    FG_ASSERT(!node.empty(), "M10 (a placement finishes once)");
    std::unique_ptr<placement> p = std::move(node.mapped());
    ++orders_by_outcome_[static_cast<std::size_t>(result.result)];
    if (result.result == outcome::ok) {
        --pending_;
        return p->reply(std::move(result));
    }
    keys_.erase(p->key);
    std::vector<order_item> held;
    for (const part& pt : p->parts) {
        if (pt.reserved.result != outcome::ok) continue;
        for (std::size_t i : pt.item_indices)
            held.push_back({p->req.items[i].sku_id, p->req.items[i].qty, {}});
    }
    placement& ref = *p;
    release_lines(ref.req.buyer_id, held,
                  [this, p = std::move(p), result = std::move(result)]() mutable {
                      --pending_;
                      p->reply(std::move(result));
                  });
}

void shard::release_lines(const std::string& buyer_id, const std::vector<order_item>& items,
                          task then) {
    std::vector<std::vector<order_item_request>> by_owner(engine_.shard_count());
    for (const order_item& item : items) {
        by_owner[engine_.sku_owner(item.sku_id)].push_back({item.sku_id, item.qty});
    }
    auto waiting = std::make_shared<std::size_t>(0);
    auto then_shared = std::make_shared<task>(std::move(then));
    for (const auto& lines : by_owner) *waiting += lines.empty() ? 0 : 1;
    if (*waiting == 0) return (*then_shared)();
    for (std::size_t owner = 0; owner < by_owner.size(); ++owner) {
        if (by_owner[owner].empty()) continue;
        call<bool>(
            owner,
            [buyer = buyer_id, items = std::move(by_owner[owner])](
                shard& s, unique_function<void(bool)> reply) {
                std::vector<std::size_t> all(items.size());
                for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
                auto lines = lines_of(items, all);
                s.stock_.release(buyer, lines);
                reply(true);
            },
            [waiting, then_shared](bool) {
                if (--*waiting == 0) (*then_shared)();
            });
    }
}

void shard::replay_existing(std::uint64_t order_id, unique_function<void(place_result)> reply) {
    call<order_result>(
        engine_.order_home(order_id),
        [order_id](shard& h, unique_function<void(order_result)> r) {
            auto it = h.orders_.find(order_id);
            FG_ASSERT(it != h.orders_.end(), "M11 (an idempotency key names a kept order)");
            r(order_result{.value = it->second});
        },
        [reply = std::move(reply)](order_result r) mutable {
            reply(place_result{.placed = std::move(r.value), .replayed = true});
        });
}

void shard::get_order(std::uint64_t order_id, unique_function<void(order_result)> done) {
    call<order_result>(
        engine_.order_home(order_id),
        [order_id](shard& h, unique_function<void(order_result)> reply) {
            auto it = h.orders_.find(order_id);
            if (it == h.orders_.end())
                return reply(order_result{.result = outcome::order_not_found});
            reply(order_result{.value = it->second});
        },
        std::move(done));
}

void shard::cancel_order(std::uint64_t order_id, unique_function<void(order_result)> done) {
    call<order_result>(
        engine_.order_home(order_id),
        [order_id](shard& h, unique_function<void(order_result)> reply) {
            h.cancel_at_home(order_id, std::move(reply));
        },
        std::move(done));
}

void shard::cancel_at_home(std::uint64_t order_id, unique_function<void(order_result)> reply) {
    auto it = orders_.find(order_id);
    if (it == orders_.end()) return reply(order_result{.result = outcome::order_not_found});
    if (orders_moving_.contains(order_id)) {
        return reply(order_result{.result = outcome::request_in_progress, .value = it->second});
    }
    if (it->second.status != order_status::pending_payment) {
        return reply(order_result{.result = outcome::illegal_transition, .value = it->second});
    }
    if (const outcome o = log_refusal(engine_.log()); o != outcome::ok) {
        return reply(order_result{.result = o});
    }
    const std::int64_t now = engine_.time().now_ms();
    encode(order_cancelled{order_id, now}, scratch_);
    append_ticket ticket =
        engine_.log().append(static_cast<std::uint16_t>(record_type::order_cancelled), scratch_);
    if (ticket.status != append_status::ok) {
        return reply(order_result{.result = refusal_of(ticket.status)});
    }
    orders_moving_.insert(order_id);
    ++pending_;
    // Stock goes back only once the cancel is durable: a unit freed earlier could be sold to
    // someone else and then, after a crash, be held by this order again (M1).
    when_durable(ticket.end_pos, [this, order_id, now,
                                  reply = std::move(reply)](bool durable) mutable {
        orders_moving_.erase(order_id);
        order& o = orders_.at(order_id);
        if (!durable) {
            --pending_;
            return reply(order_result{.result = outcome::log_failed, .value = o});
        }
        o.status = order_status::cancelled;
        o.updated_at_ms = now;
        release_lines(o.buyer_id, o.items, [this, order_id, reply = std::move(reply)]() mutable {
            --pending_;
            reply(order_result{.value = orders_.at(order_id)});
        });
    });
}

// --- SKUs ---------------------------------------------------------------------------------

void shard::put_sku(std::string sku_id, sku_spec spec, unique_function<void(sku_result)> done) {
    const std::size_t owner = engine_.sku_owner(sku_id);
    call<sku_result>(
        owner,
        [id = std::move(sku_id), spec = std::move(spec)](
            shard& s, unique_function<void(sku_result)> reply) mutable {
            s.put_sku_at_owner(std::move(id), spec, std::move(reply));
        },
        std::move(done));
}

void shard::put_sku_at_owner(std::string sku_id, const sku_spec& spec,
                             unique_function<void(sku_result)> reply) {
    if (const outcome o = log_refusal(engine_.log()); o != outcome::ok) {
        return reply(sku_result{.result = o});
    }
    if (pending_ >= engine_.options().pending_max) {
        return reply(sku_result{.result = outcome::overloaded});
    }
    sku_state next;
    outcome o = stock_.plan_upsert(sku_id, spec, engine_.time().now_ms(), next);
    if (o != outcome::ok) return reply(sku_result{.result = o});
    encode(next, scratch_);
    append_ticket ticket =
        engine_.log().append(static_cast<std::uint16_t>(record_type::sku_upserted), scratch_);
    if (ticket.status != append_status::ok) {
        return reply(sku_result{.result = refusal_of(ticket.status)});
    }
    // Applied before it is durable so that the log's order is the memory's order for this SKU;
    // the reply waits for durability. A failed log stops intake, so the two never diverge in
    // anything acknowledged.
    const bool created = stock_.find(sku_id) == nullptr;
    stock_.apply_upsert(next);
    ++pending_;
    when_durable(ticket.end_pos, [this, id = std::move(sku_id), created,
                                  reply = std::move(reply)](bool durable) mutable {
        --pending_;
        if (!durable) return reply(sku_result{.result = outcome::log_failed});
        reply(sku_result{.sku = *stock_.find(id), .created = created});
    });
}

void shard::get_sku(std::string sku_id, unique_function<void(sku_result)> done) {
    const std::size_t owner = engine_.sku_owner(sku_id);  // before sku_id is moved from
    call<sku_result>(
        owner,
        [id = std::move(sku_id)](shard& s, unique_function<void(sku_result)> reply) {
            const sku_state* found = s.stock_.find(id);
            if (found == nullptr) return reply(sku_result{.result = outcome::unknown_sku});
            reply(sku_result{.sku = *found});
        },
        std::move(done));
}

void shard::adjust_stock(std::string sku_id, std::int64_t delta,
                         unique_function<void(sku_result)> done) {
    const std::size_t owner = engine_.sku_owner(sku_id);  // before sku_id is moved from
    call<sku_result>(
        owner,
        [id = std::move(sku_id), delta](shard& s, unique_function<void(sku_result)> reply) mutable {
            s.adjust_at_owner(std::move(id), delta, std::move(reply));
        },
        std::move(done));
}

void shard::adjust_at_owner(std::string sku_id, std::int64_t delta,
                            unique_function<void(sku_result)> reply) {
    if (const outcome o = log_refusal(engine_.log()); o != outcome::ok) {
        return reply(sku_result{.result = o});
    }
    if (pending_ >= engine_.options().pending_max) {
        return reply(sku_result{.result = outcome::overloaded});
    }
    outcome o = stock_.plan_adjust(sku_id, delta);
    if (o != outcome::ok) return reply(sku_result{.result = o});
    const std::int64_t now = engine_.time().now_ms();
    encode(stock_adjusted{sku_id, delta, now}, scratch_);
    append_ticket ticket =
        engine_.log().append(static_cast<std::uint16_t>(record_type::stock_adjusted), scratch_);
    if (ticket.status != append_status::ok) {
        return reply(sku_result{.result = refusal_of(ticket.status)});
    }
    stock_.apply_adjust(sku_id, delta, now);
    ++pending_;
    when_durable(ticket.end_pos,
                 [this, id = std::move(sku_id), reply = std::move(reply)](bool durable) mutable {
                     --pending_;
                     if (!durable) return reply(sku_result{.result = outcome::log_failed});
                     reply(sku_result{.sku = *stock_.find(id)});
                 });
}

}  // namespace fg::matching
