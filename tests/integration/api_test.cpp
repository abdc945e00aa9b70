#include <gtest/gtest.h>

#include "fixture.hpp"

namespace fg::testing {

TEST_F(gateway_test, LivenessAndReadinessAnswerOnceStarted) {
    start();
    http_client c(gw_->port());
    EXPECT_EQ(c.get("/livez").status, 200);
    EXPECT_EQ(c.get("/readyz").status, 200);
}

TEST_F(gateway_test, SkuCreateReadUpdateShowsLiveCounts) {
    start();
    http_client c(gw_->port());
    http_reply created = put_sku(c, "tee-1", sku_body(10));
    ASSERT_EQ(created.status, 201) << created.body;
    EXPECT_EQ(created.json()["available"], 10);
    EXPECT_EQ(created.json()["price"]["currency"], "CNY");
    http_reply updated = put_sku(c, "tee-1", R"({"stock": 12, "per_buyer_limit": 3})");
    ASSERT_EQ(updated.status, 200) << updated.body;
    nlohmann::json s = sku(c, "tee-1");
    EXPECT_EQ(s["stock"], 12);
    EXPECT_EQ(s["per_buyer_limit"], 3);
    EXPECT_EQ(s["name"], "Flash tee");
    EXPECT_EQ(c.get("/v1/skus/nope").status, 404);
}

TEST_F(gateway_test, OrderIsCreatedReadAndCancelledWithStockBack) {
    start();
    http_client c(gw_->port());
    ASSERT_EQ(put_sku(c, "tee", sku_body(5, 2500)).status, 201);
    http_reply placed = place(c, "key-1", order_body("buyer-1", {{"tee", 2}}));
    ASSERT_EQ(placed.status, 201) << placed.body;
    nlohmann::json o = placed.json();
    EXPECT_EQ(o["status"], "pending_payment");
    EXPECT_EQ(o["total"]["amount_minor"], 5000);
    EXPECT_EQ(o["items"][0]["unit_price"]["amount_minor"], 2500);
    EXPECT_TRUE(o.contains("hold_expires_at"));
    const std::string id = o["order_id"];
    EXPECT_EQ(placed.header("location"), "/v1/orders/" + id);
    EXPECT_EQ(sku(c, "tee")["held"], 2);
    EXPECT_EQ(sku(c, "tee")["available"], 3);

    http_reply got = c.get("/v1/orders/" + id);
    ASSERT_EQ(got.status, 200);
    EXPECT_EQ(got.json()["order_id"], id);

    http_reply cancelled = c.request("POST", "/v1/orders/" + id + "/cancel");
    ASSERT_EQ(cancelled.status, 200) << cancelled.body;
    EXPECT_EQ(cancelled.json()["status"], "cancelled");
    EXPECT_EQ(sku(c, "tee")["held"], 0);
    EXPECT_EQ(sku(c, "tee")["available"], 5);
    http_reply again = c.request("POST", "/v1/orders/" + id + "/cancel");
    EXPECT_EQ(again.status, 409);
    EXPECT_EQ(again.json()["code"], "illegal_transition");
}

TEST_F(gateway_test, RepeatedIdempotencyKeyNeverCreatesASecondOrder) {
    start();
    http_client c(gw_->port());
    ASSERT_EQ(put_sku(c, "tee", sku_body(5)).status, 201);
    http_reply first = place(c, "same-key", order_body("b", {{"tee", 1}}));
    http_reply second = place(c, "same-key", order_body("b", {{"tee", 1}}));
    ASSERT_EQ(first.status, 201);
    ASSERT_EQ(second.status, 201);  // the first answer, byte for byte
    EXPECT_EQ(second.header("idempotent-replayed"), "true");
    EXPECT_EQ(second.body, first.body);
    EXPECT_EQ(first.json()["order_id"], second.json()["order_id"]);
    EXPECT_EQ(sku(c, "tee")["held"], 1);
}

TEST_F(gateway_test, EachRefusalIsPreciseProblemJson) {
    start();
    http_client c(gw_->port());
    ASSERT_EQ(put_sku(c, "one", sku_body(1)).status, 201);
    ASSERT_EQ(put_sku(c, "gone", sku_body(5)).status, 201);
    ASSERT_EQ(put_sku(c, "gone", R"({"status":"delisted"})").status, 200);
    ASSERT_EQ(
        put_sku(c, "later", R"({"name":"x","price":{"amount_minor":1,"currency":"CNY"},"stock":5,
              "sale":{"starts_at":"2999-01-01T00:00:00Z"}})")
            .status,
        201);
    ASSERT_EQ(
        put_sku(c, "over", R"({"name":"x","price":{"amount_minor":1,"currency":"CNY"},"stock":5,
              "sale":{"starts_at":"2000-01-01T00:00:00Z","ends_at":"2001-01-01T00:00:00Z"}})")
            .status,
        201);
    ASSERT_EQ(place(c, "k0", order_body("b", {{"one", 1}})).status, 201);

    struct refusal {
        std::string sku;
        int status;
        std::string code;
    };
    for (const refusal& r :
         {refusal{"one", 409, "sold_out"}, refusal{"missing", 404, "unknown_sku"},
          refusal{"gone", 409, "delisted"}, refusal{"later", 409, "sale_not_open"},
          refusal{"over", 409, "sale_closed"}}) {
        http_reply reply = place(c, "k-" + r.sku, order_body("b", {{r.sku, 1}}));
        EXPECT_EQ(reply.status, r.status) << r.sku << ": " << reply.body;
        EXPECT_EQ(reply.header("content-type"), "application/problem+json");
        nlohmann::json j = reply.json();
        EXPECT_EQ(j["code"], r.code);
        EXPECT_EQ(j["sku_id"], r.sku);
        EXPECT_EQ(j["status"], r.status);
        EXPECT_FALSE(j["request_id"].get<std::string>().empty());
    }
}

