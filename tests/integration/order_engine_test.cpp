// Issue 5 over real HTTP: idempotency with stored answers, holds that expire, signed payment
// callbacks, the order state machine, the flash-sale rules and the block list, each also across
// a kill -9 and restart where the issue asks for it.

#include <openssl/hmac.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>

#include "fixture.hpp"

namespace fg::testing {
namespace {

constexpr const char* secret = "test-payment-secret";

std::string hex(const unsigned char* p, std::size_t n) {
    std::string out;
    char buf[3];
    for (std::size_t i = 0; i < n; ++i) {
        std::snprintf(buf, sizeof buf, "%02x", p[i]);
        out += buf;
    }
    return out;
}

std::string signature(const std::string& body, long t, const std::string& key = secret) {
    const std::string signed_text = std::to_string(t) + "." + body;
    unsigned char mac[32];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac, &len);
    return "t=" + std::to_string(t) + ",v1=" + hex(mac, len);
}

std::string payment(const std::string& order_id, const std::string& txn, const std::string& status,
                    long amount_minor = 1999) {
    return nlohmann::json{{"order_id", order_id},
                          {"provider_txn_id", txn},
                          {"status", status},
                          {"amount", {{"amount_minor", amount_minor}, {"currency", "CNY"}}}}
        .dump();
}

// A SKU at 19.99 CNY that one buyer may hold or have bought at most `limit` of.
std::string limited_sku_body(int stock, int limit) {
    nlohmann::json j = nlohmann::json::parse(sku_body(stock));
    j["per_buyer_limit"] = limit;
    return j.dump();
}

class order_engine_test : public gateway_test {
 protected:
    void start_with(std::vector<std::string> args, unsigned threads = 2,
                    std::vector<std::pair<std::string, std::string>> env = {}) {
        gateway_options opts;
        opts.data_dir = dir_.path();
        opts.threads = threads;
        for (auto& a : args) opts.extra_args.push_back(std::move(a));
        opts.env = std::move(env);
        opts.env.emplace_back("FLASHGATE_PAYMENT_SECRET", secret);
        gw_ = std::make_unique<gateway_process>(opts);
        gw_->start();
    }

    http_reply pay(http_client& c, const std::string& body, long t = std::time(nullptr)) {
        return c.request("POST", "/v1/payments/callback", body,
                         {{"Flashgate-Signature", signature(body, t)}});
    }

    http_reply move(http_client& c, const std::string& id, const std::string& action,
                    const std::string& body = {}, const header_list& who = admin) {
        return c.request("POST", "/v1/orders/" + id + "/" + action, body, who);
    }

