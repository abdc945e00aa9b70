#include "matching/engine.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "matching/event_codec.hpp"
#include "memory_journal.hpp"

namespace fg::matching {
namespace {

using testing::manual_clock;
using testing::memory_journal;

// Drives N shards on the test's thread: runs every shard's inbox until all are quiet.
class engine_fixture : public ::testing::Test {
 protected:
    void SetUp() override { eng_.emplace(engine_options{.shard_count = 4}, clock_, log_); }

    void pump() {
        for (bool ran = true; ran;) {
            ran = false;
            for (std::size_t i = 0; i < eng_->shard_count(); ++i) ran |= eng_->at(i).poll() > 0;
        }
    }

    // Finds `count` SKU ids that live on pairwise different shards.
    std::vector<std::string> skus_on_different_shards(std::size_t count) {
        std::vector<std::string> ids;
        std::vector<bool> used(eng_->shard_count());
        for (int i = 0; ids.size() < count; ++i) {
            std::string id = "sku-" + std::to_string(i);
            if (!used[eng_->sku_owner(id)]) {
                used[eng_->sku_owner(id)] = true;
                ids.push_back(id);
            }
        }
        return ids;
    }

    void put(const std::string& id, std::int64_t stock) {
        sku_spec spec;
        spec.name = id;
        spec.price = money{1000, *currency_code::parse("CNY")};
        spec.stock = stock;
        std::optional<sku_result> r;
        eng_->at(0).put_sku(id, spec, [&](sku_result res) { r = std::move(res); });
        pump();
        ASSERT_TRUE(r) << "no reply";
        ASSERT_EQ(r->result, outcome::ok) << to_string(r->result);
    }

    sku_state sku(const std::string& id) {
        std::optional<sku_result> r;
        eng_->at(1).get_sku(id, [&](sku_result res) { r = std::move(res); });
        pump();
        EXPECT_TRUE(r) << "no reply";
        if (r) {
            EXPECT_EQ(r->result, outcome::ok) << to_string(r->result);
        }
        return r ? r->sku : sku_state{};
    }

    order_request request(std::vector<std::pair<std::string, std::int64_t>> items,
                          std::string buyer = "buyer-1") {
        order_request req;
        req.buyer_id = std::move(buyer);
        req.payment_method = "alipay";
        req.buyer_contact = {"n", "1", "a"};
        for (auto& [id, qty] : items) req.items.push_back({id, qty});
        return req;
    }

    std::optional<place_result> place(std::size_t on, std::string key, order_request req) {
        std::optional<place_result> r;
        eng_->at(on).place_order(std::move(key), std::move(req),
                                 [&](place_result res) { r = std::move(res); });
        pump();
        return r;
    }

    manual_clock clock_;
    memory_journal log_;
    std::optional<engine> eng_;
};

TEST_F(engine_fixture, OrderAcrossShardsHoldsEveryItem) {
    auto ids = skus_on_different_shards(3);
    for (auto& id : ids) put(id, 5);
    auto r = place(2, "k1", request({{ids[0], 1}, {ids[1], 2}, {ids[2], 3}}));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->result, outcome::ok);
    EXPECT_EQ(r->placed.total.amount_minor, 6 * 1000);
    EXPECT_EQ(sku(ids[0]).held, 1);
    EXPECT_EQ(sku(ids[1]).held, 2);
    EXPECT_EQ(sku(ids[2]).held, 3);
    EXPECT_EQ(sku(ids[2]).available(), 2);
}

TEST_F(engine_fixture, RefusedCrossShardOrderLeavesNoTraceInAnyCount) {
    auto ids = skus_on_different_shards(3);
    put(ids[0], 5);
    put(ids[1], 1);
    put(ids[2], 5);
    auto r = place(0, "k1", request({{ids[0], 1}, {ids[1], 2}, {ids[2], 1}}));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->result, outcome::sold_out);
    EXPECT_EQ(r->refused_sku, ids[1]);
    for (auto& id : ids) EXPECT_EQ(sku(id).held, 0) << id;
    // The key keeps its answer: a retry gets the same refusal even once stock arrives, and
    // takes nothing; a new key may succeed.
    put(ids[1], 2);
    auto retry = place(0, "k1", request({{ids[0], 1}, {ids[1], 2}, {ids[2], 1}}));
    ASSERT_TRUE(retry);
    EXPECT_EQ(retry->result, outcome::sold_out);
    EXPECT_TRUE(retry->replayed);
    EXPECT_EQ(retry->refused_sku, ids[1]);
    for (auto& id : ids) EXPECT_EQ(sku(id).held, 0) << id;
    auto fresh = place(0, "k2", request({{ids[0], 1}, {ids[1], 2}, {ids[2], 1}}));
    ASSERT_TRUE(fresh);
    EXPECT_EQ(fresh->result, outcome::ok);
}