TEST_F(gateway_test, MerchantStockRulesAreEnforced) {
    start();
    http_client c(gw_->port());
    ASSERT_EQ(put_sku(c, "tee", sku_body(5)).status, 201);
    ASSERT_EQ(place(c, "k", order_body("b", {{"tee", 3}})).status, 201);
    http_reply below = put_sku(c, "tee", R"({"stock": 2})");
    EXPECT_EQ(below.status, 409);
    EXPECT_EQ(below.json()["code"], "stock_below_committed");
    http_reply too_much = c.request("POST", "/v1/skus/tee/stock", R"({"delta": -3})", admin);
    EXPECT_EQ(too_much.status, 409);
    EXPECT_EQ(too_much.json()["code"], "stock_insufficient");
    http_reply ok = c.request("POST", "/v1/skus/tee/stock", R"({"delta": 10})", admin);
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(ok.json()["stock"], 15);
    EXPECT_EQ(ok.json()["available"], 12);
    http_reply incomplete = put_sku(c, "new", R"({"name": "x"})");
    EXPECT_EQ(incomplete.status, 422);
}

TEST_F(gateway_test, BatchUpsertAnswersPerItem) {
    start();
    http_client c(gw_->port());
    http_reply r = c.request("POST", "/v1/skus:batch", R"({"skus":[
        {"sku_id":"a","name":"A","price":{"amount_minor":100,"currency":"JPY"},"stock":3},
        {"sku_id":"b","name":"B"},
        {"sku_id":"c","name":"C","price":{"amount_minor":5,"currency":"USD"},"stock":0}]})",
                             admin);
    ASSERT_EQ(r.status, 200) << r.body;
    nlohmann::json res = r.json()["results"];
    ASSERT_EQ(res.size(), 3u);
    EXPECT_EQ(res[0]["status"], 201);
    EXPECT_EQ(res[0]["sku"]["price"]["currency"], "JPY");
    EXPECT_EQ(res[1]["status"], 422);
    EXPECT_EQ(res[1]["code"], "incomplete_sku");
    EXPECT_EQ(res[2]["status"], 201);
    EXPECT_EQ(sku(c, "a")["available"], 3);
}

TEST_F(gateway_test, AdminRoutesNeedTheAdminToken) {
    start();
    http_client c(gw_->port());
    http_reply none = c.request("PUT", "/v1/skus/x", sku_body(1));
    EXPECT_EQ(none.status, 401);
    EXPECT_EQ(none.json()["code"], "unauthorized");
    http_reply wrong =
        c.request("PUT", "/v1/skus/x", sku_body(1), {{"Authorization", "Bearer nope"}});
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(c.get("/v1/skus/x").status, 404) << "nothing was written";
}