    // Polls (bounded) until the order has `status`; returns the last body seen.
    nlohmann::json wait_status(http_client& c, const std::string& id, const std::string& status,
                               int timeout_ms = 8000) {
        nlohmann::json o;
        const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        while (std::chrono::steady_clock::now() < until) {
            o = c.get("/v1/orders/" + id).json();
            if (o.value("status", "") == status) return o;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return o;
    }

    std::string place_ok(http_client& c, const std::string& key, const std::string& buyer,
                         const std::string& sku = "tee", int qty = 1) {
        http_reply r = place(c, key, order_body(buyer, {{sku, qty}}));
        EXPECT_EQ(r.status, 201) << r.body;
        return r.json().value("order_id", "");
    }

    void expect_counts(http_client& c, const std::string& id, int available, int held, int sold) {
        nlohmann::json s = sku(c, id);
        EXPECT_EQ(s["available"], available) << s.dump();
        EXPECT_EQ(s["held"], held) << s.dump();
        EXPECT_EQ(s["sold"], sold) << s.dump();
    }
};

// --- idempotency --------------------------------------------------------------------------

TEST_F(order_engine_test, IdempotencyKeyReplaysTheFirstAnswerByteForByte) {
    start_with({}, 2, {{"FLASHGATE_STOREFRONT_TOKENS", "shop-a=token-a,shop-b=token-b"}});
    http_client c(gw_->port());
    ASSERT_EQ(put_sku(c, "tee", sku_body(1)).status, 201);
    const header_list shop_a = {{"Authorization", "Bearer token-a"}, {"Idempotency-Key", "k1"}};
    const header_list shop_b = {{"Authorization", "Bearer token-b"}, {"Idempotency-Key", "k1"}};
    const std::string body = order_body("alice", {{"tee", 1}});

    http_reply first = c.request("POST", "/v1/orders", body, shop_a);
    ASSERT_EQ(first.status, 201) << first.body;
    EXPECT_EQ(first.header("idempotent-replayed"), "");
    const std::string id = first.json()["order_id"];
    // The order moves on; the key still answers what the placement answered.
    ASSERT_EQ(move(c, id, "cancel").status, 200);
    http_reply again = c.request("POST", "/v1/orders", body, shop_a);
    EXPECT_EQ(again.status, 201);
    EXPECT_EQ(again.body, first.body);
    EXPECT_EQ(again.header("idempotent-replayed"), "true");

    // Same key, different body: 422, nothing created.
    http_reply other = c.request("POST", "/v1/orders", order_body("alice", {{"tee", 2}}), shop_a);
    EXPECT_EQ(other.status, 422);
    EXPECT_EQ(other.json()["code"], "idempotency_mismatch");

    // Another client's k1 is another key.
    http_reply b = c.request("POST", "/v1/orders", body, shop_b);
    ASSERT_EQ(b.status, 201) << b.body;
    EXPECT_NE(b.json()["order_id"], id);

    // A refusal is stored too, request id and all, even after the stock comes back.
    const header_list refused_key = {{"Authorization", "Bearer token-a"},
                                     {"Idempotency-Key", "k2"},
                                     {"X-Request-Id", "first-try"}};
    http_reply sold_out =
        c.request("POST", "/v1/orders", order_body("bob", {{"tee", 1}}), refused_key);
    ASSERT_EQ(sold_out.status, 409) << sold_out.body;
    EXPECT_EQ(sold_out.json()["code"], "sold_out");
    ASSERT_EQ(c.request("POST", "/v1/skus/tee/stock", R"({"delta":5})", admin).status, 200);
    header_list retry = refused_key;
    retry.back().second = "second-try";
    http_reply replayed = c.request("POST", "/v1/orders", order_body("bob", {{"tee", 1}}), retry);
    EXPECT_EQ(replayed.status, 409);
    EXPECT_EQ(replayed.body, sold_out.body);
    EXPECT_EQ(replayed.header("idempotent-replayed"), "true");

    // Keys of orders survive a crash; the answer is still the same bytes.
    gw_->kill9();
    restart();
    http_client c2(gw_->port());
    http_reply after = c2.request("POST", "/v1/orders", body, shop_a);
    EXPECT_EQ(after.status, 201);
    EXPECT_EQ(after.body, first.body);
    EXPECT_EQ(after.header("idempotent-replayed"), "true");
    EXPECT_EQ(c2.request("POST", "/v1/orders", order_body("alice", {{"tee", 3}}), shop_a).status,
              422);
}

TEST_F(order_engine_test, LoggedRefusalsSurviveACrashCheapOnesAreDecidedAfresh) {
    start_with({});
    http_client c(gw_->port());
    ASSERT_EQ(put_sku(c, "tee", limited_sku_body(1, 1)).status, 201);
    place_ok(c, "own", "alice");
    const double before = metric(c, "flashgate_log_records_total");
    // per_buyer_limit is logged (key_refused): its answer comes back after a crash.
    const header_list limited = {{"Idempotency-Key", "over-limit"}, {"X-Request-Id", "r-1"}};
    http_reply over = c.request("POST", "/v1/orders", order_body("alice", {{"tee", 1}}), limited);
    ASSERT_EQ(over.json()["code"], "per_buyer_limit") << over.body;
    // sold_out is the flood of a flash sale: never logged.
    const header_list sold = {{"Idempotency-Key", "too-late"}, {"X-Request-Id", "r-2"}};
    http_reply late = c.request("POST", "/v1/orders", order_body("bob", {{"tee", 1}}), sold);
    ASSERT_EQ(late.json()["code"], "sold_out") << late.body;
    EXPECT_EQ(metric(c, "flashgate_log_records_total"), before + 1);  // the limit, not the flood

    gw_->kill9();
    restart();
    http_client c2(gw_->port());
    ASSERT_EQ(c2.request("POST", "/v1/skus/tee/stock", R"({"delta":5})", admin).status, 200);
    http_reply again = c2.request("POST", "/v1/orders", order_body("alice", {{"tee", 1}}), limited);
    EXPECT_EQ(again.status, 409);
    EXPECT_EQ(again.body, over.body);
    EXPECT_EQ(again.header("idempotent-replayed"), "true");
    EXPECT_EQ(c2.request("POST", "/v1/orders", order_body("alice", {{"tee", 2}}), limited).status,
              422);
    // The sold-out key was not kept across the crash: with stock back, the retry is placed.
    http_reply retry = c2.request("POST", "/v1/orders", order_body("bob", {{"tee", 1}}), sold);
    EXPECT_EQ(retry.status, 201) << retry.body;
    EXPECT_EQ(retry.header("idempotent-replayed"), "");
}

TEST_F(order_engine_test, IdempotencyKeysAreForgottenAfterTheirRetention) {
    start_with({"--idempotency-ttl-seconds", "1"});
    http_client c(gw_->port());
    ASSERT_EQ(put_sku(c, "tee", sku_body(10)).status, 201);
    const std::string first = place_ok(c, "short-lived", "alice");
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    http_reply again = place(c, "short-lived", order_body("alice", {{"tee", 1}}));
    ASSERT_EQ(again.status, 201) << again.body;
    EXPECT_EQ(again.header("idempotent-replayed"), "");
    EXPECT_NE(again.json()["order_id"], first);
}

// --- holds ----------------------------------------------------------------------------------

TEST_F(order_engine_test, UnpaidHoldsExpireAndGiveTheStockBackAlsoAcrossARestart) {
    start_with({"--hold-seconds", "1"});
    http_client c(gw_->port());
    ASSERT_EQ(put_sku(c, "tee", sku_body(5)).status, 201);
    http_reply r = place(c, "h1", order_body("alice", {{"tee", 2}}));
    ASSERT_EQ(r.status, 201);
    const std::string id = r.json()["order_id"];
    EXPECT_FALSE(r.json()["hold_expires_at"].is_null());
    expect_counts(c, "tee", 3, 2, 0);
    nlohmann::json o = wait_status(c, id, "expired");
    ASSERT_EQ(o["status"], "expired") << o.dump();
    EXPECT_EQ(o["history"].back()["by"], "system");
    expect_counts(c, "tee", 5, 0, 0);
    EXPECT_EQ(metric(c, "flashgate_orders_expired_total"), 1);

    // A hold that lapses while the gateway is down expires right after the restart.
    const std::string id2 = place_ok(c, "h2", "bob", "tee", 3);
    expect_counts(c, "tee", 2, 3, 0);
    gw_->kill9();
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    restart();
    http_client c2(gw_->port());
    EXPECT_EQ(wait_status(c2, id2, "expired")["status"], "expired");
    expect_counts(c2, "tee", 5, 0, 0);
    EXPECT_EQ(wait_status(c2, id, "expired")["history"].size(), 2u);
}

// --- payments ---------------------------------------------------------------------------------

TEST_F(order_engine_test, SignedPaymentPaysOnceHoweverOftenItIsSent) {
    start_with({});
    http_client c(gw_->port());
    ASSERT_EQ(put_sku(c, "tee", sku_body(5)).status, 201);
    const std::string id = place_ok(c, "p1", "alice");
    const std::string body = payment(id, "txn-1", "succeeded");

    // Refused before anything is read: no signature, a wrong one, a stale one.
    EXPECT_EQ(c.request("POST", "/v1/payments/callback", body).status, 401);
    EXPECT_EQ(c.request("POST", "/v1/payments/callback", body,
                        {{"Flashgate-Signature", signature(body, std::time(nullptr), "wrong")}})
                  .status,
              401);
    EXPECT_EQ(pay(c, body, std::time(nullptr) - 301).status, 401);
    EXPECT_EQ(pay(c, payment(id, "txn-1", "succeeded", 1998)).json()["code"], "amount_mismatch");

    for (int i = 0; i < 100; ++i) {
        http_reply r = pay(c, body);
        ASSERT_EQ(r.status, 200) << r.body;
        ASSERT_EQ(r.json()["status"], "paid");
        ASSERT_EQ(r.header("idempotent-replayed"), i == 0 ? "" : "true");
    }
    nlohmann::json o = c.get("/v1/orders/" + id).json();
    ASSERT_EQ(o["history"].size(), 2u);
    EXPECT_EQ(o["history"][1]["provider_txn_id"], "txn-1");
    expect_counts(c, "tee", 4, 0, 1);

    // A failed payment cancels a pending order and gives its stock back.
    const std::string id2 = place_ok(c, "p2", "bob");
    http_reply failed = pay(c, payment(id2, "txn-2", "failed"));
    ASSERT_EQ(failed.status, 200) << failed.body;
    EXPECT_EQ(failed.json()["status"], "cancelled");
    expect_counts(c, "tee", 4, 0, 1);

    // After a crash the callback is still recognised: no second state change.
    gw_->kill9();
    restart();
    http_client c2(gw_->port());
    http_reply replay = pay(c2, body);
    EXPECT_EQ(replay.status, 200);
    EXPECT_EQ(replay.header("idempotent-replayed"), "true");
    EXPECT_EQ(c2.get("/v1/orders/" + id).json()["history"].size(), 2u);
    expect_counts(c2, "tee", 4, 0, 1);
}

TEST_F(order_engine_test, PaymentAfterExpiryRetakesFreeStockElseMarksRefund) {
    start_with({"--hold-seconds", "1"});
    http_client c(gw_->port());
    ASSERT_EQ(put_sku(c, "tee", sku_body(1)).status, 201);
    const std::string late = place_ok(c, "e1", "alice");
    ASSERT_EQ(wait_status(c, late, "expired")["status"], "expired");
    // The unit is still free: the late payment takes it again.
    http_reply r = pay(c, payment(late, "txn-late", "succeeded"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["status"], "paid");
    EXPECT_EQ(r.json()["history"].back()["restock"], true);
    expect_counts(c, "tee", 0, 0, 1);

    // Now the unit goes to someone else while the next order's hold lapses.
    ASSERT_EQ(c.request("POST", "/v1/skus/tee/stock", R"({"delta":1})", admin).status, 200);
    const std::string lapsed = place_ok(c, "e2", "bob");
    ASSERT_EQ(wait_status(c, lapsed, "expired")["status"], "expired");
    place_ok(c, "e3", "carol");
    http_reply refund = pay(c, payment(lapsed, "txn-lapsed", "succeeded"));
    ASSERT_EQ(refund.status, 200) << refund.body;
    EXPECT_EQ(refund.json()["status"], "refund_required");
    expect_counts(c, "tee", 0, 1, 1);  // never oversold
    EXPECT_EQ(move(c, lapsed, "refund").json()["status"], "refunded");
}

// --- state machine ----------------------------------------------------------------------------

TEST_F(order_engine_test, OrdersWalkTheStateMachineAndIllegalMovesAreRefused) {
    start_with({});
    http_client c(gw_->port());
    ASSERT_EQ(put_sku(c, "tee", sku_body(5)).status, 201);
    const std::string id = place_ok(c, "s1", "alice");
    // Not before payment, not by the buyer.
    http_reply early = move(c, id, "ship", R"({"carrier":"SF","tracking_no":"SF123"})");
    EXPECT_EQ(early.status, 409);
    EXPECT_EQ(early.json()["detail"], "the order is pending_payment");
    EXPECT_EQ(move(c, id, "deliver", {}, {}).status, 401);
    ASSERT_EQ(pay(c, payment(id, "t1", "succeeded")).status, 200);
    EXPECT_EQ(move(c, id, "ship", R"({"carrier":"SF"})").status, 422);  // tracking_no missing
    http_reply shipped = move(c, id, "ship", R"({"carrier":"SF","tracking_no":"SF123"})");
    ASSERT_EQ(shipped.status, 200) << shipped.body;
    EXPECT_EQ(shipped.json()["history"].back()["tracking_no"], "SF123");
    EXPECT_EQ(move(c, id, "cancel").status, 409);  // too late to cancel once shipped
    ASSERT_EQ(move(c, id, "deliver").json()["status"], "delivered");
    ASSERT_EQ(move(c, id, "complete", {}, {}).json()["status"], "completed");  // by the buyer
    ASSERT_EQ(move(c, id, "request-refund", R"({"reason":"too small"})", {}).json()["status"],
              "refund_requested");
    http_reply refunded = move(c, id, "refund", R"({"restock":true})");
    ASSERT_EQ(refunded.json()["status"], "refunded");
    expect_counts(c, "tee", 5, 0, 0);

    nlohmann::json o = c.get("/v1/orders/" + id).json();
    std::vector<std::string> seen;
    for (const auto& step : o["history"]) {
        seen.push_back(step["status"]);
        EXPECT_TRUE(step["at"].is_string());
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"pending_payment", "paid", "shipped", "delivered",
                                              "completed", "refund_requested", "refunded"}));

