#include "loadtest/response_parser.hpp"

#include <gtest/gtest.h>

#include <string>

#include "loadtest/ledger.hpp"
#include "loadtest/request_writer.hpp"

namespace fg::loadtest {
namespace {

TEST(ResponseParser, FramesKeepAliveAnswersBackToBack) {
    const std::string body = R"({"order_id":"o00000000000004d2","status":"pending_payment"})";
    const std::string wire =
        "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\ncontent-length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    const std::string two = wire + "HTTP/1.1 409";  // the view points into this
    const response_view r = parse_response(two);
    ASSERT_EQ(r.result, response_view::state::complete);
    EXPECT_EQ(r.status, 201u);
    EXPECT_EQ(r.size, wire.size());
    EXPECT_EQ(find_json_string(r.body, "\"order_id\":\""), "o00000000000004d2");
    EXPECT_EQ(parse_response(wire.substr(0, wire.size() - 1)).result,
              response_view::state::incomplete);
}

TEST(ResponseParser, ReadsProblemCodesAndClose) {
    const std::string body =
        R"({"type":"/problems/sold_out","status":409,"code":"sold_out","sku_id":"hot-0"})";
    const std::string wire = "HTTP/1.1 409 Conflict\r\nConnection: close\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + body;
    const response_view r = parse_response(wire);
    ASSERT_EQ(r.result, response_view::state::complete);
    EXPECT_TRUE(r.connection_close);
    EXPECT_EQ(find_json_string(r.body, "\"code\":\""), "sold_out");
    EXPECT_EQ(find_json_string(r.body, "\"sku_id\":\""), "hot-0");
    EXPECT_EQ(find_json_string(r.body, "\"order_id\":\""), "");
}

TEST(ResponseParser, RefusesWhatItCannotFrame) {
    EXPECT_EQ(parse_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").result,
              response_view::state::malformed);
    EXPECT_EQ(parse_response("SMTP 220 hello\r\n\r\n").result, response_view::state::malformed);
    EXPECT_EQ(parse_response("HTTP/1.1 200 OK\r\n\r\n").result, response_view::state::malformed);
}

TEST(RequestWriter, WritesACompleteOrderRequest) {
    request_format f;
    f.key_prefix = "run1-k";
    f.sku_prefix = "hot-";
    request_writer w(f);
    logical_order o;
    o.key_seq = 42;
    o.buyer = 7;
    o.item_count = 2;
    o.items[0] = {0, 1};
    o.items[1] = {13, 2};
    std::string out;
    w.append(out, o);
    const std::string body =
        R"({"buyer_id":"b7","items":[{"sku_id":"hot-0","qty":1},{"sku_id":"hot-13","qty":2}],)"
        R"("payment_method":"alipay","contact":{"name":"Load Test","phone":"13800000000","address":"1 Bench Road"}})";
    EXPECT_EQ(
        out,
        "POST /v1/orders HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\n"
        "Idempotency-Key: run1-k42\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\n\r\n" + body);
}

}  // namespace
}  // namespace fg::loadtest
