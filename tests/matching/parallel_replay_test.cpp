// Replay on one thread per shard must build exactly the state one thread builds. The log here
// is random but legal: SKUs with per-buyer limits, stock changes, orders of one to three lines,
// every kind of later move (cancel records of the old format too), refusals kept for their
// keys and block list changes. Batches are made tiny so that moves often land in a later batch
// than their order.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "matching/engine.hpp"
#include "matching/lifecycle.hpp"
#include "memory_journal.hpp"
#include "test_seed.hpp"

namespace fg::matching {
namespace {

using testing::manual_clock;
using testing::memory_journal;

using testing::seed_from_env;

struct logged {
    record_type type;
    std::vector<std::byte> payload;
};

// A random legal history, as the live engine could have logged it.
std::vector<logged> random_log(std::mt19937_64& rng, std::int64_t now_ms) {
    std::vector<logged> log;
    std::vector<std::byte> buf;
    auto put = [&](record_type t) { log.push_back({t, buf}); };
    const auto cny = *currency_code::parse("CNY");
    constexpr int skus = 40;
    for (int i = 0; i < skus; ++i) {
        sku_state s;
        s.id = "sku-" + std::to_string(i);
        s.name = s.id;
        s.price = {100 + i, cny};
        s.stock = 1'000'000;
        s.per_buyer_limit = i % 3 == 0 ? 1000 : 0;
        s.updated_at_ms = now_ms - 100'000;
        encode(s, buf);
        put(record_type::sku_upserted);
    }
    struct placed {
        std::uint64_t id;
        order_status status;
    };
    std::vector<placed> orders;
    std::uint64_t seq = 0;
    const order_status all[] = {order_status::cancelled,        order_status::paid,
                                order_status::shipped,          order_status::delivered,
                                order_status::completed,        order_status::expired,
                                order_status::refund_requested, order_status::refunded,
                                order_status::refund_required,  order_status::pending_payment};
    const actor actors[] = {actor::buyer, actor::merchant, actor::payment, actor::system};
    for (int step = 0; step < 6'000; ++step) {
        const std::int64_t at = now_ms - 60'000 + step;
        const unsigned roll = rng() % 100;
        if (roll < 55 || orders.empty()) {
            order o;
            o.id = (++seq << 8) | (rng() % 7);
            o.idempotency_key = "key-" + std::to_string(seq);
            o.client = rng() % 2 ? "storefront" : "public";
            o.buyer_id = "buyer-" + std::to_string(rng() % 60);
            o.payment_method = "alipay";
            o.buyer_contact = {"n", "1", "a"};
            const int lines = 1 + static_cast<int>(rng() % 3);
            for (int k = 0; k < lines; ++k) {
                o.items.push_back({"sku-" + std::to_string((rng() % skus + k) % skus),
                                   static_cast<std::int64_t>(1 + rng() % 3),
                                   {100, cny}});
                o.total.amount_minor += o.items.back().qty * 100;
            }
            o.total.currency = cny;
            o.created_at_ms = o.updated_at_ms = at;
            o.status = rng() % 8 == 0 ? order_status::risk_review : order_status::pending_payment;
            o.hold_expires_at_ms = o.status == order_status::pending_payment ? at + 900'000 : 0;
            o.history.assign(1, transition{.to = o.status, .at_ms = at});
            encode(o, buf);
            put(record_type::order_placed);
            orders.push_back({o.id, o.status});
        } else if (roll < 90) {
            placed& o = orders[rng() % orders.size()];
            // Any legal move from where the order is; the old cancel record now and then.
            for (int tries = 0; tries < 8; ++tries) {
                const order_status to = all[rng() % std::size(all)];
                const actor by = actors[rng() % std::size(actors)];
                const bool restock = to == order_status::refunded && rng() % 2 == 0;
                if (!rule_for(o.status, to, by, restock).legal) continue;
                if (to == order_status::cancelled && by == actor::buyer && rng() % 3 == 0) {
                    encode(order_cancelled{.order_id = o.id, .at_ms = at}, buf);
                    put(record_type::order_cancelled);
                } else {
                    transition t{.to = to, .by = by, .at_ms = at, .restock = restock};
                    if (o.status == order_status::risk_review &&
                        to == order_status::pending_payment) {
                        t.hold_expires_at_ms = at + 900'000;
                    }
                    encode(order_moved{.order_id = o.id, .step = t}, buf);
                    put(record_type::order_moved);
                }
                o.status = to;
                break;
            }
        } else if (roll < 94) {
            encode(stock_adjusted{"sku-" + std::to_string(rng() % skus),
                                  static_cast<std::int64_t>(rng() % 100), at},
                   buf);
            put(record_type::stock_adjusted);
        } else if (roll < 98) {
            encode(key_refused{.client = "storefront",
                               .idempotency_key = "refused-" + std::to_string(rng() % 500),
                               .refusal = outcome::per_buyer_limit,
                               .refused_sku = "sku-0",
                               .request_id = "req-" + std::to_string(step),
                               .at_ms = at},
                   buf);
            put(record_type::key_refused);
        } else {
            const bool buyer = rng() % 2 == 0;
            encode(block_changed{.kind = buyer ? block_kind::buyer : block_kind::network,
                                 .value = buyer ? "buyer-" + std::to_string(rng() % 60)
                                                : "10." + std::to_string(rng() % 4) + ".0.0/16",
                                 .blocked = rng() % 3 != 0,
                                 .at_ms = at},
                   buf);
            put(record_type::block_changed);
        }
    }
    return log;
}

// Everything an engine would write to a snapshot, plus the counts a snapshot leaves out.
std::string state_of(engine& eng) {
    std::string out;
    eng.export_records([&](record_type t, std::span<const std::byte> payload) {
        out += std::to_string(static_cast<int>(t)) + ":";
        out.append(reinterpret_cast<const char*>(payload.data()), payload.size());
        out += '\n';
        return true;
    });
    std::map<std::string, std::string> counts;
    for (std::size_t s = 0; s < eng.shard_count(); ++s) {
        eng.at(s).stock().for_each([&](const sku_state& sku) {
            counts[sku.id] = std::to_string(sku.stock) + "/" + std::to_string(sku.held) + "/" +
                             std::to_string(sku.sold);
        });
        out += "shard " + std::to_string(s) + ": " + std::to_string(eng.at(s).live_orders()) +
               " orders, " + std::to_string(eng.at(s).idempotency_keys()) + " keys, " +
               std::to_string(eng.at(s).holds_scheduled()) + " holds\n";
    }
    for (const auto& [id, c] : counts) out += id + " " + c + "\n";
    return out;
}

TEST(ParallelReplay, BuildsTheStateOneThreadBuilds) {
    std::mt19937_64 rng(seed_from_env("ParallelReplay"));
    manual_clock clock;
    const std::int64_t now = clock.now_ms();
    const std::vector<logged> log = random_log(rng, now);
    for (std::size_t shards : {2u, 3u, 4u}) {
        SCOPED_TRACE("shards " + std::to_string(shards));
        memory_journal j1, j2;
        engine one(engine_options{.shard_count = shards}, clock, j1);
        engine many(engine_options{.shard_count = shards,
                                   .replay_threads = shards,
                                   .replay_batch_bytes = 1 + rng() % 4096},
                    clock, j2);
        std::string error;
        for (const logged& r : log) {
            ASSERT_TRUE(one.replay(static_cast<std::uint16_t>(r.type), r.payload, error)) << error;
            ASSERT_TRUE(many.replay(static_cast<std::uint16_t>(r.type), r.payload, error)) << error;
        }
        ASSERT_TRUE(one.finish_replay(error)) << error;
        ASSERT_TRUE(many.finish_replay(error)) << error;
        EXPECT_EQ(state_of(one), state_of(many));
    }
}

TEST(ParallelReplay, ARefusedRecordStopsReplayAndIsNamed) {
    manual_clock clock;
    memory_journal j;
    engine eng(engine_options{.shard_count = 2, .replay_threads = 2, .replay_batch_bytes = 1},
               clock, j);
    std::vector<std::byte> buf;
    encode(order_moved{.order_id = 0x105, .step = {.to = order_status::paid, .by = actor::payment}},
           buf);
    std::string error;
    // The batch is applied on other threads: the refusal comes back from a later call.
    const bool read = eng.replay(static_cast<std::uint16_t>(record_type::order_moved), buf, error);
    EXPECT_FALSE(read && eng.finish_replay(error));
    EXPECT_EQ(error, "move record for unknown order 261 (record 1 replayed)");
}

// Parts read batches up to one apart: a refusal in a late batch stops them all, and the first
// refused record in the log is the one named, whichever part refused it and whichever part got
// further.
TEST(ParallelReplay, TheFirstRefusedRecordIsNamedWhicheverPartRefusedIt) {
    std::mt19937_64 rng(seed_from_env("ParallelReplayRefused"));
    manual_clock clock;
    std::vector<logged> log = random_log(rng, clock.now_ms());
    std::vector<std::byte> buf;
    // Moves of orders never placed, homed at shard 1 and then at shard 0.
    encode(
        order_moved{.order_id = 0xfff01, .step = {.to = order_status::paid, .by = actor::payment}},
        buf);
    const std::size_t first = log.size() / 2 + rng() % (log.size() / 4);
    log.insert(log.begin() + static_cast<std::ptrdiff_t>(first), {record_type::order_moved, buf});
    encode(
        order_moved{.order_id = 0xfff00, .step = {.to = order_status::paid, .by = actor::payment}},
        buf);
    log.insert(log.begin() + static_cast<std::ptrdiff_t>(first + 1 + rng() % 50),
               {record_type::order_moved, buf});
    for (std::size_t batch : {std::size_t{64}, std::size_t{1024}, std::size_t{1} << 20}) {
        SCOPED_TRACE("batch bytes " + std::to_string(batch));
        memory_journal j;
        engine eng(
            engine_options{.shard_count = 2, .replay_threads = 2, .replay_batch_bytes = batch},
            clock, j);
        std::string error;
        bool ok = true;
        for (const logged& r : log) {
            ok = eng.replay(static_cast<std::uint16_t>(r.type), r.payload, error);
            if (!ok) break;
        }
        EXPECT_FALSE(ok && eng.finish_replay(error));
        EXPECT_EQ(error, "move record for unknown order " + std::to_string(0xfff01) + " (record " +
                             std::to_string(first + 1) + " replayed)");
    }
}

// Replayed in place (engine::replay_in_place), the state is the same, and every order's
// placement is read where the log has it: inside the records the owner keeps alive.
TEST(ParallelReplay, InPlaceBuildsTheSameStateAndPointsIntoTheLog) {
    std::mt19937_64 rng(seed_from_env("ParallelReplayInPlace"));
    manual_clock clock;
    const auto log = std::make_shared<const std::vector<logged>>(random_log(rng, clock.now_ms()));
    for (std::size_t threads : {1u, 2u}) {
        SCOPED_TRACE("threads " + std::to_string(threads));
        memory_journal j1, j2;
        engine copied(engine_options{.shard_count = 2}, clock, j1);
        engine in_place(engine_options{.shard_count = 2,
                                       .replay_threads = threads,
                                       .replay_batch_bytes = 1 + rng() % 4096},
                        clock, j2);
        in_place.replay_in_place(log);
        std::string error;
        for (const logged& r : *log) {
            const auto type = static_cast<std::uint16_t>(r.type);
            ASSERT_TRUE(copied.replay(type, r.payload, error)) << error;
            ASSERT_TRUE(in_place.replay(type, r.payload, error)) << error;
        }
        ASSERT_TRUE(copied.finish_replay(error)) << error;
        ASSERT_TRUE(in_place.finish_replay(error)) << error;
        EXPECT_EQ(state_of(copied), state_of(in_place));

        const auto inside_log = [&](const void* p) {
            for (const logged& r : *log) {
                const auto* b = r.payload.data();
                if (p >= b && p < b + r.payload.size()) return true;
            }
            return false;
        };
        std::size_t orders = 0;
        for (std::size_t s = 0; s < 2; ++s) {
            in_place.at(s).for_each_placed([&](order_status, const order_placed_view& v) {
                ++orders;
                EXPECT_TRUE(inside_log(v.buyer_id.data())) << v.id;
            });
            copied.at(s).for_each_placed([&](order_status, const order_placed_view& v) {
                EXPECT_FALSE(inside_log(v.buyer_id.data())) << v.id;
            });
        }
        EXPECT_GT(orders, 1000u);
    }
}

}  // namespace
}  // namespace fg::matching
