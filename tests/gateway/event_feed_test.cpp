#include "gateway/event_feed.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "matching/event_codec.hpp"
#include "matching/order_id.hpp"

namespace fg::gateway {
namespace {

using matching::actor;
using matching::order_status;
using matching::record_type;

constexpr auto u16 = [](record_type t) { return static_cast<std::uint16_t>(t); };

std::vector<std::byte> bytes_of(const auto& value) {
    std::vector<std::byte> out;
    matching::encode(value, out);
    return out;
}

matching::sku_state sku(const std::string& id, std::int64_t stock, std::int64_t threshold) {
    matching::sku_state s;
    s.id = id;
    s.name = "tee";
    s.price = {1999, *matching::currency_code::parse("CNY")};
    s.stock = stock;
    s.low_stock_threshold = threshold;
    s.updated_at_ms = 1'000;
    return s;
}

matching::order order_of(std::uint64_t id, const std::string& sku_id, std::int64_t qty) {
    matching::order o;
    o.id = id;
    o.idempotency_key = "k" + std::to_string(id);
    o.buyer_id = "buyer-1";
    o.payment_method = "alipay";
    o.items = {{sku_id, qty, {1999, *matching::currency_code::parse("CNY")}}};
    o.total = {1999 * qty, *matching::currency_code::parse("CNY")};
    o.created_at_ms = 1'790'000'000'000;
    o.history = {
        {.to = order_status::pending_payment, .by = actor::buyer, .at_ms = o.created_at_ms}};
    return o;
}

// The SSE events in `text`: (event name, id or "", parsed data).
struct sse_event {
    std::string name, id;
    nlohmann::json data;
};
std::vector<sse_event> parse(const std::string& text) {
    std::vector<sse_event> out;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find("\n\n", start);
        EXPECT_NE(end, std::string::npos) << "an event must end with a blank line";
        if (end == std::string::npos) break;
        sse_event e;
        std::string_view block(text.data() + start, end - start);
        while (!block.empty()) {
            const std::size_t nl = block.find('\n');
            const std::string_view line = block.substr(0, nl);
            if (line.starts_with("id: ")) e.id = line.substr(4);
            if (line.starts_with("event: ")) e.name = line.substr(7);
            if (line.starts_with("data: ")) e.data = nlohmann::json::parse(line.substr(6));
            block = nl == std::string_view::npos ? std::string_view() : block.substr(nl + 1);
        }
        out.push_back(std::move(e));
        start = end + 2;
    }
    return out;
}

std::vector<stock_event> walk(stock_alarm& a, std::int64_t threshold,
                              std::initializer_list<std::int64_t> availables) {
    std::vector<stock_event> fired;
    for (std::int64_t v : availables) a.step(v, threshold, fired);
    return fired;
}

TEST(StockAlarm, LowStockFiresOnceAndReArmsOnlyAboveTheBand) {
    stock_alarm a = stock_alarm::quiet(50, 20);
    // 20 + max(1, 2) = 22: rising to 22 does not re-arm, 23 does.
    EXPECT_EQ(walk(a, 20, {25, 20, 19, 21, 22, 20, 10}),
              std::vector<stock_event>{stock_event::low_stock});
    EXPECT_EQ(walk(a, 20, {23, 20}), std::vector<stock_event>{stock_event::low_stock});
}

TEST(StockAlarm, SmallThresholdsReArmOneAboveIt) {
    stock_alarm a = stock_alarm::quiet(10, 3);
    EXPECT_EQ(walk(a, 3, {3, 4, 3}), std::vector<stock_event>{stock_event::low_stock});
    EXPECT_EQ(walk(a, 3, {5, 3}), std::vector<stock_event>{stock_event::low_stock});
}

TEST(StockAlarm, SoldOutAndRestockedAlternate) {
    stock_alarm a = stock_alarm::quiet(5, 0);
    EXPECT_TRUE(walk(a, 0, {3, 1}).empty());  // threshold 0: no low_stock ever
    EXPECT_EQ(walk(a, 0, {0, 0}), std::vector<stock_event>{stock_event::sold_out});
    EXPECT_EQ(walk(a, 0, {2, 5}), std::vector<stock_event>{stock_event::restocked});
    EXPECT_EQ(walk(a, 0, {0}), std::vector<stock_event>{stock_event::sold_out});
}

TEST(StockAlarm, ADropStraightToZeroFiresLowThenSoldOut) {
    stock_alarm a = stock_alarm::quiet(100, 10);
    EXPECT_EQ(walk(a, 10, {0}),
              (std::vector<stock_event>{stock_event::low_stock, stock_event::sold_out}));
    EXPECT_EQ(walk(a, 10, {5}), std::vector<stock_event>{stock_event::restocked});
}

TEST(StockAlarm, QuietStartInsideTheBandDoesNotFire) {
    stock_alarm a = stock_alarm::quiet(2, 5);
    EXPECT_TRUE(walk(a, 5, {1, 3}).empty());
    a = stock_alarm::quiet(0, 5);
    EXPECT_TRUE(walk(a, 5, {0}).empty());
}

TEST(EventFormat, PlacementCarriesBuyerItemsAndTotal) {
    const matching::order o = order_of((9ull << 8) | 1, "tee", 2);
    std::string out;
    ASSERT_TRUE(append_order_event(4096, u16(record_type::order_placed), bytes_of(o), out));
    EXPECT_TRUE(out.starts_with("id: 4096\nevent: order\ndata: {")) << out;
    const auto events = parse(out);
    ASSERT_EQ(events.size(), 1u);
    const nlohmann::json& d = events[0].data;
    EXPECT_EQ(d["order_id"], matching::format_order_id(o.id));
    EXPECT_EQ(d["status"], "pending_payment");
    EXPECT_EQ(d["by"], "buyer");
    EXPECT_EQ(d["at"], "2026-09-21T14:13:20Z");
    EXPECT_EQ(d["buyer_id"], "buyer-1");
    EXPECT_EQ(d["items"], nlohmann::json::parse(R"([{"sku_id":"tee","qty":2}])"));
    EXPECT_EQ(d["total"]["amount_minor"], 3998);
    EXPECT_EQ(d["total"]["currency"], "CNY");
    EXPECT_FALSE(d.contains("restock"));
    EXPECT_FALSE(d.contains("carrier"));
}

TEST(EventFormat, MovesCarryOnlyTheirNonEmptyDetails) {
    matching::order_moved shipped{
        .order_id = 0x301,
        .step = {.to = order_status::shipped,
                 .by = actor::merchant,
                 .at_ms = 1'790'000'000'123,
                 .text = matching::text_of({.carrier = "SF", .tracking_no = "SF123"})}};
    std::string out;
    ASSERT_TRUE(append_order_event(8, u16(record_type::order_moved), bytes_of(shipped), out));
    auto d = parse(out).at(0).data;
    EXPECT_EQ(d, nlohmann::json::parse(
                     R"({"order_id":")" + matching::format_order_id(0x301) +
                     R"(","status":"shipped","by":"merchant","at":"2026-09-21T14:13:20.123Z",)"
                     R"("carrier":"SF","tracking_no":"SF123"})"));
    matching::order_moved refunded{
        .order_id = 0x301,
        .step = {.to = order_status::refunded, .by = actor::merchant, .at_ms = 5, .restock = true}};
    out.clear();
    ASSERT_TRUE(append_order_event(16, u16(record_type::order_moved), bytes_of(refunded), out));
    d = parse(out).at(0).data;
    EXPECT_EQ(d["restock"], true);
    EXPECT_EQ(d["status"], "refunded");
}