TEST_F(engine_fixture, RepeatedIdempotencyKeyReturnsTheFirstOrder) {
    put("a", 10);
    auto first = place(0, "same", request({{"a", 2}}));
    auto second = place(3, "same", request({{"a", 2}}));
    ASSERT_TRUE(first && second);
    ASSERT_EQ(first->result, outcome::ok);
    ASSERT_EQ(second->result, outcome::ok);
    EXPECT_TRUE(second->replayed);
    EXPECT_EQ(second->placed.id, first->placed.id);
    EXPECT_EQ(sku("a").held, 2);
}

TEST_F(engine_fixture, ReplyWaitsForDurabilityAndSameKeyMeanwhileIsInProgress) {
    put("a", 10);
    log_.set_auto_sync(false);
    std::optional<place_result> first;
    eng_->at(0).place_order("k", request({{"a", 1}}), [&](place_result r) { first = r; });
    pump();
    EXPECT_FALSE(first) << "answered before the record was durable";
    auto again = place(1, "k", request({{"a", 1}}));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->result, outcome::request_in_progress);
    log_.sync_all();
    pump();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->result, outcome::ok);
}

TEST_F(engine_fixture, CancelReleasesStockAndASecondCancelIsIllegal) {
    put("a", 3);
    auto r = place(0, "k", request({{"a", 3}}));
    ASSERT_TRUE(r && r->result == outcome::ok);
    EXPECT_EQ(sku("a").available(), 0);
    std::optional<order_result> c;
    eng_->at(2).cancel_order(r->placed.id, [&](order_result res) { c = res; });
    pump();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->result, outcome::ok);
    EXPECT_EQ(c->value.status, order_status::cancelled);
    EXPECT_EQ(sku("a").available(), 3);
    EXPECT_EQ(sku("a").held, 0);
    std::optional<order_result> again;
    eng_->at(1).cancel_order(r->placed.id, [&](order_result res) { again = res; });
    pump();
    ASSERT_TRUE(again);
    EXPECT_EQ(again->result, outcome::illegal_transition);
}

TEST_F(engine_fixture, FullLogAnswersOverloadedAndGivesTheStockBack) {
    put("a", 3);
    log_.set_full(true);
    auto r = place(0, "k", request({{"a", 1}}));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->result, outcome::overloaded);
    log_.set_full(false);
    EXPECT_EQ(sku("a").held, 0);
}

TEST_F(engine_fixture, DiskFullRefusesEveryWriteBeforeItTouchesStockOrTheLog) {
    put("a", 3);
    auto first = place(0, "k0", request({{"a", 1}}));
    ASSERT_TRUE(first && first->result == outcome::ok);
    const std::size_t records = log_.records().size();
    log_.set_no_space(true);
    auto r = place(1, "k1", request({{"a", 1}}));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->result, outcome::disk_full);
    std::optional<order_result> c;
    eng_->at(2).cancel_order(first->placed.id, [&](order_result res) { c = res; });
    std::optional<sku_result> upsert, adjust;
    sku_spec spec;
    spec.stock = 10;
    eng_->at(3).put_sku("a", spec, [&](sku_result res) { upsert = res; });
    eng_->at(3).adjust_stock("a", 5, [&](sku_result res) { adjust = res; });
    pump();
    ASSERT_TRUE(c && upsert && adjust);
    EXPECT_EQ(c->result, outcome::disk_full);
    EXPECT_EQ(upsert->result, outcome::disk_full);
    EXPECT_EQ(adjust->result, outcome::disk_full);
    EXPECT_EQ(log_.records().size(), records) << "a refused write reached the log";
    log_.set_no_space(false);
    const sku_state a = sku("a");
    EXPECT_EQ(a.stock, 3);
    EXPECT_EQ(a.held, 1);
    // Nothing was used up: the same key and the cancel go through once the disk has room.
    auto retry = place(1, "k1", request({{"a", 1}}));
    ASSERT_TRUE(retry);
    EXPECT_EQ(retry->result, outcome::ok);
    EXPECT_FALSE(retry->replayed);
}

