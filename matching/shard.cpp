#include "matching/shard.hpp"

#include <algorithm>

#include "matching/assert.hpp"
#include "matching/engine.hpp"
#include "matching/event_codec.hpp"
#include "matching/limits.hpp"

namespace fg::matching {

// The items of one order that one shard owns.
struct shard::part {
    std::size_t owner = 0;
    std::vector<std::size_t> item_indices;  // into placement::req.items
    reservation reserved;
    bool answered = false;  // the owner replied: `reserved` is its answer (else nothing held)
};

// An order on its way through reservation and the log. Lives on its home shard.
struct shard::placement {
    placement_context ctx;
    order_request req;
    std::optional<ip_address> from;  // ctx.client_ip parsed, when it parses
    order_status initial = order_status::pending_payment;
    std::string review_rule;  // the rule that sent it to risk_review
    std::vector<part> parts;
    std::size_t parts_waiting = 0;
    // The key's entry, claimed at the start: entries of the key table do not move, so the
    // durable step fills it in without hashing the key again.
    key_entry* claimed = nullptr;
    order placed;
    std::vector<std::byte> record;  // its order_placed payload, kept once durable
    unique_function<void(place_result)> reply;
};

namespace {

std::vector<stock_line> lines_of(const std::vector<order_item_request>& items) {
    std::vector<stock_line> lines;
    lines.reserve(items.size());
    for (const order_item_request& item : items) lines.push_back({item.sku_id, item.qty});
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

// The risk rule's verdict as the refusal or the status a placement gets.
outcome refusal_of(const risk_decision& d) {
    switch (d.verdict) {
        case risk_verdict::blocked:
            return outcome::blocked;
        case risk_verdict::rate_limited:
            return outcome::rate_limited;
        case risk_verdict::reject:
            return outcome::risk_rejected;
        case risk_verdict::allow:
        case risk_verdict::review:
            break;
    }
    return outcome::ok;
}

}  // namespace

shard::shard(engine& eng, std::size_t index)
    : engine_(eng),
      index_(index),
      holds_(eng.time().now_ms()),
      risk_(eng.options().risk),
      keys_(orders_) {}

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

void shard::place_order(placement_context ctx, order_request req,
                        unique_function<void(place_result)> done) {
    std::string key = engine::scoped_key(ctx.client, ctx.idempotency_key);
    const std::uint64_t key_hash = key_table::hash(key);
    call<place_result>(
        engine_.key_home_of(key_hash),
        [key = std::move(key), key_hash, ctx = std::move(ctx), req = std::move(req)](
            shard& h, unique_function<void(place_result)> reply) mutable {
            h.place_at_home(std::move(key), key_hash, std::move(ctx), std::move(req),
                            std::move(reply));
        },
        std::move(done));
}

void shard::place_at_home(std::string key, std::uint64_t key_hash, placement_context ctx,
                          order_request req, unique_function<void(place_result)> reply) {
    const std::int64_t now = engine_.time().now_ms();
    const key_found found = keys_.find(key, key_hash);
    if (found.order != nullptr) {
        // The key created an order kept here: its placement holds the key's digest.
        if (order_store::placed_view(*found.order).digest != ctx.digest) {
            return reply(place_result{.result = outcome::idempotency_mismatch});
        }
        return replay_existing(order_store::id_of(*found.order), std::move(reply));
    }
    key_entry* slot = found.entry;
    if (slot != nullptr && !slot->vacant()) {
        const key_entry& k = *slot;
        if (k.in_flight) return reply(place_result{.result = outcome::request_in_progress});
        if (k.digest != ctx.digest) {
            return reply(place_result{.result = outcome::idempotency_mismatch});
        }
        if (k.order_id != 0) return replay_existing(k.order_id, std::move(reply));
        return reply(place_result{.result = k.refusal,
                                  .refused_sku = k.refused->refused_sku,
                                  .replayed = true,
                                  .request_id = k.refused->request_id});
    }
    if (const outcome o = log_refusal(engine_.log()); o != outcome::ok) {
        return reply(place_result{.result = o});
    }
    if (pending_ >= engine_.options().pending_max) {
        return reply(place_result{.result = outcome::overloaded});
    }
    key_entry& claimed = slot != nullptr ? *slot : keys_.get_or_add(key, key_hash);
    claimed.in_flight = true;
    claimed.digest = ctx.digest;
    claimed.created_at_ms = now;
    keys_.aged(claimed, now);
    ++pending_;
    auto p = std::make_unique<placement>();
    p->claimed = &claimed;
    p->from = parse_ip(ctx.client_ip);
    p->ctx = std::move(ctx);
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
    const bool blocked = risk_.blocked(p->req.buyer_id, p->from.value_or(ip_address{}));
    placements_.emplace(txn, std::move(p));
    // The block list is on every shard: refused here, before any hop or any stock.
    if (blocked) {
        return finish_placement(txn, place_result{.result = outcome::blocked});
    }
    check_rules(txn);
}

// The rules that need one owner per buyer and per IP prefix run there, one after the other;
// with every rule off (the default) there is no hop at all.
void shard::check_rules(std::uint64_t txn) {
    placement& p = *placements_.at(txn);
    const risk_options& opts = engine_.options().risk;
    const bool per_buyer = opts.any_per_buyer() && p.from.has_value();
    const bool per_ip = opts.any_per_ip() && p.from.has_value();
    if (!per_buyer && !per_ip) return reserve_parts(txn);
    const ip_address from = *p.from;
    const std::string buyer = p.req.buyer_id;
    engine& eng = engine_;
    auto at_ip = [&eng, from, per_ip](shard& h, unique_function<void(risk_decision)> r) {
        if (!per_ip) return r(risk_decision{});
        const std::size_t owner = eng.ip_home(from);
        h.call<risk_decision>(
            owner,
            [from](shard& o, unique_function<void(risk_decision)> rr) {
                rr(o.risk_.check_ip(from, o.engine_.time().now_ms()));
            },
            std::move(r));
    };
    if (!per_buyer) {
        return at_ip(*this, [this, txn](risk_decision d) { on_rules_checked(txn, std::move(d)); });
    }
    call<risk_decision>(
        engine_.buyer_home(buyer),
        [buyer, from](shard& o, unique_function<void(risk_decision)> r) {
            r(o.risk_.check_buyer(buyer, from, o.engine_.time().now_ms()));
        },
        [this, txn, at_ip](risk_decision by_buyer) mutable {
            if (by_buyer.verdict != risk_verdict::allow &&
                by_buyer.verdict != risk_verdict::review) {
                return on_rules_checked(txn, std::move(by_buyer));
            }
            at_ip(*this, [this, txn, by_buyer](risk_decision by_ip) {
                // The more severe verdict wins (the enum lists them mildest first).
                on_rules_checked(txn, by_ip.verdict > by_buyer.verdict ? by_ip : by_buyer);
            });
        });
}

void shard::on_rules_checked(std::uint64_t txn, risk_decision d) {
    placement& p = *placements_.at(txn);
    if (const outcome o = refusal_of(d); o != outcome::ok) {
        return finish_placement(txn, place_result{.result = o, .retry_after_ms = d.retry_after_ms});
    }
    if (d.verdict == risk_verdict::review) {
        p.initial = order_status::risk_review;
        p.review_rule = std::string(d.rule);
    }
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
                auto lines = lines_of(items);
                reply(owner.stock_.reserve(buyer, lines, owner.engine_.time().now_ms()));
            },
            [this, txn, pi](reservation res) { on_part_reserved(txn, pi, std::move(res)); });
    }
}

