#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "fixture.hpp"

namespace fg::testing {

// One hot SKU, many buyers on many connections across every gateway thread: exactly `stock`
// orders win, every other one is a precise sold_out, and the counts add up.
TEST_F(gateway_test, HotSkuSellsExactlyItsStockUnderConcurrentLoad) {
    start(4);
    constexpr int stock = 150, clients = 24, orders_per_client = 25;
    {
        http_client c(gw_->port());
        ASSERT_EQ(put_sku(c, "hot", sku_body(stock)).status, 201);
    }
    std::atomic<int> created{0}, sold_out{0}, other{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < clients; ++t) {
        threads.emplace_back([&, t] {
            http_client c(gw_->port());
            for (int n = 0; n < orders_per_client; ++n) {
                std::string buyer = "b" + std::to_string(t) + "-" + std::to_string(n);
                http_reply r = place(c, "key-" + buyer, order_body(buyer, {{"hot", 1}}));
                if (r.status == 201) {
                    ++created;
                } else if (r.status == 409 && r.json()["code"] == "sold_out") {
                    ++sold_out;
                } else {
                    ++other;
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(created.load(), stock);
    EXPECT_EQ(sold_out.load(), clients * orders_per_client - stock);
    EXPECT_EQ(other.load(), 0);
    http_client c(gw_->port());
    nlohmann::json s = sku(c, "hot");
    EXPECT_EQ(s["held"], stock);
    EXPECT_EQ(s["available"], 0);
    EXPECT_EQ(s["sold"], 0);
}

// Multi-item orders whose items live on different shards: every accepted order holds all of
// its items, a refused one holds none, and per SKU held == the sum over accepted orders.
TEST_F(gateway_test, CrossShardOrdersAreAllOrNothingUnderConcurrentLoad) {
    start(4);
    const std::vector<std::string> skus = {"s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7"};
    constexpr int stock = 40, clients = 16, orders_per_client = 20;
    {
        http_client c(gw_->port());
        for (const auto& id : skus) ASSERT_EQ(put_sku(c, id, sku_body(stock)).status, 201);
    }
    const unsigned seed = std::random_device{}();
    std::printf("seed %u\n", seed);
    std::mutex mu;
    std::map<std::string, int> held_by_accepted;
    std::atomic<int> unexpected{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < clients; ++t) {
        threads.emplace_back([&, t] {
            std::mt19937 rng(seed + static_cast<unsigned>(t));
            http_client c(gw_->port());
            for (int n = 0; n < orders_per_client; ++n) {
                std::vector<std::pair<std::string, int>> items;
                std::vector<std::string> pool = skus;
                std::shuffle(pool.begin(), pool.end(), rng);
                const int count = 1 + static_cast<int>(rng() % 4);
                for (int i = 0; i < count; ++i)
                    items.push_back({pool[i], 1 + static_cast<int>(rng() % 3)});
                std::string buyer = "b" + std::to_string(t) + "-" + std::to_string(n);
                http_reply r = place(c, "key-" + buyer, order_body(buyer, items));
                if (r.status == 201) {
                    std::lock_guard lock(mu);
                    for (const auto& [id, qty] : items) held_by_accepted[id] += qty;
                } else if (!(r.status == 409 && r.json()["code"] == "sold_out")) {
                    ++unexpected;
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(unexpected.load(), 0) << "seed " << seed;
    http_client c(gw_->port());
    int sold_out_skus = 0;
    for (const auto& id : skus) {
        nlohmann::json s = sku(c, id);
        EXPECT_EQ(s["held"], held_by_accepted[id]) << id << " seed " << seed;
        EXPECT_GE(s["available"].get<int>(), 0) << id;
        EXPECT_EQ(s["available"].get<int>() + s["held"].get<int>(), stock) << id;
        sold_out_skus += s["available"].get<int>() < 3 ? 1 : 0;
    }
    EXPECT_GT(sold_out_skus, 0) << "the load should exhaust some SKUs; seed " << seed;
}

}  // namespace fg::testing

namespace fg::testing {

// Every order takes one unit of each of 8 SKUs (spread over the 4 shards); SKU k has stock
// 60 + k, so exactly 60 orders can be whole. Exactly 60 succeed, and no SKU keeps a stray hold.
TEST_F(gateway_test, MultiItemOrdersSellExactlyTheScarcestStock) {
    start(4);
    constexpr int base = 60, clients = 12, orders_per_client = 10;
    std::vector<std::pair<std::string, int>> items;
    {
        http_client c(gw_->port());
        for (int k = 0; k < 8; ++k) {
            items.push_back({"m" + std::to_string(k), 1});
            ASSERT_EQ(put_sku(c, items.back().first, sku_body(base + k)).status, 201);
        }
    }
    std::atomic<int> created{0}, sold_out{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < clients; ++t) {
        threads.emplace_back([&, t] {
            http_client c(gw_->port());
            for (int n = 0; n < orders_per_client; ++n) {
                std::string buyer = "m" + std::to_string(t) + "-" + std::to_string(n);
                http_reply r = place(c, buyer, order_body(buyer, items));
                if (r.status == 201) ++created;
                if (r.status == 409 && r.json()["code"] == "sold_out") ++sold_out;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(created.load(), base);
    EXPECT_EQ(sold_out.load(), clients * orders_per_client - base);
    http_client c(gw_->port());
    for (int k = 0; k < 8; ++k) {
        nlohmann::json s = sku(c, "m" + std::to_string(k));
        EXPECT_EQ(s["held"], base) << k;
        EXPECT_EQ(s["available"], k) << k;
    }
}

}  // namespace fg::testing