TEST_F(gateway_test, MetricsExposeRequestsOrdersAndStock) {
    start();
    http_client c(gw_->port());
    ASSERT_EQ(put_sku(c, "tee", sku_body(1)).status, 201);
    ASSERT_EQ(place(c, "k1", order_body("b", {{"tee", 1}})).status, 201);
    ASSERT_EQ(place(c, "k2", order_body("b", {{"tee", 1}})).status, 409);
    http_reply m = c.get("/metrics");
    ASSERT_EQ(m.status, 200);
    EXPECT_NE(m.body.find("flashgate_orders_accepted_total 1"), std::string::npos) << m.body;
    EXPECT_NE(m.body.find("flashgate_orders_refused_total{reason=\"sold_out\"} 1"),
              std::string::npos);
    EXPECT_NE(m.body.find("flashgate_sku_stock{sku=\"tee\",state=\"held\"} 1"), std::string::npos);
    EXPECT_NE(m.body.find("flashgate_http_requests_total{route=\"order_create\",code=\"201\"} 1"),
              std::string::npos);
    EXPECT_NE(
        m.body.find(
            "flashgate_http_request_duration_seconds_bucket{route=\"order_create\",le=\"+Inf\"} 2"),
        std::string::npos);
    EXPECT_NE(m.body.find("flashgate_log_batches_total"), std::string::npos);
}

}  // namespace fg::testing

namespace fg::testing {

TEST_F(gateway_test, StorefrontTokenIsRequiredWhenConfigured) {
    gateway_options opts;
    opts.data_dir = dir_.path();
    opts.threads = 1;
    opts.storefront_token = "shop-token";
    gw_ = std::make_unique<gateway_process>(opts);
    gw_->start();
    http_client c(gw_->port());
    ASSERT_EQ(put_sku(c, "tee", sku_body(5)).status, 201);
    http_reply without = place(c, "k1", order_body("b", {{"tee", 1}}));
    EXPECT_EQ(without.status, 401);
    http_reply with =
        c.request("POST", "/v1/orders", order_body("b", {{"tee", 1}}),
                  {{"Idempotency-Key", "k1"}, {"Authorization", "Bearer shop-token"}});
    EXPECT_EQ(with.status, 201) << with.body;
    EXPECT_EQ(c.get("/v1/skus/tee").status, 401);
    EXPECT_EQ(c.get("/v1/skus/tee", {{"Authorization", "Bearer shop-token"}}).json()["held"], 1);
}

TEST_F(gateway_test, PerBuyerLimitCountsAcrossOrders) {
    start(2);
    http_client c(gw_->port());
    ASSERT_EQ(put_sku(c, "tee", sku_body(10)).status, 201);
    ASSERT_EQ(put_sku(c, "tee", R"({"per_buyer_limit": 2})").status, 200);
    EXPECT_EQ(place(c, "a1", order_body("alice", {{"tee", 1}})).status, 201);
    EXPECT_EQ(place(c, "a2", order_body("alice", {{"tee", 1}})).status, 201);
    http_reply third = place(c, "a3", order_body("alice", {{"tee", 1}}));
    EXPECT_EQ(third.status, 409);
    EXPECT_EQ(third.json()["code"], "per_buyer_limit");
    EXPECT_EQ(place(c, "b1", order_body("bob", {{"tee", 2}})).status, 201);
}

}  // namespace fg::testing

namespace fg::testing {

// A batch may be far larger than any other body (1 MiB, not 64 KiB): 1000 SKUs in one request.
TEST_F(gateway_test, ThousandSkuBatchFitsItsLargerBodyLimit) {
    start(2);
    http_client c(gw_->port());
    nlohmann::json batch = {{"skus", nlohmann::json::array()}};
    for (int i = 0; i < 1000; ++i) {
        batch["skus"].push_back({{"sku_id", "bulk-" + std::to_string(i)},
                                 {"name", "Bulk item " + std::to_string(i)},
                                 {"price", {{"amount_minor", 100 + i}, {"currency", "CNY"}}},
                                 {"stock", i}});
    }
    const std::string body = batch.dump();
    ASSERT_GT(body.size(), 64u * 1024);
    http_reply r = c.request("POST", "/v1/skus:batch", body, admin);
    ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
    EXPECT_EQ(r.json()["results"].size(), 1000u);
    EXPECT_EQ(sku(c, "bulk-999")["available"], 999);
    http_reply too_big =
        c.request("POST", "/v1/orders", std::string(65 * 1024, ' '), {{"Idempotency-Key", "k"}});
    EXPECT_EQ(too_big.status, 413);
}

}  // namespace fg::testing