TEST_F(engine_fixture, NoSpaceFromTheAppendItselfGivesTheReservationBack) {
    put("a", 3);
    log_.set_append_no_space(true);  // the check passed, then the disk filled
    auto r = place(0, "k", request({{"a", 2}}));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->result, outcome::disk_full);
    log_.set_append_no_space(false);
    EXPECT_EQ(sku("a").held, 0);
    EXPECT_EQ(sku("a").available(), 3);
}

TEST_F(engine_fixture, WriteAppendedBeforeTheDiskFilledWaitsAndIsAcknowledgedWhenDurable) {
    put("a", 3);
    log_.set_auto_sync(false);
    std::optional<place_result> pending;
    eng_->at(0).place_order("k", request({{"a", 1}}), [&](place_result r) { pending = r; });
    pump();
    log_.set_no_space(true);
    pump();
    EXPECT_FALSE(pending) << "a logged write was answered while the disk was full";
    log_.set_no_space(false);
    log_.sync_all();
    pump();
    ASSERT_TRUE(pending);
    EXPECT_EQ(pending->result, outcome::ok);
}

TEST_F(engine_fixture, ReplayOfTheLogRebuildsCountsOrdersAndKeys) {
    auto ids = skus_on_different_shards(2);
    put(ids[0], 10);
    put(ids[1], 10);
    auto o1 = place(0, "k1", request({{ids[0], 2}, {ids[1], 1}}));
    auto o2 = place(1, "k2", request({{ids[0], 3}}, "buyer-2"));
    ASSERT_TRUE(o1 && o2 && o1->result == outcome::ok && o2->result == outcome::ok);
    std::optional<order_result> c;
    eng_->at(3).cancel_order(o2->placed.id, [&](order_result res) { c = res; });
    pump();

    memory_journal fresh_log;
    engine fresh(engine_options{.shard_count = 3}, clock_, fresh_log);  // other shard count
    std::string error;
    for (const auto& rec : log_.records())
        ASSERT_TRUE(fresh.replay(rec.type, rec.payload, error)) << error;
    ASSERT_TRUE(fresh.finish_replay(error)) << error;
    const sku_state* a = fresh.at(fresh.sku_owner(ids[0])).stock().find(ids[0]);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->held, 2);
    EXPECT_EQ(a->available(), 8);
    // The key still names its order, and new ids do not collide with replayed ones.
    std::optional<place_result> replayed;
    fresh.at(0).place_order("k1", request({{ids[0], 2}}), [&](place_result r) { replayed = r; });
    std::optional<place_result> fresh_order;
    fresh.at(0).place_order("k3", request({{ids[1], 1}}), [&](place_result r) { fresh_order = r; });
    for (int i = 0; i < 100; ++i) {
        for (std::size_t s = 0; s < fresh.shard_count(); ++s) (void)fresh.at(s).poll();
    }
    ASSERT_TRUE(replayed && fresh_order);
    EXPECT_TRUE(replayed->replayed);
    EXPECT_EQ(replayed->placed.id, o1->placed.id);
    EXPECT_NE(fresh_order->placed.id, o1->placed.id);
    EXPECT_NE(fresh_order->placed.id, o2->placed.id);
}

// Orders as a log holds them, for replay straight into an engine of one shard.
class replayed_holds : public ::testing::Test {
 protected:
    static constexpr std::int64_t t0 = 1'800'000'000'000;

    void SetUp() override {
        clock_.set(t0);
        sku_state s;
        s.id = "tee";
        s.name = "tee";
        s.price = {1000, cny_};
        s.stock = 1'000'000;
        encode(s, buf_);
        put(record_type::sku_upserted);
    }

