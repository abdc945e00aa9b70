#include <gtest/gtest.h>

#include "fixture.hpp"

namespace fg::testing {
namespace {

struct bad_case {
    std::string name;
    std::string raw;  // exact bytes sent
    int status;
    std::string code;
    std::string reason = {};   // checked when set
    std::string pointer = {};  // checked when set
};

std::string post(
    const std::string& target, const std::string& body,
    const std::string& extra = "Idempotency-Key: k1\r\nContent-Type: application/json\r\n") {
    return "POST " + target + " HTTP/1.1\r\nHost: x\r\n" + extra +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string put_admin(const std::string& target, const std::string& body) {
    return post(target, body,
                "Authorization: Bearer test-admin-token\r\nContent-Type: application/json\r\n")
        .replace(0, 4, "PUT");
}

const std::string good_contact =
    R"("payment_method":"alipay","contact":{"name":"n","phone":"1","address":"a"})";

std::vector<bad_case> corpus() {
    std::string items33 = "[";
    for (int i = 0; i < 33; ++i)
        items33 +=
            (i ? "," : "") + std::string(R"({"sku_id":"s)") + std::to_string(i) + R"(","qty":1})";
    items33 += "]";
    return {
        {"truncated json", post("/v1/orders", R"({"buyer_id":)"), 400, "malformed_json"},
        {"not json", post("/v1/orders", "hello"), 400, "malformed_json"},
        {"invalid utf8",
         post("/v1/orders", "{\"buyer_id\":\"\xff\xfe\"," + good_contact + ",\"items\":[]}"), 400,
         "malformed_json"},
        {"array body", post("/v1/orders", "[1,2]"), 422, "invalid_request", "not_an_object"},
        {"wrong type qty",
         post("/v1/orders",
              R"({"buyer_id":"b","items":[{"sku_id":"t","qty":"1"}],)" + good_contact + "}"),
         422, "invalid_request", "wrong_type", "/items/0/qty"},
        {"float qty",
         post("/v1/orders",
              R"({"buyer_id":"b","items":[{"sku_id":"t","qty":1.0}],)" + good_contact + "}"),
         422, "invalid_request", "wrong_type", "/items/0/qty"},
        {"qty zero",
         post("/v1/orders",
              R"({"buyer_id":"b","items":[{"sku_id":"t","qty":0}],)" + good_contact + "}"),
         422, "invalid_request", "out_of_range", "/items/0/qty"},
        {"huge qty",
         post("/v1/orders",
              R"({"buyer_id":"b","items":[{"sku_id":"t","qty":99999999999999999999}],)" +
                  good_contact + "}"),
         422, "invalid_request", "out_of_range", "/items/0/qty"},
        {"duplicate key",
         post("/v1/orders", R"({"buyer_id":"b","buyer_id":"c","items":[{"sku_id":"t","qty":1}],)" +
                                good_contact + "}"),
         422, "invalid_request", "duplicate_key", "/buyer_id"},
        {"unknown field",
         post("/v1/orders", R"({"buyer_id":"b","coupon":"x","items":[{"sku_id":"t","qty":1}],)" +
                                good_contact + "}"),
         422, "invalid_request", "unknown_field", "/coupon"},
        {"missing items", post("/v1/orders", R"({"buyer_id":"b",)" + good_contact + "}"), 422,
         "invalid_request", "missing_field", "/items"},
        {"too many items",
         post("/v1/orders", R"({"buyer_id":"b","items":)" + items33 + "," + good_contact + "}"),
         422, "invalid_request", "too_many_items", "/items"},
        {"long buyer",
         post("/v1/orders", R"({"buyer_id":")" + std::string(65, 'b') +
                                R"(","items":[{"sku_id":"t","qty":1}],)" + good_contact + "}"),
         422, "invalid_request", "too_long", "/buyer_id"},
        {"deep nesting", post("/v1/orders", std::string(5000, '[') + std::string(5000, ']')), 422,
         "invalid_request"},
        {"no idempotency key", post("/v1/orders", "{}", "Content-Type: application/json\r\n"), 400,
         "missing_idempotency_key"},
        {"form body",
         post("/v1/orders", "a=b",
              "Idempotency-Key: k\r\nContent-Type: application/x-www-form-urlencoded\r\n"),
         415, "unsupported_media_type"},
        {"unknown currency",
         put_admin("/v1/skus/x",
                   R"({"name":"x","price":{"amount_minor":1,"currency":"XYZ"},"stock":1})"),
         422, "invalid_request", "unknown_currency", "/price/currency"},
        {"negative stock",
         put_admin("/v1/skus/x",
                   R"({"name":"x","price":{"amount_minor":1,"currency":"CNY"},"stock":-1})"),
         422, "invalid_request", "out_of_range", "/stock"},
        {"bad time", put_admin("/v1/skus/x", R"({"sale":{"starts_at":"2026-02-30T00:00:00Z"}})"),
         422, "invalid_request", "invalid_time", "/sale/starts_at"},
        {"bad sku id", put_admin("/v1/skus/a%20b", R"({"stock":1})"), 404, "unknown_sku"},
        {"bad order id", "GET /v1/orders/zzz HTTP/1.1\r\nHost: x\r\n\r\n", 404, "order_not_found"},
        {"no route", "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", 404, "not_found"},
        {"wrong method", "DELETE /v1/orders HTTP/1.1\r\nHost: x\r\n\r\n", 405,
         "method_not_allowed"},
        {"garbage request line", "HELLO THERE\r\n\r\n", 400, "bad_request"},
        {"body too large", post("/v1/orders", std::string(70 * 1024, ' ')), 413, "body_too_large"},
        {"headers too large",
         "GET /livez HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(16 * 1024, 'a') + "\r\n\r\n",
         431, "headers_too_large"},
    };
}

}  // namespace

TEST_F(gateway_test, BadInputCorpusGetsPrecise4xxAndWritesNothing) {
    start(2);
    http_client setup(gw_->port());
    ASSERT_EQ(put_sku(setup, "t", sku_body(10)).status, 201);
    for (const bad_case& bc : corpus()) {
        http_client c(gw_->port());
        http_reply r = c.raw(bc.raw);
        EXPECT_EQ(r.status, bc.status) << bc.name << ": " << r.body;
        EXPECT_EQ(r.header("content-type"), "application/problem+json") << bc.name;
        nlohmann::json j = r.json();
        ASSERT_FALSE(j.is_discarded()) << bc.name << ": body is not JSON: " << r.body;
        EXPECT_EQ(j["code"], bc.code) << bc.name << ": " << r.body;
        EXPECT_EQ(j["status"], bc.status) << bc.name;
        EXPECT_TRUE(j.contains("title") && j.contains("type") && j.contains("request_id"))
            << bc.name;
        if (!bc.reason.empty()) {
            EXPECT_EQ(j["reason"], bc.reason) << bc.name << ": " << r.body;
        }
        if (!bc.pointer.empty()) {
            EXPECT_EQ(j["pointer"], bc.pointer) << bc.name << ": " << r.body;
        }
    }
    // Still serving, and nothing was reserved or written by any of it.
    http_client after(gw_->port());
    EXPECT_EQ(after.get("/livez").status, 200);
    nlohmann::json t = sku(after, "t");
    EXPECT_EQ(t["held"], 0);
    EXPECT_EQ(t["available"], 10);
    EXPECT_EQ(after.get("/v1/skus/x").status, 404);
    http_reply m = after.get("/metrics");
    EXPECT_NE(m.body.find("flashgate_orders_accepted_total 0"), std::string::npos);
}

TEST_F(gateway_test, SlowClientIsCutOffWithoutBlockingOthers) {
    start(1);
    http_client slow(gw_->port());
    // Half a request line, then silence: the one worker thread must still serve others.
    std::string partial = "POST /v1/orders HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"buyer";
    http_client other(gw_->port());
    std::thread t([&] { (void)slow.raw(partial); });
    EXPECT_EQ(other.get("/livez").status, 200);
    t.join();  // the gateway's request timeout closes the slow connection
}

}  // namespace fg::testing
