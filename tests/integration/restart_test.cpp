#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "fixture.hpp"

namespace fg::testing {
namespace {

struct placed_order {
    std::string id;
    std::string status;
};

}  // namespace

class restart_test : public gateway_test,
                     public ::testing::WithParamInterface<bool /* kill -9 */> {};

// Every acknowledged order and the exact counts come back after a clean stop and after a
// crash (kill -9 while orders are in flight).
TEST_P(restart_test, AcknowledgedOrdersAndCountsSurviveRestart) {
    const bool crash = GetParam();
    start(3);
    std::vector<placed_order> acked;
    {
        http_client c(gw_->port());
        ASSERT_EQ(put_sku(c, "a", sku_body(30)).status, 201);
        ASSERT_EQ(put_sku(c, "b", sku_body(30, 500, "JPY")).status, 201);
        ASSERT_EQ(c.request("POST", "/v1/skus/a/stock", R"({"delta": 5})", admin).status, 200);
        for (int i = 0; i < 20; ++i) {
            http_reply r = place(c, "k" + std::to_string(i), order_body("buyer", {{"a", 1}}));
            ASSERT_EQ(r.status, 201) << r.body;
            acked.push_back({r.json()["order_id"], "pending_payment"});
        }
        http_reply jpy = place(c, "kb", order_body("buyer", {{"b", 2}}));
        ASSERT_EQ(jpy.status, 201);
        acked.push_back({jpy.json()["order_id"], "pending_payment"});
        http_reply cancel = c.request("POST", "/v1/orders/" + acked[0].id + "/cancel");
        ASSERT_EQ(cancel.status, 200);
        acked[0].status = "cancelled";
    }
    std::atomic<bool> stop_load{false};
    std::atomic<int> in_flight_acked{0};
    std::vector<std::string> late_ids;
    std::mutex mu;
    std::thread load;
    if (crash) {
        // Keep orders coming while the process dies: whatever got a 201 must survive.
        load = std::thread([&] {
            http_client c(gw_->port());
            for (int i = 0; i < 10'000 && !stop_load.load(); ++i) {
                http_reply r = place(c, "late" + std::to_string(i), order_body("late", {{"b", 1}}));
                if (r.status == 0) break;
                if (r.status == 201) {
                    std::lock_guard lock(mu);
                    late_ids.push_back(r.json()["order_id"]);
                    ++in_flight_acked;
                }
            }
        });
        while (in_flight_acked.load() < 5) std::this_thread::yield();
        gw_->kill9();
        stop_load = true;
        load.join();
    } else {
        EXPECT_EQ(gw_->stop(), 0);
    }
    restart();
    http_client c(gw_->port());
    for (const auto& o : acked) {
        http_reply r = c.get("/v1/orders/" + o.id);
        ASSERT_EQ(r.status, 200) << o.id;
        EXPECT_EQ(r.json()["status"], o.status);
    }
    for (const auto& id : late_ids) EXPECT_EQ(c.get("/v1/orders/" + id).status, 200) << id;
    nlohmann::json a = sku(c, "a");
    EXPECT_EQ(a["stock"], 35);
    EXPECT_EQ(a["held"], 19);
    EXPECT_EQ(a["available"], 16);
    nlohmann::json b = sku(c, "b");
    EXPECT_EQ(b["price"]["currency"], "JPY");
    // Orders the client never heard back about may or may not exist, but the counts must
    // match the orders that do: held is at least what was acknowledged and stock adds up.
    EXPECT_GE(b["held"].get<int>(), 2 + static_cast<int>(late_ids.size()));
    EXPECT_EQ(b["held"].get<int>() + b["available"].get<int>(), 30);
    // The idempotency keys survived too.
    http_reply again = place(c, "k5", order_body("buyer", {{"a", 1}}));
    EXPECT_EQ(again.status, 201);  // the first answer, replayed
    EXPECT_EQ(again.header("idempotent-replayed"), "true");
    EXPECT_EQ(again.json()["order_id"], acked[5].id);
}

INSTANTIATE_TEST_SUITE_P(StopAndCrash, restart_test, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Kill9" : "Sigterm"; });

TEST_F(gateway_test, TornTailIsCutAndEverythingBeforeItSurvives) {
    start(2);
    std::string last_id;
    {
        http_client c(gw_->port());
        ASSERT_EQ(put_sku(c, "a", sku_body(10)).status, 201);
        for (int i = 0; i < 3; ++i) {
            http_reply r = place(c, "k" + std::to_string(i), order_body("b", {{"a", 1}}));
            ASSERT_EQ(r.status, 201);
            last_id = r.json()["order_id"];
        }
    }
    gw_->kill9();
    // Garbage where the next record would start: a write torn by a crash.
    std::filesystem::path newest;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path() / "log")) {
        if (e.path().extension() == ".seg" && e.path() > newest) newest = e.path();
    }
    ASSERT_FALSE(newest.empty());
    {
        // Walk the frames (storage/FORMAT.md: a 64-byte segment header, then frames that
        // start with their u32 length; zero means no more) to find where the next would go.
        std::ifstream in(newest, std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), {});
        std::size_t end = 64;
        while (end + 4 <= bytes.size()) {
            std::uint32_t len = 0;
            std::memcpy(&len, bytes.data() + end, 4);
            if (len == 0) break;
            end += len;
        }
        ASSERT_GT(end, 64u);
        std::fstream out(newest, std::ios::binary | std::ios::in | std::ios::out);
        out.seekp(static_cast<std::streamoff>(end));
        const char torn[] = "\x40\x00\x00\x00\xde\xad\xbe\xef\x01\x02\x03";
        out.write(torn, sizeof torn - 1);
    }
    restart();
    EXPECT_NE(gw_->output().find("cut "), std::string::npos);
    http_client c(gw_->port());
    EXPECT_EQ(c.get("/v1/orders/" + last_id).status, 200);
    EXPECT_EQ(sku(c, "a")["held"], 3);
    EXPECT_EQ(place(c, "k9", order_body("b", {{"a", 1}})).status, 201);
}

}  // namespace fg::testing