TEST(EventFormat, OtherRecordsAreNoOrderEvent) {
    std::string out;
    EXPECT_FALSE(
        append_order_event(8, u16(record_type::sku_upserted), bytes_of(sku("a", 1, 0)), out));
    EXPECT_FALSE(
        append_order_event(8, u16(record_type::block_changed),
                           bytes_of(matching::block_changed{.value = "buyer-9", .at_ms = 3}), out));
    const std::vector<std::byte> junk(5, std::byte{7});
    EXPECT_FALSE(append_order_event(8, u16(record_type::order_moved), junk, out));
    EXPECT_TRUE(out.empty());
}

TEST(EventView, OrdersDriveStockEventsThroughTheLifecycleRules) {
    event_view view;
    std::string out;
    std::uint64_t lsn = 64;
    auto apply = [&](record_type t, const std::vector<std::byte>& payload) {
        out.clear();
        view.apply(lsn, u16(t), payload, out);
        lsn += 64;
        return parse(out);
    };
    EXPECT_TRUE(apply(record_type::sku_upserted, bytes_of(sku("tee", 10, 4))).empty());
    // 10 -> 6 available: no event besides the placement.
    auto ev = apply(record_type::order_placed, bytes_of(order_of(0x101, "tee", 4)));
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].name, "order");
    EXPECT_EQ(ev[0].id, "128");
    // 6 -> 3: low_stock after the order event.
    ev = apply(record_type::order_placed, bytes_of(order_of(0x201, "tee", 3)));
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[1].name, "low_stock");
    EXPECT_EQ(ev[1].data["available"], 3);
    EXPECT_EQ(ev[1].data["threshold"], 4);
    // paid (sell: held -> sold) changes nothing available.
    ev = apply(record_type::order_moved,
               bytes_of(matching::order_moved{
                   .order_id = 0x101,
                   .step = {.to = order_status::paid, .by = actor::payment, .at_ms = 9}}));
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].data["restock"], false);
    // 3 -> 0 by a stock delta: sold_out.
    ev = apply(record_type::stock_adjusted,
               bytes_of(matching::stock_adjusted{.sku_id = "tee", .delta = -3, .at_ms = 10}));
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].name, "sold_out");
    EXPECT_EQ(ev[0].id, "");
    // The 3-unit order expires (release): 0 -> 3, restocked, still inside the low band.
    ev = apply(record_type::order_moved,
               bytes_of(matching::order_moved{
                   .order_id = 0x201,
                   .step = {.to = order_status::expired, .by = actor::system, .at_ms = 11}}));
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[0].data["status"], "expired");
    EXPECT_EQ(ev[1].name, "restocked");
    EXPECT_EQ(ev[1].data["available"], 3);
    // Refund with restock of the paid 4 (unsell): 3 -> 7, above 4 + 1: re-armed, no event.
    ev = apply(record_type::order_moved,
               bytes_of(matching::order_moved{
                   .order_id = 0x101,
                   .step = {.to = order_status::refund_requested, .by = actor::buyer}}));
    ASSERT_EQ(ev.size(), 1u);
    ev =
        apply(record_type::order_moved,
              bytes_of(matching::order_moved{
                  .order_id = 0x101,
                  .step = {.to = order_status::refunded, .by = actor::merchant, .restock = true}}));
    ASSERT_EQ(ev.size(), 1u);
    // Down to 4 again by a merchant PUT of the stock: low_stock fires a second time.
    ev = apply(record_type::sku_upserted, bytes_of(sku("tee", 7, 4)));
    EXPECT_TRUE(ev.empty());  // the same stock: available stays 7
    ev = apply(record_type::stock_adjusted,
               bytes_of(matching::stock_adjusted{.sku_id = "tee", .delta = -3, .at_ms = 12}));
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].name, "low_stock");
    EXPECT_EQ(ev[0].data["available"], 4);
    // Block-list changes are no event.
    EXPECT_TRUE(apply(record_type::block_changed,
                      bytes_of(matching::block_changed{.value = "buyer-1", .at_ms = 13}))
                    .empty());
}