    // Order number `n`, placed at t0 - 1000 + n, holding until `hold_until` (0: in review).
    std::uint64_t placed(std::uint64_t n, std::int64_t hold_until) {
        order o;
        o.id = n << 8;
        o.idempotency_key = "key-" + std::to_string(n);
        o.client = "storefront";
        o.buyer_id = "buyer-" + std::to_string(n % 7);
        o.payment_method = "alipay";
        o.buyer_contact = {"n", "1", "a"};
        o.items.push_back({"tee", 1, {1000, cny_}});
        o.total = {1000, cny_};
        o.created_at_ms = o.updated_at_ms = t0 - 1000 + static_cast<std::int64_t>(n);
        o.status = hold_until == 0 ? order_status::risk_review : order_status::pending_payment;
        o.hold_expires_at_ms = hold_until;
        o.history.assign(1, transition{.to = o.status, .at_ms = o.created_at_ms});
        encode(o, buf_);
        put(record_type::order_placed);
        return o.id;
    }
    void moved(std::uint64_t id, transition step) {
        encode(order_moved{.order_id = id, .step = step}, buf_);
        put(record_type::order_moved);
    }

    // Replays every record into a fresh engine of one shard.
    void replay() {
        eng_.emplace(engine_options{.shard_count = 1}, clock_, log_);
        std::string error;
        for (const auto& [type, payload] : records_) {
            ASSERT_TRUE(eng_->replay(static_cast<std::uint16_t>(type), payload, error)) << error;
        }
        ASSERT_TRUE(eng_->finish_replay(error)) << error;
    }
    // Ticks at `at` (ms after t0) until the shard is quiet, and returns its expired orders.
    std::uint64_t expired_at(std::int64_t at) {
        clock_.set(t0 + at);
        eng_->at(0).tick();
        while (eng_->at(0).poll() > 0) {
        }
        return eng_->at(0).orders_expired();
    }
    order_status status(std::uint64_t id) {
        std::optional<order_result> r;
        eng_->at(0).get_order(id, [&](order_result res) { r = std::move(res); });
        while (eng_->at(0).poll() > 0) {
        }
        EXPECT_TRUE(r && r->result == outcome::ok);
        return r ? r->value.status : order_status::pending_payment;
    }

    void put(record_type type) { records_.emplace_back(type, buf_); }

    const currency_code cny_ = *currency_code::parse("CNY");
    std::vector<std::byte> buf_;
    std::vector<std::pair<record_type, std::vector<std::byte>>> records_;
    manual_clock clock_;
    memory_journal log_;
    std::optional<engine> eng_;
};