    // The merchant may cancel a paid order before shipping: the units go back on sale.
    const std::string id2 = place_ok(c, "s2", "bob", "tee", 2);
    ASSERT_EQ(pay(c, payment(id2, "t2", "succeeded", 3998)).status, 200);
    expect_counts(c, "tee", 3, 0, 2);
    EXPECT_EQ(move(c, id2, "cancel", {}, {}).status, 409);  // the buyer may not, once paid
    ASSERT_EQ(move(c, id2, "cancel").json()["status"], "cancelled");
    expect_counts(c, "tee", 5, 0, 0);

    // Every transition is in the log: after a crash the history is the same.
    gw_->kill9();
    restart();
    http_client c2(gw_->port());
    EXPECT_EQ(c2.get("/v1/orders/" + id).json()["history"], o["history"]);
    expect_counts(c2, "tee", 5, 0, 0);
}

TEST_F(order_engine_test, RefundWithoutRestockKeepsTheUnitsSoldAndFreesTheBuyersLimit) {
    start_with({});
    http_client c(gw_->port());
    ASSERT_EQ(put_sku(c, "tee", limited_sku_body(5, 1)).status, 201);
    const std::string id = place_ok(c, "nr1", "alice");
    ASSERT_EQ(pay(c, payment(id, "t-nr", "succeeded")).status, 200);
    EXPECT_EQ(place(c, "nr2", order_body("alice", {{"tee", 1}})).json()["code"], "per_buyer_limit");
    ASSERT_EQ(move(c, id, "request-refund", {}, {}).json()["status"], "refund_requested");
    EXPECT_EQ(move(c, id, "refund", R"({"restock":false})", {}).status, 401);  // merchant only
    http_reply refunded = move(c, id, "refund", R"({"restock":false})");
    ASSERT_EQ(refunded.json()["status"], "refunded") << refunded.body;
    expect_counts(c, "tee", 4, 0, 1);  // the unit stays sold (not resellable)
    place_ok(c, "nr3", "alice");       // a refunded order no longer counts toward the limit
    gw_->kill9();
    restart();
    http_client c2(gw_->port());
    expect_counts(c2, "tee", 3, 1, 1);
}

TEST_F(order_engine_test, PerIpVelocityHoldsOrdersFromOneAddressForReview) {
    start_with({"--velocity-ip", "2/60s:review"});
    http_client c(gw_->port());
    ASSERT_EQ(put_sku(c, "tee", sku_body(10)).status, 201);
    place_ok(c, "iv1", "a1");
    place_ok(c, "iv2", "a2");
    http_reply third = place(c, "iv3", order_body("a3", {{"tee", 1}}));
    ASSERT_EQ(third.status, 201);
    EXPECT_EQ(third.json()["status"], "risk_review");
    http_client other(gw_->port(), "127.0.6.1");
    EXPECT_EQ(place(other, "iv4", order_body("a4", {{"tee", 1}})).json()["status"],
              "pending_payment");
    // The buyer may withdraw an order held for review; the stock goes back.
    const std::string held = third.json()["order_id"];
    ASSERT_EQ(move(c, held, "cancel", {}, {}).json()["status"], "cancelled");
    EXPECT_EQ(move(c, held, "approve").status, 409);
    expect_counts(c, "tee", 7, 3, 0);
}

TEST_F(order_engine_test, PerBuyerLimitCountsPaidOrdersToo) {
    start_with({});
    http_client c(gw_->port());
    ASSERT_EQ(put_sku(c, "tee", limited_sku_body(10, 2)).status, 201);
    const std::string id = place_ok(c, "l1", "alice", "tee", 2);
    ASSERT_EQ(pay(c, payment(id, "t", "succeeded", 3998)).status, 200);
    http_reply more = place(c, "l2", order_body("alice", {{"tee", 1}}));
    EXPECT_EQ(more.status, 409);
    EXPECT_EQ(more.json()["code"], "per_buyer_limit");
    place_ok(c, "l3", "bob", "tee", 2);
}

// --- rules ----------------------------------------------------------------------------------

TEST_F(order_engine_test, RateLimitsAnswer429WithRetryAfterWithoutTouchingTheLog) {
    start_with({"--rate-buyer", "1/m:2", "--rate-ip", "1/m:3"});
    http_client c(gw_->port());
    ASSERT_EQ(put_sku(c, "tee", sku_body(100)).status, 201);
    place_ok(c, "r1", "alice");
    place_ok(c, "r2", "alice");
    http_reply limited = place(c, "r3", order_body("alice", {{"tee", 1}}));
    ASSERT_EQ(limited.status, 429) << limited.body;
    EXPECT_EQ(limited.json()["code"], "rate_limited");
    EXPECT_GE(std::stoi(limited.header("retry-after")), 1);
    // The IP's bucket (3) is down to 0 after one more order by someone else.
    place_ok(c, "r4", "bob");
    EXPECT_EQ(place(c, "r5", order_body("carol", {{"tee", 1}})).status, 429);
    // Another address has its own bucket.
    http_client elsewhere(gw_->port(), "127.0.9.1");
    EXPECT_EQ(place(elsewhere, "r6", order_body("dave", {{"tee", 1}})).status, 201);
    // A rate-limited key is not used up: it is a transient refusal.
    EXPECT_EQ(place(c, "r3", order_body("alice", {{"tee", 1}})).status, 429);
}

TEST_F(order_engine_test, CheapRefusalsNeverTouchTheLog) {
    start_with({"--rate-buyer", "1/m:1"});
    http_client c(gw_->port());
    ASSERT_EQ(put_sku(c, "tee", sku_body(1)).status, 201);
    ASSERT_EQ(put_sku(c, "later",
                      R"({"name":"t","price":{"amount_minor":1,"currency":"CNY"},)"
                      R"("stock":5,"sale":{"starts_at":"2999-01-01T00:00:00Z"}})")
                  .status,
              201);
    ASSERT_EQ(c.request("POST", "/v1/blocklist", R"({"buyer_id":"mallory","blocked":true})", admin)
                  .status,
              200);
    place_ok(c, "first", "alice");
    const double records = metric(c, "flashgate_log_records_total");
    ASSERT_GT(records, 0);
    for (int i = 0; i < 20; ++i) {
        const std::string n = std::to_string(i);
        EXPECT_EQ(place(c, "sold-" + n, order_body("b" + n, {{"tee", 1}})).json()["code"],
                  "sold_out");
        EXPECT_EQ(place(c, "early-" + n, order_body("c" + n, {{"later", 1}})).json()["code"],
                  "sale_not_open");
        EXPECT_EQ(place(c, "blocked-" + n, order_body("mallory", {{"tee", 1}})).json()["code"],
                  "blocked");
        EXPECT_EQ(place(c, "fast-" + n, order_body("alice", {{"later", 1}})).json()["code"],
                  "rate_limited");
    }
    EXPECT_EQ(metric(c, "flashgate_log_records_total"), records);
}

TEST_F(order_engine_test, VelocityAndNewLocationRulesHoldForReviewOrReject) {
    start_with({"--velocity-buyer", "2/60s:review", "--new-location", "reject"});
    http_client c(gw_->port());
    ASSERT_EQ(put_sku(c, "tee", sku_body(10)).status, 201);
    place_ok(c, "v1", "alice");
    place_ok(c, "v2", "alice");
    http_reply third = place(c, "v3", order_body("alice", {{"tee", 1}}));
    ASSERT_EQ(third.status, 201) << third.body;
    EXPECT_EQ(third.json()["status"], "risk_review");
    EXPECT_TRUE(third.json()["hold_expires_at"].is_null());
    const std::string review = third.json()["order_id"];
    expect_counts(c, "tee", 7, 3, 0);  // held while in review
    http_reply approved = move(c, review, "approve");
    ASSERT_EQ(approved.status, 200) << approved.body;
    EXPECT_EQ(approved.json()["status"], "pending_payment");
    EXPECT_FALSE(approved.json()["hold_expires_at"].is_null());

    http_reply fourth = place(c, "v4", order_body("alice", {{"tee", 1}}));
    ASSERT_EQ(fourth.json()["status"], "risk_review");
    ASSERT_EQ(move(c, fourth.json()["order_id"], "reject").json()["status"], "cancelled");
    expect_counts(c, "tee", 7, 3, 0);

    // bob's first order from another /24 is fine; his next one from here is a new location.
    http_client far(gw_->port(), "127.0.7.1");
    EXPECT_EQ(place(far, "n1", order_body("bob", {{"tee", 1}})).status, 201);
    http_reply moved = place(c, "n2", order_body("bob", {{"tee", 1}}));
    EXPECT_EQ(moved.status, 403);
    EXPECT_EQ(moved.json()["code"], "risk_rejected");

    // Velocity and known locations are rebuilt from the log after a crash.
    gw_->kill9();
    restart();
    http_client c2(gw_->port());
    EXPECT_EQ(place(c2, "v5", order_body("alice", {{"tee", 1}})).json()["status"], "risk_review");
    EXPECT_EQ(place(c2, "n3", order_body("bob", {{"tee", 1}})).status, 403);
}

TEST_F(order_engine_test, BlockListRefusesBuyersAndNetworksAndSurvivesARestart) {
    start_with({});
    http_client c(gw_->port());
    ASSERT_EQ(put_sku(c, "tee", sku_body(10)).status, 201);
    ASSERT_EQ(c.request("POST", "/v1/blocklist", R"({"buyer_id":"mallory","blocked":true})", admin)
                  .status,
              200);
    http_reply b = place(c, "b1", order_body("mallory", {{"tee", 1}}));
    EXPECT_EQ(b.status, 403);
    EXPECT_EQ(b.json()["code"], "blocked");
    http_reply net =
        c.request("POST", "/v1/blocklist", R"({"ip":"127.0.8.0/24","blocked":true})", admin);
    ASSERT_EQ(net.status, 200) << net.body;
    http_client bad(gw_->port(), "127.0.8.9");
    EXPECT_EQ(place(bad, "b2", order_body("alice", {{"tee", 1}})).status, 403);
    EXPECT_EQ(place(c, "b3", order_body("alice", {{"tee", 1}})).status, 201);
    EXPECT_EQ(
        c.request("POST", "/v1/blocklist", R"({"ip":"not-an-ip","blocked":true})", admin).status,
        422);
    EXPECT_EQ(c.request("POST", "/v1/blocklist", R"({"buyer_id":"x","blocked":true})").status, 401);
    expect_counts(c, "tee", 9, 1, 0);

    gw_->kill9();
    restart();
    http_client c2(gw_->port());
    nlohmann::json list = c2.get("/v1/blocklist", admin).json();
    EXPECT_EQ(list["buyers"], nlohmann::json::array({"mallory"}));
    EXPECT_EQ(list["networks"], nlohmann::json::array({"127.0.8.0/24"}));
    EXPECT_EQ(place(c2, "b4", order_body("mallory", {{"tee", 1}})).status, 403);
    ASSERT_EQ(
        c2.request("POST", "/v1/blocklist", R"({"buyer_id":"mallory","blocked":false})", admin)
            .status,
        200);
    EXPECT_EQ(place(c2, "b5", order_body("mallory", {{"tee", 1}})).status, 201);
}

}  // namespace
}  // namespace fg::testing