TEST(EventView, SeededStateIsTheStartingPoint) {
    event_view view;
    matching::sku_state s = sku("cap", 5, 2);
    s.held = 2;  // available 3
    view.seed_sku(s);
    const std::vector<std::byte> placed_bytes = bytes_of(order_of(0x105, "cap", 2));
    matching::order_placed_view placed;
    ASSERT_TRUE(matching::decode(placed_bytes, placed));
    view.seed_order(0, matching::order_status::pending_payment, placed);
    std::string out;
    // The seeded order is cancelled by an old-style record: 3 -> 5, no event but the order's.
    view.apply(100, u16(record_type::order_cancelled),
               bytes_of(matching::order_cancelled{.order_id = 0x105, .at_ms = 7}), out);
    auto ev = parse(out);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].data["status"], "cancelled");
    out.clear();
    view.apply(164, u16(record_type::order_placed), bytes_of(order_of(0x205, "cap", 3)), out);
    ev = parse(out);
    ASSERT_EQ(ev.size(), 2u);  // 5 -> 2: low_stock
    EXPECT_EQ(ev[1].name, "low_stock");
}

// Split by home shard and seeded part by part (start-up seeds each part on a thread of its
// own), the view tells exactly the events a whole one tells, for moves of orders in every part.
TEST(EventView, APartitionedViewTellsWhatAWholeOneTells) {
    const auto home = [](std::uint64_t id) { return static_cast<std::size_t>((id & 0xff) % 3); };
    event_view whole;
    event_view split;
    split.partition(3, home);
    matching::sku_state s = sku("tee", 30, 10);
    s.held = 24;  // the twelve orders below: available 6, under the threshold
    whole.seed_sku(s);
    split.seed_sku(s);
    std::vector<std::uint64_t> ids;
    for (std::uint64_t n = 1; n <= 12; ++n) {
        const std::uint64_t id = (n << 8) | (n % 4);
        const std::vector<std::byte> bytes = bytes_of(order_of(id, "tee", 2));
        matching::order_placed_view placed;
        ASSERT_TRUE(matching::decode(bytes, placed));
        whole.seed_order(0, order_status::pending_payment, placed);
        split.seed_order(home(id), order_status::pending_payment, placed);
        ids.push_back(id);
    }
    EXPECT_EQ(split.order_count(), 12u);
    std::uint64_t lsn = 64;
    std::size_t stock_events = 0;
    auto both = [&](record_type t, const std::vector<std::byte>& payload) {
        std::string a, b;
        const std::size_t n = whole.apply(lsn, u16(t), payload, a);
        EXPECT_EQ(split.apply(lsn, u16(t), payload, b), n);
        EXPECT_EQ(a, b);
        for (const auto& e : parse(a)) stock_events += e.name == "order" ? 0 : 1;
        lsn += 64;
    };
    // Paid, cancelled and expired across the parts: available goes 6 -> 18 and back down.
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const order_status to = i % 3 == 0   ? order_status::paid
                                : i % 3 == 1 ? order_status::cancelled
                                             : order_status::expired;
        const actor by = i % 3 == 0 ? actor::payment : i % 3 == 1 ? actor::buyer : actor::system;
        both(record_type::order_moved,
             bytes_of(matching::order_moved{.order_id = ids[i], .step = {.to = to, .by = by}}));
    }
    for (std::uint64_t n = 13; n <= 18; ++n) {
        both(record_type::order_placed, bytes_of(order_of((n << 8) | (n % 4), "tee", 2)));
    }
    both(record_type::order_cancelled,
         bytes_of(matching::order_cancelled{.order_id = (13ull << 8) | 1, .at_ms = 5}));
    EXPECT_GE(stock_events, 1u) << "the moves reached the SKU through the orders' lines";
    EXPECT_EQ(split.order_count(), 18u);
}

TEST(EventRing, ASlowReaderIsToldItWasOverrun) {
    event_ring ring(4);
    std::vector<event_ring::pending> batch;
    for (int i = 1; i <= 3; ++i)
        batch.push_back({static_cast<std::uint64_t>(i * 8), "e" + std::to_string(i) + ";"});
    ring.publish(batch);
    std::uint64_t cursor = 1;
    std::uint64_t events = 0;
    std::string out;
    ASSERT_TRUE(ring.copy_since(cursor, 8, out, 1 << 20, events));
    EXPECT_EQ(out, "e2;e3;");  // lsn 8 skipped
    EXPECT_EQ(events, 2u);
    for (int i = 4; i <= 9; ++i) batch.push_back({0, "s" + std::to_string(i) + ";"});
    ring.publish(batch);
    EXPECT_FALSE(ring.copy_since(cursor, 0, out, 1 << 20, events));
    std::uint64_t fresh = ring.next_seq() - 2;
    out.clear();
    ASSERT_TRUE(ring.copy_since(fresh, 0, out, 1 << 20, events));
    EXPECT_EQ(out, "s8;s9;");
}

}  // namespace
}  // namespace fg::gateway
