#include "gateway/event_feed.hpp"

#include <algorithm>
#include <chrono>

#include "gateway/codec/json_writer.hpp"
#include "matching/assert.hpp"
#include "matching/engine.hpp"
#include "matching/event_codec.hpp"
#include "matching/lifecycle.hpp"
#include "matching/order_id.hpp"
#include "storage/commit_log.hpp"
#include "storage/log_tail.hpp"

namespace fg::gateway {

using matching::order_status;
using matching::record_type;
using matching::stock_effect;

namespace {

// A resume reads at most this many frame bytes per feed pass, and hands the worker a new piece
// only once it took the last: a subscriber far behind costs bounded memory and feed time.
constexpr std::uint64_t resume_bytes_per_pass = 1u << 20;
// The live tail reads at most this much per pass, so resumes and publishing interleave.
constexpr std::uint64_t live_bytes_per_pass = 4u << 20;

void begin_order_event(std::uint64_t lsn, std::string& out) {
    out += "id: ";
    out += std::to_string(lsn);
    out += "\nevent: order\ndata: ";
}

void write_head(json_writer& w, std::uint64_t order_id, order_status status, matching::actor by,
                std::int64_t at_ms) {
    w.begin_object();
    w.key("order_id").string(matching::format_order_id(order_id));
    w.key("status").string(matching::to_string(status));
    w.key("by").string(matching::to_string(by));
    w.key("at").time_ms(at_ms);
}

void write_step_details(json_writer& w, const matching::transition& t) {
    if (!t.carrier().empty()) w.key("carrier").string(t.carrier());
    if (!t.tracking_no().empty()) w.key("tracking_no").string(t.tracking_no());
    if (!t.provider_txn_id().empty()) w.key("provider_txn_id").string(t.provider_txn_id());
    if (!t.reason().empty()) w.key("reason").string(t.reason());
    if (t.to == order_status::refunded || t.to == order_status::paid) {
        w.key("restock").boolean(t.restock);
    }
}

void append_placed(std::uint64_t lsn, const matching::order& o, std::string& out) {
    const matching::transition first =
        o.history.empty() ? matching::transition{.to = o.status, .at_ms = o.created_at_ms}
                          : o.history.front();
    begin_order_event(lsn, out);
    json_writer w(out);
    write_head(w, o.id, first.to, first.by, first.at_ms);
    w.key("buyer_id").string(o.buyer_id);
    w.key("items").begin_array();
    for (const matching::order_item& item : o.items) {
        w.begin_object();
        w.key("sku_id").string(item.sku_id);
        w.key("qty").integer(item.qty);
        w.end_object();
    }
    w.end_array();
    w.key("total").money(o.total);
    write_step_details(w, first);
    w.end_object();
    out += "\n\n";
}

}  // namespace

bool append_order_event(std::uint64_t lsn, std::uint16_t type, std::span<const std::byte> payload,
                        std::string& out) {
    switch (static_cast<record_type>(type)) {
        case record_type::order_placed: {
            matching::order o;
            if (!matching::decode(payload, o)) return false;
            append_placed(lsn, o, out);
            return true;
        }
        case record_type::order_cancelled: {
            // Written by earlier versions for a buyer's cancel of a pending order.
            matching::order_cancelled e;
            if (!matching::decode(payload, e)) return false;
            begin_order_event(lsn, out);
            json_writer w(out);
            write_head(w, e.order_id, order_status::cancelled, matching::actor::buyer, e.at_ms);
            w.end_object();
            out += "\n\n";
            return true;
        }
        case record_type::order_moved: {
            matching::order_moved e;
            if (!matching::decode(payload, e)) return false;
            begin_order_event(lsn, out);
            json_writer w(out);
            write_head(w, e.order_id, e.step.to, e.step.by, e.step.at_ms);
            write_step_details(w, e.step);
            w.end_object();
            out += "\n\n";
            return true;
        }
        default:
            return false;
    }
}

std::string_view to_string(stock_event e) {
    switch (e) {
        case stock_event::low_stock:
            return "low_stock";
        case stock_event::sold_out:
            return "sold_out";
        case stock_event::restocked:
            return "restocked";
    }
    return "unknown";
}

void append_stock_event(stock_event kind, std::string_view sku_id, std::int64_t available,
                        std::int64_t threshold, std::int64_t at_ms, std::string& out) {
    out += "event: ";
    out += to_string(kind);
    out += "\ndata: ";
    json_writer w(out);
    w.begin_object();
    w.key("sku_id").string(sku_id);
    w.key("available").integer(available);
    w.key("threshold").integer(threshold);
    w.key("at").time_ms(at_ms);
    w.end_object();
    out += "\n\n";
}

stock_alarm stock_alarm::quiet(std::int64_t available, std::int64_t threshold) {
    return {.low = threshold > 0 && available <= threshold, .out = available <= 0};
}

void stock_alarm::step(std::int64_t available, std::int64_t threshold,
                       std::vector<stock_event>& fired) {
    if (threshold > 0 && !low && available <= threshold) {
        low = true;
        fired.push_back(stock_event::low_stock);
    } else if (low && (threshold <= 0 ||
                       available > threshold + std::max<std::int64_t>(1, threshold / 10))) {
        low = false;  // re-armed: the next drop to the threshold fires again
    }
    if (!out && available <= 0) {
        out = true;
        fired.push_back(stock_event::sold_out);
    } else if (out && available > 0) {
        out = false;
        fired.push_back(stock_event::restocked);
    }
}

// ---- event_view ----

void event_view::seed_sku(const matching::sku_state& s) {
    sku_view& v = skus_[s.id];
    v.stock = s.stock;
    v.held = s.held;
    v.sold = s.sold;
    v.threshold = s.low_stock_threshold;
    v.alarm = stock_alarm::quiet(v.available(), v.threshold);
}

event_view::event_view() : parts_(1) {}

void event_view::partition(std::size_t parts, home_fn home) {
    FG_ASSERT(parts >= 1 && order_count() == 0, "the view is split before it has orders");
    parts_ = std::vector<order_part>(parts);
    home_ = std::move(home);
}

std::size_t event_view::order_count() const {
    std::size_t n = 0;
    for (const order_part& p : parts_) n += p.orders.size();
    return n;
}

void event_view::seed_order(std::size_t part, matching::order_status now,
                            const matching::order_placed_view& placed) {
    order_part& p = parts_[part];
    order_view& v = add_order(p, placed.id, now);
    for (const auto& line : placed.lines()) add_line(p, v, line.sku_id, line.qty);
}

void event_view::reserve_orders(std::size_t part, std::size_t orders) {
    order_part& p = parts_[part];
    p.orders.reserve(p.orders.size() + orders);
    // Most orders have a line or two; capacity that is never written costs no memory.
    p.lines.reserve(p.lines.size() + 2 * orders);
}

event_view::found event_view::find_order(std::uint64_t id) {
    order_part& p = part_of(id);
    const std::uint32_t pos = p.index.get(id);
    return {pos == 0 ? nullptr : &p.orders[pos - 1], &p};
}

event_view::order_view& event_view::add_order(order_part& part, std::uint64_t id,
                                              matching::order_status status) {
    std::uint32_t pos = part.index.insert(id, static_cast<std::uint32_t>(part.orders.size() + 1));
    if (pos == 0) {
        part.orders.emplace_back();
        pos = static_cast<std::uint32_t>(part.orders.size());
    }
    order_view& o = part.orders[pos - 1];
    o.status = status;
    o.first_line = static_cast<std::uint32_t>(part.lines.size());
    o.line_count = 0;
    return o;
}

event_view::line_view& event_view::add_line(order_part& part, order_view& o,
                                            std::string_view sku_id, std::int64_t qty) {
    auto it = skus_.find(sku_id);
    ++o.line_count;
    return part.lines.emplace_back(line_view{it == skus_.end() ? nullptr : &*it, qty});
}

std::size_t event_view::check(const std::string& sku_id, sku_view& s, std::int64_t at_ms,
                              std::string& out) {
    fired_.clear();
    s.alarm.step(s.available(), s.threshold, fired_);
    for (stock_event e : fired_)
        append_stock_event(e, sku_id, s.available(), s.threshold, at_ms, out);
    return fired_.size();
}

std::size_t event_view::move(found f, order_status to, stock_effect effect, std::int64_t at_ms,
                             std::string& out) {
    order_view& o = *f.order;
    o.status = to;
    if (effect == stock_effect::none || effect == stock_effect::forget) return 0;
    std::size_t n = 0;
    for (std::uint32_t i = 0; i < o.line_count; ++i) {
        const line_view& line = f.part->lines[o.first_line + i];
        if (line.sku == nullptr) continue;
        const std::int64_t qty = line.qty;
        sku_view& s = line.sku->second;
        switch (effect) {
            case stock_effect::sell:
                s.held -= qty;
                s.sold += qty;
                break;
            case stock_effect::release:
                s.held -= qty;
                break;
            case stock_effect::retake:
                s.sold += qty;
                break;
            case stock_effect::unsell:
                s.sold -= qty;
                break;
            case stock_effect::none:
            case stock_effect::forget:
                break;
        }
        n += check(line.sku->first, s, at_ms, out);
    }
    return n;
}

std::size_t event_view::apply(std::uint64_t lsn, std::uint16_t type,
                              std::span<const std::byte> payload, std::string& out) {
    switch (static_cast<record_type>(type)) {
        case record_type::sku_upserted: {
            matching::sku_state s;
            if (!matching::decode(payload, s)) return 0;
            auto [it, created] = skus_.try_emplace(s.id);
            sku_view& v = it->second;
            v.stock = s.stock;
            v.threshold = s.low_stock_threshold;
            if (created) {
                // A new SKU starts in whatever state it is in: no event for being created low.
                v.alarm = stock_alarm::quiet(v.available(), v.threshold);
                return 0;
            }
            return check(it->first, v, s.updated_at_ms, out);
        }
        case record_type::stock_adjusted: {
            matching::stock_adjusted e;
            if (!matching::decode(payload, e)) return 0;
            auto it = skus_.find(e.sku_id);
            if (it == skus_.end()) return 0;
            it->second.stock += e.delta;
            return check(it->first, it->second, e.at_ms, out);
        }
        case record_type::order_placed: {
            matching::order o;
            if (!matching::decode(payload, o)) return 0;
            append_placed(lsn, o, out);
            std::size_t n = 1;
            order_part& part = part_of(o.id);
            order_view& v =
                add_order(part, o.id, o.history.empty() ? o.status : o.history.front().to);
            // Placement holds every line, whatever its first status (pending or in review).
            for (const matching::order_item& item : o.items) {
                const line_view& line = add_line(part, v, item.sku_id, item.qty);
                if (line.sku == nullptr) continue;
                line.sku->second.held += item.qty;
                n += check(line.sku->first, line.sku->second, o.created_at_ms, out);
            }
            return n;
        }
        case record_type::order_cancelled: {
            matching::order_cancelled e;
            if (!matching::decode(payload, e)) return 0;
            append_order_event(lsn, type, payload, out);
            const found o = find_order(e.order_id);
            if (o.order == nullptr) return 1;
            return 1 + move(o, order_status::cancelled, stock_effect::release, e.at_ms, out);
        }
        case record_type::order_moved: {
            matching::order_moved e;
            if (!matching::decode(payload, e)) return 0;
            append_order_event(lsn, type, payload, out);
            const found o = find_order(e.order_id);
            if (o.order == nullptr) return 1;
            const matching::move_rule rule =
                matching::rule_for(o.order->status, e.step.to, e.step.by, e.step.restock);
            return 1 + move(o, e.step.to, rule.legal ? rule.effect : stock_effect::none,
                            e.step.at_ms, out);
        }
        case record_type::block_changed:
        case record_type::key_refused:
            return 0;
    }
    return 0;
}

// ---- event_ring ----

void event_ring::publish(std::vector<pending>& batch) {
    std::lock_guard lock(mu_);
    for (pending& p : batch) {
        slot& s = slots_[next_ % slots_.size()];
        s.seq = next_++;
        s.lsn = p.lsn;
        s.text = std::move(p.text);
    }
    batch.clear();
}

std::uint64_t event_ring::next_seq() const {
    std::lock_guard lock(mu_);
    return next_;
}

bool event_ring::copy_since(std::uint64_t& cursor, std::uint64_t skip_through_lsn, std::string& out,
                            std::size_t bytes_max, std::uint64_t& events) const {
    std::lock_guard lock(mu_);
    if (next_ > slots_.size() && cursor < next_ - slots_.size()) return false;
    while (cursor < next_ && out.size() < bytes_max) {
        const slot& s = slots_[cursor % slots_.size()];
        ++cursor;
        if (s.lsn != 0 && s.lsn <= skip_through_lsn) continue;
        out += s.text;
        ++events;
    }
    return true;
}

// ---- event_hub ----

bool event_hub::try_join() {
    // Relaxed: a count; the cap may be passed by a racing join on another worker for an instant.
    if (subscribers_.fetch_add(1, std::memory_order_relaxed) >= subscribers_max) {
        subscribers_.fetch_sub(1, std::memory_order_relaxed);
        return false;
    }
    return true;
}

void event_hub::leave() { subscribers_.fetch_sub(1, std::memory_order_relaxed); }

void event_hub::subscribe_live(const std::shared_ptr<event_channel>& ch) {
    {
        std::lock_guard lock(ch->mu);
        ch->cursor = ring.next_seq();
        ch->attached = true;
    }
    std::lock_guard lock(mu_);
    channels_.push_back(ch);
}

void event_hub::subscribe_resume(const std::shared_ptr<event_channel>& ch, std::uint64_t last_id) {
    std::lock_guard lock(mu_);
    channels_.push_back(ch);
    resumes_.push_back({ch, last_id});
}

event_hub::counters event_hub::stats() const {
    return {static_cast<std::uint64_t>(std::max(0, subscribers_.load(std::memory_order_relaxed))),
            sent_total_.load(std::memory_order_relaxed),
            dropped_total_.load(std::memory_order_relaxed)};
}

std::string render_event_metrics(const event_hub::counters& c) {
    std::string out;
    out += "# HELP flashgate_events_subscribers Open GET /v1/events streams.\n";
    out += "# TYPE flashgate_events_subscribers gauge\n";
    out += "flashgate_events_subscribers " + std::to_string(c.subscribers) + "\n";
    out += "# HELP flashgate_events_sent_total Events written to subscribers.\n";
    out += "# TYPE flashgate_events_sent_total counter\n";
    out += "flashgate_events_sent_total " + std::to_string(c.sent_total) + "\n";
    out +=
        "# HELP flashgate_events_dropped_subscribers_total Subscribers closed for falling "
        "behind the event ring.\n";
    out += "# TYPE flashgate_events_dropped_subscribers_total counter\n";
    out += "flashgate_events_dropped_subscribers_total " +
           std::to_string(c.dropped_subscribers_total) + "\n";
    return out;
}

// ---- event_feed ----

struct event_feed::catch_up {
    std::shared_ptr<event_channel> ch;
    std::uint64_t last_id = 0;
    std::unique_ptr<storage::log_tail> tail;
};

event_feed::event_feed(event_feed_options opts, const storage::commit_log& log)
    : opts_(std::move(opts)), log_(log) {}

event_feed::~event_feed() { stop(); }

bool event_feed::start(std::uint64_t from_pos, std::string& error) {
    tail_ = std::make_unique<storage::log_tail>(opts_.log_dir);
    storage::tail_seek where;
    if (!tail_->seek(from_pos, where, error)) return false;
    thread_ = std::thread([this] { run(); });
    return true;
}

void event_feed::stop() {
    if (!thread_.joinable()) return;
    stop_.store(true, std::memory_order_relaxed);
    wake_.release();
    thread_.join();
}

void event_feed::notify() {
    // Only the first notify since the feed last woke releases the semaphore, so its count stays
    // small; a notify racing the feed's reset is covered by the read that follows the reset.
    if (!notified_.exchange(true, std::memory_order_acq_rel)) wake_.release();
}

void event_feed::run() {
    const auto poll = std::chrono::milliseconds(opts_.poll_ms);
    while (!stop_.load(std::memory_order_relaxed)) {
        (void)wake_.try_acquire_for(poll);
        notified_.store(false, std::memory_order_release);
        if (stop_.load(std::memory_order_relaxed)) break;
        read_live();
        serve_resumes();
    }
}

void event_feed::read_live() {
    std::string error;
    std::string text;
    auto on_record = [&](std::uint16_t type, std::uint64_t lsn,
                         std::span<const std::byte> payload) {
        text.clear();
        if (view_.apply(lsn, type, payload, text) == 0) return true;
        // One ring entry per event: the order event (with the record's lsn) comes first, then
        // the stock events it caused (lsn 0: never skipped on resume, never replayed).
        std::size_t start = 0;
        bool first = true;
        while (start < text.size()) {
            const std::size_t end = text.find("\n\n", start) + 2;
            const bool is_order = first && text.compare(start, 4, "id: ") == 0;
            batch_.push_back({is_order ? lsn : 0, text.substr(start, end - start)});
            start = end;
            first = false;
        }
        return true;
    };
    bool more = true;
    for (int passes = 0; more && passes < 4; ++passes) {
        if (!tail_->read(log_.durable_pos(), on_record, error, live_bytes_per_pass, &more)) {
            if (opts_.report) opts_.report("events_log_read_failed", error);
            storage::tail_seek where;
            const std::uint64_t pos = tail_->position();
            std::string seek_error;
            if (tail_->seek(pos, where, seek_error) && where.gap && opts_.report) {
                opts_.report("events_log_gap", "events before position " +
                                                   std::to_string(where.first_pos) + " were lost");
            }
            break;
        }
    }
    if (batch_.empty()) return;
    hub_->ring.publish(batch_);
    std::vector<std::shared_ptr<event_channel>> channels;
    {
        std::lock_guard lock(hub_->mu_);
        std::erase_if(hub_->channels_, [](const std::shared_ptr<event_channel>& c) {
            return c->closed.load(std::memory_order_relaxed);
        });
        channels = hub_->channels_;
    }
    for (const auto& c : channels) c->wake();
}

void event_feed::serve_resumes() {
    {
        std::lock_guard lock(hub_->mu_);
        for (event_hub::resume_request& r : hub_->resumes_) {
            auto c = std::make_unique<catch_up>();
            c->ch = std::move(r.ch);
            c->last_id = r.last_id;
            catch_ups_.push_back(std::move(c));
        }
        hub_->resumes_.clear();
    }
    std::erase_if(catch_ups_, [this](const std::unique_ptr<catch_up>& c) {
        return c->ch->closed.load(std::memory_order_relaxed) || advance(*c);
    });
}

// One step of a resume; true once it is done (attached to the ring, or failed).
bool event_feed::advance(catch_up& c) {
    event_channel& ch = *c.ch;
    {
        std::lock_guard lock(ch.mu);
        if (!ch.backlog.empty()) return false;  // the worker has not taken the last piece yet
    }
    std::string text;
    std::uint64_t events = 0;
    std::string error;
    // Everything below the live tail's position was published to the ring before this pass,
    // and nothing at or above it was: reading the log up to it, then attaching at the ring's
    // next sequence number, leaves no gap and no duplicate.
    const std::uint64_t live_pos = tail_->position();
    if (!c.tail) {
        c.tail = std::make_unique<storage::log_tail>(opts_.log_dir);
        storage::tail_seek where;
        const std::uint64_t from = c.last_id + 1;
        if (from < live_pos) {
            if (!c.tail->seek(from, where, error)) {
                if (opts_.report) opts_.report("events_resume_failed", error);
                std::lock_guard lock(ch.mu);
                ch.failed = true;
                ch.wake();
                return true;
            }
            if (where.gap) {
                text += "event: reset\ndata: {\"reason\":\"log_truncated\",\"oldest_id\":" +
                        std::to_string(where.first_pos) + "}\n\n";
                ++events;
            }
        }
    }
    bool more = false;
    bool failed = false;
    if (c.last_id + 1 < live_pos) {
        failed = !c.tail->read(
            live_pos,
            [&](std::uint16_t type, std::uint64_t lsn, std::span<const std::byte> payload) {
                if (append_order_event(lsn, type, payload, text)) ++events;
                return true;
            },
            error, resume_bytes_per_pass, &more);
        if (failed && opts_.report) opts_.report("events_resume_failed", error);
    }
    std::lock_guard lock(ch.mu);
    ch.backlog += text;
    ch.backlog_events += events;
    if (failed) {
        ch.failed = true;
    } else if (!more) {
        ch.attached = true;
        ch.cursor = hub_->ring.next_seq();
        ch.skip_through_lsn = c.last_id;
    }
    ch.wake();
    return failed || !more;
}

void seed_from_engine(event_feed& feed, matching::engine& engine) {
    event_view& view = feed.view();
    const std::size_t shards = engine.shard_count();
    view.partition(shards, [&engine](std::uint64_t id) { return engine.order_home(id); });
    // Every SKU first: an order's lines point at the SKUs they name, on any shard.
    for (std::size_t i = 0; i < shards; ++i) {
        engine.at(i).stock().for_each([&view](const matching::sku_state& s) { view.seed_sku(s); });
    }
    // Then each shard's orders into their own part, on as many threads as there are cores
    // (no shard thread runs yet, and the SKUs are only read from here on).
    const std::size_t threads =
        std::min<std::size_t>(shards, std::max(1u, std::thread::hardware_concurrency()));
    const auto seed = [&view, &engine, shards, threads](std::size_t first) {
        for (std::size_t i = first; i < shards; i += threads) {
            const matching::shard& sh = engine.at(i);
            view.reserve_orders(i, sh.live_orders());
            sh.for_each_placed(
                [&view, i](matching::order_status now, const matching::order_placed_view& placed) {
                    view.seed_order(i, now, placed);
                });
        }
    };
    std::vector<std::thread> helpers;
    for (std::size_t t = 1; t < threads; ++t) helpers.emplace_back(seed, t);
    seed(0);
    for (std::thread& t : helpers) t.join();
}

}  // namespace fg::gateway