// Replayed holds lapse by a walk over the orders; one whose deadline is out of the walk's order
// (earlier than one before it, or set by a later step) lapses on time all the same.
TEST_F(replayed_holds, EachLapsesAtItsOwnDeadlineWhateverOrderTheyWereKeptIn) {
    const std::uint64_t a = placed(1, t0 + 1000);
    const std::uint64_t b = placed(2, t0 + 3000);
    const std::uint64_t c = placed(3, t0 + 2000);  // earlier than b's
    const std::uint64_t d = placed(4, t0 + 3000);
    moved(d, {.to = order_status::cancelled, .by = actor::buyer, .at_ms = t0 - 10});
    const std::uint64_t e = placed(5, 0);  // in review, approved with a hold before b's lapses
    moved(e, {.to = order_status::pending_payment,
              .by = actor::merchant,
              .at_ms = t0 - 5,
              .hold_expires_at_ms = t0 + 1500});
    const std::uint64_t f = placed(6, t0 + 5000);
    const std::uint64_t g = placed(7, t0 + 5000);
    moved(g, {.to = order_status::paid, .by = actor::payment, .at_ms = t0 - 1});
    replay();

    EXPECT_EQ(expired_at(999), 0u);
    EXPECT_EQ(expired_at(1000), 1u);
    EXPECT_EQ(status(a), order_status::expired);
    EXPECT_EQ(expired_at(1499), 1u);
    EXPECT_EQ(expired_at(1500), 2u);
    EXPECT_EQ(status(e), order_status::expired);
    EXPECT_EQ(expired_at(2000), 3u);
    EXPECT_EQ(status(c), order_status::expired);
    EXPECT_EQ(expired_at(2999), 3u);
    EXPECT_EQ(expired_at(3000), 4u);
    EXPECT_EQ(status(b), order_status::expired);
    EXPECT_EQ(status(d), order_status::cancelled);
    EXPECT_EQ(expired_at(4999), 4u);
    EXPECT_EQ(status(f), order_status::pending_payment);
    EXPECT_EQ(expired_at(5000), 5u);
    EXPECT_EQ(status(f), order_status::expired);
    EXPECT_EQ(status(g), order_status::paid);
    EXPECT_EQ(expired_at(60'000), 5u);
}

// A restart long after a sale: its lapsed holds expire a bounded number per tick, every one
// within a few ticks, and the hold gauge counts down to nothing.
TEST_F(replayed_holds, ManyLapsedHoldsExpireOverAFewTicks) {
    constexpr std::uint64_t orders = 150'000;
    for (std::uint64_t n = 1; n <= orders; ++n) placed(n, t0 - 500);
    replay();
    EXPECT_EQ(eng_->at(0).holds_scheduled(), orders);
    const std::uint64_t first = expired_at(1);
    EXPECT_GT(first, 0u);
    EXPECT_LT(first, orders);
    std::uint64_t total = first;
    for (int tick = 2; tick < 10 && total < orders; ++tick) total = expired_at(tick);
    EXPECT_EQ(total, orders);
    EXPECT_EQ(eng_->at(0).holds_scheduled(), 0u);
    EXPECT_EQ(eng_->at(0).stock().find("tee")->held, 0);
}

// With one shard every part is answered inline, so the refusal finishes the placement while
// reserve_parts is still on the stack (ASan caught a use-after-free here).
TEST(EngineOneShard, RefusalAnsweredInlineFinishesCleanly) {
    manual_clock clock;
    memory_journal log;
    engine eng(engine_options{.shard_count = 1}, clock, log);
    order_request req;
    req.buyer_id = "b";
    req.items.push_back({"missing", 1});
    std::optional<place_result> r;
    eng.at(0).place_order("k", std::move(req), [&](place_result res) { r = std::move(res); });
    ASSERT_TRUE(r);
    EXPECT_EQ(r->result, outcome::unknown_sku);
    EXPECT_EQ(r->refused_sku, "missing");
}

// Real threads, one per shard, as in the gateway: exactly `stock` of many competing orders win.
TEST(EngineThreads, HotSkuSellsExactlyItsStockAcrossThreads) {
    constexpr std::size_t shards = 4, orders_per_shard = 500;
    constexpr std::int64_t stock = 300;
    manual_clock clock;
    memory_journal log;
    engine eng(engine_options{.shard_count = shards}, clock, log);
    std::atomic<bool> stop{false};
    std::atomic<std::size_t> answered{0}, accepted{0};
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < shards; ++i) {
        threads.emplace_back([&, i] {
            while (!stop.load(std::memory_order_acquire)) {
                if (eng.at(i).poll() == 0) std::this_thread::yield();
            }
        });
    }
    std::atomic<bool> created{false};
    eng.post(0, [&] {
        sku_spec spec;
        spec.name = "hot";
        spec.price = money{1, *currency_code::parse("CNY")};
        spec.stock = stock;
        eng.at(0).put_sku("hot", spec, [&](sku_result) { created.store(true); });
    });
    while (!created.load()) std::this_thread::yield();
    for (std::size_t i = 0; i < shards; ++i) {
        eng.post(i, [&, i] {
            for (std::size_t n = 0; n < orders_per_shard; ++n) {
                order_request req;
                req.buyer_id = "b" + std::to_string(i) + "-" + std::to_string(n);
                req.items.push_back({"hot", 1});
                std::string key = req.buyer_id;
                eng.at(i).place_order(std::move(key), std::move(req), [&](place_result r) {
                    if (r.result == outcome::ok && !r.replayed) accepted.fetch_add(1);
                    answered.fetch_add(1);
                });
            }
        });
    }
    while (answered.load() < shards * orders_per_shard) std::this_thread::yield();
    std::atomic<bool> checked{false};
    sku_state final_state;
    eng.post(eng.sku_owner("hot"), [&] {
        final_state = *eng.at(eng.sku_owner("hot")).stock().find("hot");
        checked.store(true);
    });
    while (!checked.load()) std::this_thread::yield();
    stop.store(true, std::memory_order_release);
    for (auto& t : threads) t.join();
    EXPECT_EQ(accepted.load(), static_cast<std::size_t>(stock));
    EXPECT_EQ(final_state.held, stock);
    EXPECT_EQ(final_state.available(), 0);
}

}  // namespace
}  // namespace fg::matching