void shard::on_part_reserved(std::uint64_t txn, std::size_t part_index, reservation res) {
    placement& p = *placements_.at(txn);
    p.parts[part_index].reserved = std::move(res);
    p.parts[part_index].answered = true;
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
    o.idempotency_key = p.ctx.idempotency_key;
    o.client = p.ctx.client;
    o.digest = p.ctx.digest;
    o.client_ip = p.from ? p.ctx.client_ip : std::string();
    o.buyer_id = p.req.buyer_id;
    o.payment_method = p.req.payment_method;
    o.buyer_contact = p.req.buyer_contact;
    o.created_at_ms = o.updated_at_ms = now;
    o.status = p.initial;
    // A reviewed order's hold starts when a merchant approves it.
    o.hold_expires_at_ms =
        p.initial == order_status::pending_payment ? now + engine_.options().hold_ms : 0;
    o.history.assign(1, transition{.to = p.initial,
                                   .by = actor::buyer,
                                   .at_ms = now,
                                   .text = text_of({.reason = p.review_rule})});
    encode(o, p.record);
    append_ticket ticket =
        engine_.log().append(static_cast<std::uint16_t>(record_type::order_placed), p.record);
    if (ticket.status != append_status::ok) {
        return finish_placement(txn, place_result{.result = refusal_of(ticket.status)});
    }
    when_durable(ticket.end_pos, [this, txn](bool durable) {
        if (!durable) return finish_placement(txn, place_result{.result = outcome::log_failed});
        placement& done = *placements_.at(txn);
        const order& placed = done.placed;
        if (placed.status == order_status::pending_payment) {
            holds_.schedule(placed.hold_expires_at_ms, placed.id);
        }
        if (done.from) record_for_rules(placed.buyer_id, *done.from, placed.created_at_ms);
        // The store keeps the record as logged; the reply gets the order itself.
        const order_store::entry* kept = orders_.insert(placed.id, placed.status, done.record);
        FG_ASSERT(kept != nullptr, "M11 (an idempotency key names an order that is kept)");
        keys_.names_order(*done.claimed, orders_.newest());
        done.claimed = nullptr;  // freed: the key reads from the order now
        finish_placement(txn,
                         place_result{.result = outcome::ok, .placed = std::move(done.placed)});
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
    key_entry& k = *p->claimed;
    k.in_flight = refusal_is_logged(result.result);  // a logged one: until it is durable
    if (refusal_is_kept(result.result)) {
        k.refusal = result.result;
        k.refused = std::make_unique<stored_refusal>(
            stored_refusal{.refused_sku = result.refused_sku, .request_id = p->ctx.request_id});
    }
    std::vector<order_item> held;
    for (const part& pt : p->parts) {
        if (!pt.answered || pt.reserved.result != outcome::ok) continue;
        for (std::size_t i : pt.item_indices)
            held.push_back({p->req.items[i].sku_id, p->req.items[i].qty, {}});
    }
    placement& ref = *p;
    effect_lines(stock_effect::release, ref.req.buyer_id, held,
                 [this, p = std::move(p), result = std::move(result)]() mutable {
                     if (refusal_is_logged(result.result)) {
                         return log_refusal_then_reply(std::move(p), std::move(result));
                     }
                     --pending_;
                     p->reply(std::move(result));
                 });
}

// The refusal is answered once its key_refused record is durable, so that a retry after a
// crash gets the same answer. If it cannot be logged the key keeps nothing (vacant) and the
// refusal is answered anyway: the order was refused either way, and nothing was acknowledged.
void shard::log_refusal_then_reply(std::unique_ptr<placement> p, place_result result) {
    key_entry& k = *p->claimed;
    auto forget = [&k] {
        k.in_flight = false;
        k.refusal = outcome::ok;
        k.refused.reset();
    };
    encode(key_refused{.client = p->ctx.client,
                       .idempotency_key = p->ctx.idempotency_key,
                       .digest = k.digest,
                       .refusal = result.result,
                       .refused_sku = result.refused_sku,
                       .request_id = p->ctx.request_id,
                       .at_ms = k.created_at_ms},
           scratch_);
    append_ticket ticket =
        log_refusal(engine_.log()) == outcome::ok
            ? engine_.log().append(static_cast<std::uint16_t>(record_type::key_refused), scratch_)
            : append_ticket{append_status::failed, 0};
    if (ticket.status != append_status::ok) {
        forget();
        --pending_;
        return p->reply(std::move(result));
    }
    when_durable(ticket.end_pos, [this, p = std::move(p), result = std::move(result),
                                  forget](bool durable) mutable {
        if (durable) {
            p->claimed->in_flight = false;
        } else {
            forget();
        }
        --pending_;
        p->reply(std::move(result));
    });
}

std::vector<std::vector<order_item_request>> shard::lines_by_owner(
    const std::vector<order_item>& items) const {
    std::vector<std::vector<order_item_request>> by_owner(engine_.shard_count());
    for (const order_item& item : items) {
        by_owner[engine_.sku_owner(item.sku_id)].push_back({item.sku_id, item.qty});
    }
    return by_owner;
}

void shard::record_for_rules(const std::string& buyer_id, const ip_address& from,
                             std::int64_t at_ms) {
    const risk_options& opts = engine_.options().risk;
    engine& eng = engine_;
    if (opts.any_per_buyer()) {
        eng.post(eng.buyer_home(buyer_id), [&eng, buyer_id, from, at_ms] {
            eng.at(eng.buyer_home(buyer_id)).risk_.record_buyer_order(buyer_id, from, at_ms);
        });
    }
    if (opts.any_per_ip()) {
        const std::size_t owner = eng.ip_home(from);
        eng.post(owner,
                 [&eng, owner, from, at_ms] { eng.at(owner).risk_.record_ip_order(from, at_ms); });
    }
}

void shard::replay_existing(std::uint64_t order_id, unique_function<void(place_result)> reply) {
    call<order_result>(
        engine_.order_home(order_id),
        [order_id](shard& h, unique_function<void(order_result)> r) {
            const order_store::entry* e = h.orders_.find(order_id);
            FG_ASSERT(e != nullptr, "M11 (an idempotency key names a kept order)");
            r(order_result{.value = h.orders_.as_placed(*e)});
        },
        [reply = std::move(reply)](order_result r) mutable {
            reply(place_result{.placed = std::move(r.value), .replayed = true});
        });
}

void shard::get_order(std::uint64_t order_id, unique_function<void(order_result)> done) {
    call<order_result>(
        engine_.order_home(order_id),
        [order_id](shard& h, unique_function<void(order_result)> reply) {
            const order_store::entry* e = h.orders_.find(order_id);
            if (e == nullptr) return reply(order_result{.result = outcome::order_not_found});
            reply(order_result{.value = h.orders_.materialize(*e)});
        },
        std::move(done));
}

// --- transitions ----------------------------------------------------------------------------

void shard::move_order(std::uint64_t order_id, move_request req,
                       unique_function<void(order_result)> done) {
    call<order_result>(
        engine_.order_home(order_id),
        [order_id, req = std::move(req)](shard& h,
                                         unique_function<void(order_result)> reply) mutable {
            h.move_at_home(order_id, std::move(req), std::move(reply));
        },
        std::move(done));
}

void shard::move_at_home(std::uint64_t order_id, move_request req,
                         unique_function<void(order_result)> reply) {
    const order_store::entry* o = orders_.find(order_id);
    if (o == nullptr) return reply(order_result{.result = outcome::order_not_found});
    if (orders_moving_.contains(order_id)) {
        return reply(
            order_result{.result = outcome::request_in_progress, .value = orders_.materialize(*o)});
    }
    const move_rule rule = rule_for(o->status, req.to, req.by, req.restock);
    if (!rule.legal || o->history_size() >= limits::order_history_max) {
        return reply(
            order_result{.result = outcome::illegal_transition, .value = orders_.materialize(*o)});
    }
    const std::int64_t now = engine_.time().now_ms();
    transition step{.to = req.to,
                    .by = req.by,
                    .at_ms = now,
                    .text = text_of({.carrier = std::move(req.carrier),
                                     .tracking_no = std::move(req.tracking_no),
                                     .reason = std::move(req.reason)}),
                    .restock = req.to == order_status::refunded && req.restock};
    if (o->status == order_status::risk_review && req.to == order_status::pending_payment) {
        step.hold_expires_at_ms = now + engine_.options().hold_ms;
    }
    log_move(order_id, std::move(step), rule.effect, false, std::move(reply));
}

void shard::pay_order(payment_report report, unique_function<void(order_result)> done) {
    const std::size_t home = engine_.order_home(report.order_id);
    call<order_result>(
        home,
        [report = std::move(report)](shard& h, unique_function<void(order_result)> reply) mutable {
            h.pay_at_home(std::move(report), std::move(reply));
        },
        std::move(done));
}

// The payment rule (matching/README.md, "Payments"): a success pays a pending order; after the
// hold lapsed (expired, or cancelled before any payment) it re-takes the units if every one is
// still free and otherwise marks the order refund_required: never oversold. A failure cancels a
// pending order and changes nothing else. A provider_txn_id already in the history is answered
// with the order as it is: the same callback sent any number of times makes one change.
void shard::pay_at_home(payment_report report, unique_function<void(order_result)> reply) {
    const order_store::entry* kept = orders_.find(report.order_id);
    if (kept == nullptr) return reply(order_result{.result = outcome::order_not_found});
    const order o = orders_.materialize(*kept);
    if (report.amount != o.total) {
        return reply(order_result{.result = outcome::amount_mismatch, .value = o});
    }
    for (const transition& t : o.history) {
        if (t.provider_txn_id() == report.provider_txn_id) {
            return reply(order_result{.value = o, .replayed = true});
        }
    }
    if (orders_moving_.contains(o.id)) {
        return reply(order_result{.result = outcome::request_in_progress, .value = o});
    }
    if (o.history.size() >= limits::order_history_max) {
        return reply(order_result{.result = outcome::illegal_transition, .value = o});
    }
    const std::int64_t now = engine_.time().now_ms();
    // The step as paid, or with the reason it is not.
    auto step_for = [&report, now](order_status to, std::string reason) {
        return transition{.to = to,
                          .by = actor::payment,
                          .at_ms = now,
                          .text = text_of({.provider_txn_id = report.provider_txn_id,
                                           .reason = std::move(reason)})};
    };
    if (!report.succeeded) {
        if (o.status != order_status::pending_payment) {
            return reply(order_result{.value = o, .replayed = true});
        }
        transition step = step_for(order_status::cancelled, "payment_failed");
        return log_move(o.id, std::move(step), stock_effect::release, false, std::move(reply));
    }
    if (o.status == order_status::pending_payment) {
        return log_move(o.id, step_for(order_status::paid, {}), stock_effect::sell, false,
                        std::move(reply));
    }
    const bool lapsed =
        o.status == order_status::expired || (o.status == order_status::cancelled && !was_paid(o));
    if (!lapsed) return reply(order_result{.result = outcome::illegal_transition, .value = o});
    const std::uint64_t id = o.id;
    orders_moving_.insert(id);  // nothing else may move it while the units are being re-taken
    retake_lines(o, [this, id, paid = step_for(order_status::paid, {}),
                     gone = step_for(order_status::refund_required, "stock_gone"),
                     reply = std::move(reply)](bool taken) mutable {
        orders_moving_.erase(id);
        if (taken) {
            paid.restock = true;
            return log_move(id, std::move(paid), stock_effect::retake, true, std::move(reply));
        }
        log_move(id, std::move(gone), stock_effect::none, false, std::move(reply));
    });
}

void shard::log_move(std::uint64_t order_id, transition step, stock_effect effect, bool taken,
                     unique_function<void(order_result)> reply) {
    auto undo_and_refuse = [this, order_id, taken](outcome why,
                                                   unique_function<void(order_result)> r) {
        order now = orders_.materialize(orders_.at(order_id));
        if (!taken) return r(order_result{.result = why, .value = std::move(now)});
        effect_lines(
            stock_effect::unsell, now.buyer_id, now.items,
            [this, order_id, why, r = std::move(r)]() mutable {
                r(order_result{.result = why, .value = orders_.materialize(orders_.at(order_id))});
            });
    };
    if (const outcome refusal = log_refusal(engine_.log()); refusal != outcome::ok) {
        return undo_and_refuse(refusal, std::move(reply));
    }
    encode(order_moved{.order_id = order_id, .step = step}, scratch_);
    append_ticket ticket =
        engine_.log().append(static_cast<std::uint16_t>(record_type::order_moved), scratch_);
    if (ticket.status != append_status::ok) {
        return undo_and_refuse(refusal_of(ticket.status), std::move(reply));
    }
    orders_moving_.insert(order_id);
    ++pending_;
    // Stock goes back only once the move is durable: a unit freed earlier could be sold to
    // someone else and then, after a crash, be held by this order again (M1).
    when_durable(ticket.end_pos, [this, order_id, step = std::move(step), effect, taken,
                                  undo = std::move(undo_and_refuse),
                                  reply = std::move(reply)](bool durable) mutable {
        orders_moving_.erase(order_id);
        if (!durable) {
            --pending_;
            return undo(outcome::log_failed, std::move(reply));
        }
        order_store::entry& kept = orders_.at(order_id);
        apply_step(kept, step);
        order moved = orders_.materialize(kept);
        if (taken || effect == stock_effect::none) {
            --pending_;
            return reply(order_result{.value = std::move(moved)});
        }
        const std::string buyer = moved.buyer_id;
        const std::vector<order_item> items = moved.items;
        effect_lines(effect, buyer, items,
                     [this, moved = std::move(moved), reply = std::move(reply)]() mutable {
                         --pending_;
                         reply(order_result{.value = std::move(moved)});
                     });
    });
}

void shard::apply_step(order_store::entry& o, const transition& step) {
    orders_.apply(o, step);
    if (step.hold_expires_at_ms != 0) {
        o.walked = false;  // the walk's order of deadlines does not cover a new one
        holds_.schedule(step.hold_expires_at_ms, order_store::id_of(o));
    }
    if (step.to == order_status::expired) ++orders_expired_;
}

void shard::effect_lines(stock_effect effect, const std::string& buyer_id,
                         const std::vector<order_item>& items, task then) {
    std::vector<std::vector<order_item_request>> by_owner = lines_by_owner(items);
    auto waiting = std::make_shared<std::size_t>(0);
    auto then_shared = std::make_shared<task>(std::move(then));
    for (const auto& lines : by_owner) *waiting += lines.empty() ? 0 : 1;
    if (*waiting == 0) return (*then_shared)();
    for (std::size_t owner = 0; owner < by_owner.size(); ++owner) {
        if (by_owner[owner].empty()) continue;
        call<bool>(
            owner,
            [effect, buyer = buyer_id, items = std::move(by_owner[owner])](
                shard& s, unique_function<void(bool)> reply) {
                s.stock_.apply_effect(effect, buyer, lines_of(items));
                reply(true);
            },
            [waiting, then_shared](bool) {
                if (--*waiting == 0) (*then_shared)();
            });
    }
}

// All-or-nothing across owner shards: each owner re-takes its lines or none; if any owner
// could not, the owners that did give theirs back before `then(false)`.
void shard::retake_lines(const order& o, unique_function<void(bool)> then) {
    std::vector<std::vector<order_item_request>> by_owner = lines_by_owner(o.items);
    struct gather {
        std::size_t waiting = 0;
        bool all = true;
        std::vector<std::size_t> took;
        std::vector<std::vector<order_item_request>> lines;
        unique_function<void(bool)> then;
        std::string buyer;
    };
    auto g = std::make_shared<gather>();
    g->then = std::move(then);
    g->buyer = o.buyer_id;
    for (const auto& lines : by_owner) g->waiting += lines.empty() ? 0 : 1;
    g->lines = by_owner;
    for (std::size_t owner = 0; owner < by_owner.size(); ++owner) {
        if (by_owner[owner].empty()) continue;
        call<bool>(
            owner,
            [buyer = o.buyer_id, items = std::move(by_owner[owner])](
                shard& s, unique_function<void(bool)> reply) {
                reply(s.stock_.try_retake(buyer, lines_of(items)));
            },
            [this, g, owner](bool ok) {
                if (ok) g->took.push_back(owner);
                g->all = g->all && ok;
                if (--g->waiting > 0) return;
                if (g->all) return g->then(true);
                if (g->took.empty()) return g->then(false);
                // Give back what some owners took; answer once all have.
                auto back = std::make_shared<std::size_t>(g->took.size());
                for (std::size_t t : g->took) {
                    call<bool>(
                        t,
                        [buyer = g->buyer, items = g->lines[t]](shard& s,
                                                                unique_function<void(bool)> reply) {
                            s.stock_.apply_effect(stock_effect::unsell, buyer, lines_of(items));
                            reply(true);
                        },
                        [g, back](bool) {
                            if (--*back == 0) g->then(false);
                        });
                }
            });
    }
}

// --- timers ---------------------------------------------------------------------------------

void shard::tick() {
    const std::int64_t now = engine_.time().now_ms();
    expire_due(now);
    forget_old_keys(now);
    risk_.prune(now, 1024);
}

void shard::expire_due(std::int64_t now) {
    std::vector<std::uint64_t> due;
    holds_.advance(now, [&due](std::uint64_t id) { due.push_back(id); });
    walk_holds(now, due);
    for (std::uint64_t id : due) {
        const order_store::entry* o = orders_.find(id);
        // No cancel on the wheel: a timer whose order has moved on is simply ignored.
        if (o == nullptr || o->status != order_status::pending_payment ||
            order_store::hold_expires_at(*o) > now) {
            continue;
        }
        if (orders_moving_.contains(id) || log_refusal(engine_.log()) != outcome::ok) {
            holds_.schedule(now + 1000, id);  // look again once the move or the disk settles
            continue;
        }
        log_move(id, transition{.to = order_status::expired, .by = actor::system, .at_ms = now},
                 stock_effect::release, false, [this, id, now](order_result r) {
                     if (r.result != outcome::ok && r.result != outcome::log_failed) {
                         holds_.schedule(now + 1000, id);
                     }
                 });
    }
}

void shard::hold_replayed(order_store::entry& o, std::uint64_t id,
                          std::int64_t hold_expires_at_ms) {
    if (o.status != order_status::pending_payment) return;
    if (hold_expires_at_ms < walk_last_deadline_) {
        holds_.schedule(hold_expires_at_ms, id);
        return;
    }
    o.walked = true;
    walk_last_deadline_ = hold_expires_at_ms;
    walk_end_ = orders_.newest() + 1;
}

// Bounded per tick, so that a restart long after a sale's holds lapsed expires them over a few
// seconds rather than in one tick that stalls the shard.
void shard::walk_holds(std::int64_t now, std::vector<std::uint64_t>& due) {
    const std::uint32_t stop =
        walk_end_ - walk_at_ > walk_per_tick ? walk_at_ + walk_per_tick : walk_end_;
    for (; walk_at_ < stop; ++walk_at_) {
        order_store::entry& o = orders_.nth(walk_at_);
        if (!o.walked) continue;
        const bool waiting = o.status == order_status::pending_payment;
        // Every walked order after this one lapses no earlier.
        if (waiting && order_store::hold_expires_at(o) > now) return;
        o.walked = false;
        if (waiting) due.push_back(order_store::id_of(o));
    }
}

void shard::forget_old_keys(std::int64_t now) {
    keys_.forget_up_to(now - engine_.options().key_ttl_ms);
}

// --- block list -----------------------------------------------------------------------------

bool shard::apply_block(const block_changed& change) {
    const auto how =
        change.blocked ? risk_guard::block_change::add : risk_guard::block_change::remove;
    if (change.kind == block_kind::buyer) {
        risk_.set_buyer_blocked(change.value, how);
        return true;
    }
    auto net = parse_network(change.value);
    if (!net) return false;
    risk_.set_network_blocked(*net, how);
    return true;
}

void shard::change_block(block_changed change, unique_function<void(block_result)> done) {
    if (const outcome o = log_refusal(engine_.log()); o != outcome::ok) {
        return done(block_result{.result = o});
    }
    change.at_ms = engine_.time().now_ms();
    encode(change, scratch_);
    append_ticket ticket =
        engine_.log().append(static_cast<std::uint16_t>(record_type::block_changed), scratch_);
    if (ticket.status != append_status::ok) {
        return done(block_result{.result = refusal_of(ticket.status)});
    }
    ++pending_;
    when_durable(ticket.end_pos, [this, change = std::move(change),
                                  done = std::move(done)](bool durable) mutable {
        if (!durable) {
            --pending_;
            return done(block_result{.result = outcome::log_failed});
        }
        // Every shard applies it; the answer waits for all of them.
        auto waiting = std::make_shared<std::size_t>(engine_.shard_count());
        auto finish = std::make_shared<unique_function<void(block_result)>>(std::move(done));
        for (std::size_t i = 0; i < engine_.shard_count(); ++i) {
            call<bool>(
                i,
                [change](shard& s, unique_function<void(bool)> reply) {
                    reply(s.apply_block(change));
                },
                [this, waiting, finish](bool) {
                    if (--*waiting > 0) return;
                    --pending_;
                    get_block_list(std::move(*finish));
                });
        }
    });
}

void shard::get_block_list(unique_function<void(block_result)> done) {
    block_result r;
    risk_.for_each_blocked_buyer([&r](std::string_view id) {
        r.entries.push_back({.kind = block_kind::buyer, .value = std::string(id)});
    });
    risk_.for_each_blocked_network([&r](const ip_network& net) {
        r.entries.push_back({.kind = block_kind::network, .value = to_string(net)});
    });
    done(std::move(r));
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
