#include "matching/key_table.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "matching/event_codec.hpp"
#include "matching/order_store.hpp"
#include "test_seed.hpp"

namespace fg::matching {
namespace {

using testing::seed_from_env;

key_entry& add(key_table& t, const std::string& k) { return t.get_or_add(k, key_table::hash(k)); }
key_entry* find(key_table& t, const std::string& k) { return t.find(k, key_table::hash(k)).entry; }

// The table against a plain model: keys claimed, answered, re-claimed while vacant and
// forgotten by age, over many keys that share long prefixes, with the index growing and
// shrinking through erases. Every step checks every key the model knows and some it does not.
// `reserved` > 0 sizes the index first and again half way, to sizes that are not powers of two.
// A longer `ttl` keeps more keys, so the index fills to its bound and probes wrap around its end.
void matches_model(std::size_t reserved, std::int64_t ttl) {
    std::mt19937_64 rng(seed_from_env("KeyTable"));
    order_store store;
    key_table t(store);
    if (reserved > 0) t.reserve(reserved);
    struct model_key {
        std::int64_t created = 0;
        bool in_flight = true;
        std::uint64_t order_id = 0;
        key_entry* address = nullptr;
    };
    std::map<std::string, model_key> model;
    std::deque<std::pair<std::int64_t, std::string>> ages;
    const std::string prefix = "storefront\x1f" + std::string(40, 'k');
    std::int64_t now = 1'000;
    for (int step = 0; step < 60'000; ++step) {
        now += static_cast<std::int64_t>(rng() % 3);
        if (reserved > 0 && step == 30'000) t.reserve(reserved * 3);
        const std::string k = prefix + std::to_string(rng() % 20'000);
        auto m = model.find(k);
        key_entry* e = find(t, k);
        ASSERT_EQ(e != nullptr, m != model.end()) << k;
        if (m == model.end() || e->vacant()) {
            key_entry& claimed = e != nullptr ? *e : add(t, k);
            if (m != model.end()) {
                EXPECT_EQ(&claimed, m->second.address) << "an entry never moves";
            }
            claimed.in_flight = true;
            claimed.created_at_ms = now;
            t.aged(claimed, now);
            model[k] = {now, true, 0, &claimed};
            ages.emplace_back(now, k);
        } else if (e->in_flight) {
            EXPECT_EQ(e, m->second.address);
            // Answered: an order (kept) or a transient refusal (vacant).
            e->in_flight = false;
            m->second.in_flight = false;
            if (rng() % 2) e->order_id = m->second.order_id = 256 + (rng() % 1000) * 256;
        }
        if (step % 50 == 0) {
            t.forget_up_to(now - ttl);
            while (!ages.empty() && ages.front().first <= now - ttl) {
                const auto [created, key] = ages.front();
                ages.pop_front();
                auto it = model.find(key);
                if (it != model.end() && !it->second.in_flight && it->second.created == created) {
                    model.erase(it);
                }
            }
        }
        if (step % 1000 == 0) {
            ASSERT_EQ(t.size(), model.size());
            for (const auto& [key, want] : model) {
                key_entry* got = find(t, key);
                ASSERT_NE(got, nullptr) << key;
                EXPECT_EQ(got, want.address);
                EXPECT_EQ(got->created_at_ms, want.created);
                EXPECT_EQ(got->in_flight, want.in_flight);
                EXPECT_EQ(got->order_id, want.order_id);
            }
            std::size_t listed = 0;
            t.for_each_entry([&](std::string_view key, const key_entry&) {
                ++listed;
                EXPECT_TRUE(model.contains(std::string(key)));
            });
            EXPECT_EQ(listed, model.size());
        }
    }
}

TEST(KeyTable, MatchesAModelThroughClaimsAnswersAndExpiry) { matches_model(0, 400); }

// reserve() gives the index any size, and probes and erase's backward shift wrap around its end.
TEST(KeyTable, MatchesAModelWithAReservedIndexOfAnySize) { matches_model(2'999, 6'000); }

// A full index (3/4, the most it holds) of the default size and of a reserved odd size, emptied
// one key at a time in random order: every erase's backward shift, around the end too, must
// leave every other key findable.
TEST(KeyTable, AFullIndexEmptiedKeyByKeyKeepsEveryOtherKey) {
    for (const std::size_t keys : {std::size_t{767}, std::size_t{2'999}}) {
        order_store store;
        key_table t(store);
        t.reserve(keys);
        std::vector<std::string> names;
        for (std::size_t i = 0; i < keys; ++i) names.push_back("c\x1fkey-" + std::to_string(i));
        std::mt19937_64 rng(seed_from_env("KeyTableFull") + keys);
        std::shuffle(names.begin(), names.end(), rng);
        for (std::size_t i = 0; i < keys; ++i) {
            key_entry& e = add(t, names[i]);
            e.in_flight = false;
            e.order_id = 256 * (i + 1);
            e.created_at_ms = static_cast<std::int64_t>(i);
            t.aged(e, e.created_at_ms);
        }
        for (std::size_t gone = 0; gone < keys; ++gone) {
            t.forget_up_to(static_cast<std::int64_t>(gone));
            ASSERT_EQ(find(t, names[gone]), nullptr) << names[gone];
            for (std::size_t i = gone + 1; i < keys; ++i) {
                const key_entry* e = find(t, names[i]);
                ASSERT_NE(e, nullptr) << names[i] << " lost after " << gone + 1 << " erases";
                ASSERT_EQ(e->order_id, 256 * (i + 1));
            }
        }
        EXPECT_EQ(t.size(), 0u);
    }
}

// Keeps an order placed with `client` and `key` in `store`, as a shard does once it is durable.
const order_store::entry& keep(order_store& store, std::uint64_t id, const std::string& client,
                               const std::string& key, std::int64_t created_at_ms = 10) {
    const auto cny = *currency_code::parse("CNY");
    order o;
    o.id = id;
    o.client = client;
    o.idempotency_key = key;
    o.digest[0] = 7;
    o.buyer_id = "buyer";
    o.items.push_back({"sku", 1, money{100, cny}});
    o.total = money{100, cny};
    o.created_at_ms = o.updated_at_ms = created_at_ms;
    o.history.assign(1, transition{.to = o.status, .at_ms = created_at_ms});
    std::vector<std::byte> placement;
    encode(o, placement);
    const order_store::entry* e = store.insert(id, o.status, placement);
    EXPECT_NE(e, nullptr);
    return *e;
}

// A key whose order is kept reads from it: its entry is freed, find() gives the order, the
// key is still told apart from keys of other clients, and its age forgets it.
TEST(KeyTable, AKeyThatNamesItsOrderReadsFromItAndIsForgottenByAge) {
    order_store store;
    key_table t(store);
    const std::string k =
        "storefront\x1f"
        "abc";
    key_entry& claimed = add(t, k);
    claimed.created_at_ms = 10;
    t.aged(claimed, 10);
    const order_store::entry& o = keep(store, 256, "storefront", "abc");
    claimed.in_flight = false;
    claimed.order_id = order_store::id_of(o);
    t.names_order(claimed, store.newest());
    EXPECT_EQ(t.size(), 1u);
    key_found f = t.find(k, key_table::hash(k));
    EXPECT_EQ(f.entry, nullptr);
    EXPECT_EQ(f.order, &o);
    // Same key text under another client, and a client + key that join to the same bytes
    // only without the separator: different keys.
    const std::string other =
        "public\x1f"
        "abc";
    EXPECT_EQ(t.find(other, key_table::hash(other)).order, nullptr);
    std::size_t listed = 0;
    t.for_each_entry([&](std::string_view, const key_entry&) { ++listed; });
    EXPECT_EQ(listed, 0u) << "a key that reads from its order has no entry of its own";
    // The freed entry serves the next key.
    key_entry& next = add(t, other);
    EXPECT_EQ(&next, &claimed);
    next.in_flight = false;
    next.created_at_ms = 30;
    t.aged(next, 30);
    EXPECT_EQ(t.size(), 2u);
    t.forget_up_to(9);
    EXPECT_EQ(t.find(k, key_table::hash(k)).order, &o);
    t.forget_up_to(10);  // the claim's age is stale; the order's age forgets the key
    EXPECT_EQ(t.find(k, key_table::hash(k)).order, nullptr);
    EXPECT_EQ(t.find(k, key_table::hash(k)).entry, nullptr);
    EXPECT_EQ(t.size(), 1u);
    EXPECT_NE(find(t, other), nullptr);
}

// Replay: keep_order() makes a key read from its order; a later record of the same key (a key
// used again after it was forgotten) replaces that answer, and only the latest answer's age
// forgets the key.
TEST(KeyTable, ReplayedKeysReadFromTheirOrdersAndALaterRecordWins) {
    order_store store;
    key_table t(store);
    const std::string k = "storefront\x1fk1";
    const std::uint64_t h = key_table::hash(k);
    const order_store::entry& first = keep(store, 256, "storefront", "k1", 10);
    t.keep_order(k, h, store.newest());
    EXPECT_EQ(t.find(k, h).order, &first);
    const order_store::entry& second = keep(store, 512, "storefront", "k1", 20);
    t.keep_order(k, h, store.newest());
    EXPECT_EQ(t.find(k, h).order, &second);
    EXPECT_EQ(t.size(), 1u);
    t.forget_up_to(15);  // the first order's age: the key names the second now
    EXPECT_EQ(t.find(k, h).order, &second);
    // A refusal logged later for the key replaces the order as its answer.
    key_entry& refused = t.get_or_add(k, h);
    refused.in_flight = false;
    refused.refusal = outcome::sold_out;
    refused.created_at_ms = 30;
    t.aged(refused, 30);
    EXPECT_EQ(t.find(k, h).entry, &refused);
    EXPECT_EQ(t.size(), 1u);
    t.forget_up_to(25);
    EXPECT_EQ(t.find(k, h).entry, &refused);
    t.forget_up_to(30);
    EXPECT_EQ(t.find(k, h).entry, nullptr);
    EXPECT_EQ(t.find(k, h).order, nullptr);
    EXPECT_EQ(t.size(), 0u);
}

TEST(KeyTable, AKeyAgedTwiceInOneMillisecondIsForgottenOnce) {
    order_store store;
    key_table t(store);
    key_entry& first = add(t,
                           "a\x1f"
                           "1");
    first.in_flight = false;  // a transient refusal: vacant
    first.created_at_ms = 10;
    t.aged(first, 10);
    // Claimed again in the same millisecond, answered with an order.
    first.created_at_ms = 10;
    t.aged(first, 10);
    first.order_id = 512;
    t.forget_up_to(10);  // both ages come up: the first forgets the key, the second nothing
    EXPECT_EQ(find(t,
                   "a\x1f"
                   "1"),
              nullptr);
    EXPECT_EQ(t.size(), 0u);
    // The freed slot serves the next key, which keeps its own age.
    key_entry& second = add(t,
                            "b\x1f"
                            "2");
    EXPECT_EQ(&second, &first);
    second.in_flight = false;
    second.order_id = 768;
    second.created_at_ms = 20;
    t.aged(second, 20);
    t.forget_up_to(15);
    ASSERT_NE(find(t,
                   "b\x1f"
                   "2"),
              nullptr);
    EXPECT_EQ(find(t,
                   "b\x1f"
                   "2")
                  ->order_id,
              768u);
    t.forget_up_to(20);
    EXPECT_EQ(find(t,
                   "b\x1f"
                   "2"),
              nullptr);
}

TEST(KeyTable, KeysThatDifferOnlyByClientAreDifferentKeys) {
    order_store store;
    key_table t(store);
    add(t, "shop-a\x1fsame").order_id = 256;
    add(t, "shop-b\x1fsame").order_id = 512;
    EXPECT_EQ(find(t, "shop-a\x1fsame")->order_id, 256u);
    EXPECT_EQ(find(t, "shop-b\x1fsame")->order_id, 512u);
    EXPECT_EQ(find(t, "shop-c\x1fsame"), nullptr);
    EXPECT_EQ(t.size(), 2u);
}

}  // namespace
}  // namespace fg::matching
