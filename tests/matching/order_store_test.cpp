#include "matching/order_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "matching/event_codec.hpp"
#include "matching/lifecycle.hpp"
#include "test_seed.hpp"

namespace fg::matching {
namespace {

using testing::seed_from_env;

order make_order(std::uint64_t id, std::mt19937_64& rng) {
    const auto cny = *currency_code::parse("CNY");
    order o;
    o.id = id;
    o.idempotency_key = "key-" + std::to_string(id);
    o.client = rng() % 2 ? "storefront" : "public";
    o.client_ip = rng() % 2 ? "203.0.113." + std::to_string(rng() % 256) : "";
    o.digest[0] = static_cast<std::uint8_t>(rng());
    o.buyer_id = "buyer-" + std::to_string(rng() % 1000);
    o.payment_method = "alipay";
    // Long addresses now and then, so that placements cross arena chunks at odd offsets.
    o.buyer_contact = {"Li Lei", "13800000000", std::string(rng() % 500, 'a')};
    const std::size_t lines = 1 + rng() % 3;
    for (std::size_t i = 0; i < lines; ++i) {
        o.items.push_back({"sku-" + std::to_string(i) + "-" + std::to_string(rng() % 50),
                           static_cast<std::int64_t>(1 + rng() % 5), money{1999, cny}});
        o.total.amount_minor += o.items.back().qty * 1999;
    }
    o.total.currency = cny;
    o.created_at_ms = o.updated_at_ms = 1'800'000'000'000 + static_cast<std::int64_t>(id);
    const bool review = rng() % 5 == 0;
    o.status = review ? order_status::risk_review : order_status::pending_payment;
    o.hold_expires_at_ms = review ? 0 : o.created_at_ms + 900'000;
    o.history.assign(1, transition{.to = o.status,
                                   .at_ms = o.created_at_ms,
                                   .text = text_of({.reason = review ? "velocity" : ""})});
    return o;
}

// Two orders are the same when they encode to the same placement and agree on what changed.
void expect_same(const order& want, const order& got) {
    std::vector<std::byte> a, b;
    encode(want.as_placed(), a);
    encode(got.as_placed(), b);
    EXPECT_EQ(a, b) << "order " << want.id;
    EXPECT_EQ(want.status, got.status);
    EXPECT_EQ(want.hold_expires_at_ms, got.hold_expires_at_ms);
    EXPECT_EQ(want.updated_at_ms, got.updated_at_ms);
    ASSERT_EQ(want.history.size(), got.history.size());
    for (std::size_t i = 0; i < want.history.size(); ++i) {
        EXPECT_EQ(want.history[i].to, got.history[i].to);
        EXPECT_EQ(want.history[i].at_ms, got.history[i].at_ms);
        EXPECT_EQ(want.history[i].provider_txn_id(), got.history[i].provider_txn_id());
        EXPECT_EQ(want.history[i].reason(), got.history[i].reason());
    }
}

TEST(OrderStore, KeepsEveryOrderAsPlacedAndMovedAcrossGrowth) {
    std::mt19937_64 rng(seed_from_env("OrderStore"));
    order_store store;
    std::map<std::uint64_t, order> model;
    std::vector<std::uint64_t> ids;
    std::vector<std::byte> buf;
    // Enough orders for several index doublings and a dozen arena chunks.
    for (std::uint64_t seq = 1; seq <= 30'000; ++seq) {
        const std::uint64_t id = (seq << 8) | (rng() % 4);
        order o = make_order(id, rng);
        encode(o, buf);
        order_store::entry* e = store.insert(id, o.status, buf);
        ASSERT_NE(e, nullptr);
        const std::span<const std::byte> kept = store.placement(*e);
        EXPECT_TRUE(std::equal(buf.begin(), buf.end(), kept.begin(), kept.end()));
        model.emplace(id, std::move(o));
        ids.push_back(id);
        // A move of a random earlier order, as the live path and replay apply them.
        if (seq % 3 == 0) {
            order& m = model.at(ids[rng() % ids.size()]);
            const order_status to = m.status == order_status::pending_payment
                                        ? order_status::paid
                                        : order_status::cancelled;
            const transition step{
                .to = to,
                .by = actor::payment,
                .at_ms = m.updated_at_ms + 5,
                .text = text_of({.provider_txn_id = "txn-" + std::to_string(seq)}),
                .hold_expires_at_ms = rng() % 4 == 0 ? m.updated_at_ms + 99 : 0};
            m.status = step.to;
            m.updated_at_ms = step.at_ms;
            if (step.hold_expires_at_ms != 0) m.hold_expires_at_ms = step.hold_expires_at_ms;
            m.history.push_back(step);
            store.apply(store.at(m.id), step);
        }
    }
    EXPECT_EQ(store.size(), model.size());
    for (const auto& [id, want] : model) {
        const order_store::entry* e = store.find(id);
        ASSERT_NE(e, nullptr) << id;
        EXPECT_EQ(e->history_size(), want.history.size());
        EXPECT_EQ(order_store::hold_expires_at(*e), want.hold_expires_at_ms) << id;
        expect_same(want, store.materialize(*e));
    }
    std::size_t seen = 0;
    store.for_each([&](const order_store::entry& e) {
        ++seen;
        EXPECT_TRUE(model.contains(order_store::id_of(e)));
    });
    EXPECT_EQ(seen, model.size());
}

TEST(OrderStore, RefusesADuplicateIdAndFindsNothingForUnknownIds) {
    std::mt19937_64 rng(7);
    order_store store;
    std::vector<std::byte> buf;
    const order o = make_order(0x1200, rng);
    encode(o, buf);
    ASSERT_NE(store.insert(o.id, o.status, buf), nullptr);
    EXPECT_EQ(store.insert(o.id, o.status, buf), nullptr);
    EXPECT_EQ(store.size(), 1u);
    EXPECT_EQ(store.find(0), nullptr);
    EXPECT_EQ(store.find(0x1201), nullptr);
    EXPECT_EQ(store.find(0x1300), nullptr);
    EXPECT_NE(store.find(0x1200), nullptr);
}

// Ids are found by their number (id >> 8) in pages per home byte, and numbers past 2^32 in a
// flat table (detail::id_index): numbers shared by ids of other shards, far and sparse numbers.
TEST(OrderStore, FindsIdsThatShareANumberOrLieFarOutside) {
    std::mt19937_64 rng(seed_from_env("OrderStoreIds"));
    order_store store;
    std::vector<std::byte> buf;
    std::vector<std::uint64_t> ids;
    for (std::uint64_t n : {1ull, 2ull, 4095ull, 4096ull, 1ull << 20, (1ull << 32) - 1, 1ull << 32,
                            1ull << 50, (1ull << 56) - 2}) {
        for (std::uint64_t shard : {0ull, 1ull, 255ull}) ids.push_back((n << 8) | shard);
    }
    for (int i = 0; i < 2000; ++i) {
        const std::uint64_t id =
            rng() % 3 == 0 ? (rng() | 1) : ((1 + rng() % 50'000) << 8) | (rng() % 3);
        if (id != detail::count_table::no_key) ids.push_back(id);
    }
    std::map<std::uint64_t, std::vector<std::byte>> kept;
    std::shuffle(ids.begin(), ids.end(), rng);
    for (std::uint64_t id : ids) {
        const order o = make_order(id, rng);
        encode(o, buf);
        order_store::entry* e = store.insert(id, o.status, buf);
        if (kept.contains(id)) {
            EXPECT_EQ(e, nullptr) << id;
            continue;
        }
        ASSERT_NE(e, nullptr) << id;
        kept.emplace(id, buf);
    }
    EXPECT_EQ(store.size(), kept.size());
    for (const auto& [id, bytes] : kept) {
        const order_store::entry* e = store.find(id);
        ASSERT_NE(e, nullptr) << id;
        EXPECT_EQ(order_store::id_of(*e), id);
        const std::span<const std::byte> p = store.placement(*e);
        EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), p.begin(), p.end())) << id;
        // A neighbour that was never inserted is not found through a shared number.
        for (const std::uint64_t other : {id ^ std::uint64_t{0x80}, id + std::uint64_t{0x100}}) {
            if (!kept.contains(other)) {
                EXPECT_EQ(store.find(other), nullptr) << other;
            }
        }
    }
}

TEST(OrderStore, InPlaceKeepsThePlacementWhereTheCallerHasIt) {
    std::mt19937_64 rng(11);
    order_store store;
    std::vector<std::vector<std::byte>> logged(50);
    for (std::uint64_t i = 0; i < logged.size(); ++i) {
        const order o = make_order(((i + 1) << 8) | 1, rng);
        encode(o, logged[i]);
        const order_store::entry* e = store.insert(o.id, o.status, logged[i], true);
        ASSERT_NE(e, nullptr);
        EXPECT_EQ(store.placement(*e).data(), logged[i].data());
        EXPECT_EQ(store.placement(*e).size(), logged[i].size());
        expect_same(o, store.materialize(*e));
    }
    // A copied one is not where the caller had it.
    std::vector<std::byte> buf;
    const order o = make_order((99ull << 8) | 1, rng);
    encode(o, buf);
    const order_store::entry* e = store.insert(o.id, o.status, buf);
    ASSERT_NE(e, nullptr);
    EXPECT_NE(store.placement(*e).data(), buf.data());
    buf.assign(buf.size(), std::byte{0});
    expect_same(o, store.materialize(*e));
}

}  // namespace
}  // namespace fg::matching
