#include "gateway/codec/resource_json.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace fg::gateway {
namespace {

matching::money cny(std::int64_t minor) { return {minor, *matching::currency_code::parse("CNY")}; }

TEST(WriteSku, WritesEveryMemberWithNullForAnOpenBound) {
    matching::sku_state sku;
    sku.id = "k1";
    sku.name = "Lipstick \"42\"";
    sku.price = cny(9900);
    sku.stock = 10;
    sku.held = 3;
    sku.sold = 2;
    sku.per_buyer_limit = 1;
    sku.sale = {1'794'326'400'000, 0};
    sku.low_stock_threshold = 4;
    sku.status = matching::sku_status::delisted;
    sku.updated_at_ms = 1'794'326'400'500;
    std::string out;
    json_writer w(out);
    write_sku(w, sku);
    ASSERT_TRUE(w.complete());
    const auto j = nlohmann::json::parse(out);
    EXPECT_EQ(j.at("sku_id"), "k1");
    EXPECT_EQ(j.at("name"), "Lipstick \"42\"");
    EXPECT_EQ(j.at("price").at("amount_minor"), 9900);
    EXPECT_EQ(j.at("price").at("currency"), "CNY");
    EXPECT_EQ(j.at("stock"), 10);
    EXPECT_EQ(j.at("available"), 5);
    EXPECT_EQ(j.at("held"), 3);
    EXPECT_EQ(j.at("sold"), 2);
    EXPECT_EQ(j.at("per_buyer_limit"), 1);
    EXPECT_EQ(j.at("sale").at("starts_at"), "2026-11-10T16:00:00Z");
    EXPECT_TRUE(j.at("sale").at("ends_at").is_null());
    EXPECT_EQ(j.at("low_stock_threshold"), 4);
    EXPECT_EQ(j.at("status"), "delisted");
    EXPECT_EQ(j.at("updated_at"), "2026-11-10T16:00:00.500Z");
    EXPECT_EQ(j.size(), 12u);
}

TEST(WriteOrder, WritesEveryMemberInApiShape) {
    matching::order o;
    o.id = 0x1234;
    o.buyer_id = "b-1";
    o.items = {{"k1", 2, cny(100)}, {"k2", 1, cny(50)}};
    o.total = cny(250);
    o.payment_method = "alipay";
    o.buyer_contact = {"张三", "+86 1", "Road\n1"};
    o.created_at_ms = 1000;
    o.hold_expires_at_ms = 901'000;
    o.updated_at_ms = 1000;
    std::string out;
    json_writer w(out);
    write_order(w, o);
    ASSERT_TRUE(w.complete());
    const auto j = nlohmann::json::parse(out);
    EXPECT_EQ(j.at("order_id"), "o0000000000001234");
    EXPECT_EQ(j.at("status"), "pending_payment");
    EXPECT_EQ(j.at("buyer_id"), "b-1");
    ASSERT_EQ(j.at("items").size(), 2u);
    EXPECT_EQ(j.at("items")[1].at("sku_id"), "k2");
    EXPECT_EQ(j.at("items")[0].at("qty"), 2);
    EXPECT_EQ(j.at("items")[0].at("unit_price").at("amount_minor"), 100);
    EXPECT_EQ(j.at("total").at("amount_minor"), 250);
    EXPECT_EQ(j.at("payment_method"), "alipay");
    EXPECT_EQ(j.at("contact").at("name"), "张三");
    EXPECT_EQ(j.at("contact").at("address"), "Road\n1");
    EXPECT_EQ(j.at("created_at"), "1970-01-01T00:00:01Z");
    EXPECT_EQ(j.at("hold_expires_at"), "1970-01-01T00:15:01Z");
    EXPECT_EQ(j.at("updated_at"), "1970-01-01T00:00:01Z");
    EXPECT_TRUE(j.at("history").is_array());
    EXPECT_TRUE(j.at("history").empty());
    EXPECT_EQ(j.size(), 11u);
}

TEST(WriteOrder, OrderWithoutAHoldWritesNullHoldExpiry) {
    matching::order o;
    o.id = 1;
    o.status = matching::order_status::risk_review;
    o.total = cny(0);
    o.hold_expires_at_ms = 0;
    std::string out;
    json_writer w(out);
    write_order(w, o);
    ASSERT_TRUE(w.complete());
    const auto j = nlohmann::json::parse(out);
    EXPECT_EQ(j.at("status"), "risk_review");
    EXPECT_TRUE(j.at("hold_expires_at").is_null());
}

TEST(WriteOrder, HistoryWritesEachStepWithOnlyTheMembersItSets) {
    using matching::actor;
    using matching::order_status;
    matching::order o;
    o.id = 7;
    o.total = cny(100);
    o.status = order_status::refunded;
    o.history.push_back({.to = order_status::risk_review,
                         .by = actor::buyer,
                         .at_ms = 1000,
                         .text = matching::text_of({.reason = "ip_velocity"})});
    o.history.push_back({.to = order_status::pending_payment,
                         .by = actor::merchant,
                         .at_ms = 2000,
                         .hold_expires_at_ms = 902'000});
    o.history.push_back({.to = order_status::paid,
                         .by = actor::payment,
                         .at_ms = 3000,
                         .text = matching::text_of({.provider_txn_id = "txn-9"})});
    o.history.push_back(
        {.to = order_status::shipped,
         .by = actor::merchant,
         .at_ms = 4000,
         .text = matching::text_of({.carrier = "SF \"Express\"", .tracking_no = "SF1"})});
    o.history.push_back(
        {.to = order_status::refunded, .by = actor::merchant, .at_ms = 5000, .restock = true});
    o.history.push_back({.to = order_status::expired, .by = actor::system, .at_ms = 6000});
    std::string out;
    json_writer w(out);
    write_order(w, o);
    ASSERT_TRUE(w.complete());
    const auto j = nlohmann::json::parse(out);
    const auto& h = j.at("history");
    ASSERT_EQ(h.size(), 6u);
    EXPECT_EQ(h[0], nlohmann::json::parse(R"({"status":"risk_review","at":"1970-01-01T00:00:01Z",)"
                                          R"("by":"buyer","reason":"ip_velocity"})"));
    EXPECT_EQ(h[1], nlohmann::json::parse(
                        R"({"status":"pending_payment","at":"1970-01-01T00:00:02Z",)"
                        R"("by":"merchant","hold_expires_at":"1970-01-01T00:15:02Z"})"));
    EXPECT_EQ(h[2], nlohmann::json::parse(R"({"status":"paid","at":"1970-01-01T00:00:03Z",)"
                                          R"("by":"payment","provider_txn_id":"txn-9"})"));
    EXPECT_EQ(h[3], nlohmann::json::parse(R"({"status":"shipped","at":"1970-01-01T00:00:04Z",)"
                                          R"("by":"merchant","carrier":"SF \"Express\"",)"
                                          R"("tracking_no":"SF1"})"));
    EXPECT_EQ(h[4], nlohmann::json::parse(R"({"status":"refunded","at":"1970-01-01T00:00:05Z",)"
                                          R"("by":"merchant","restock":true})"));
    EXPECT_EQ(h[5], nlohmann::json::parse(R"({"status":"expired","at":"1970-01-01T00:00:06Z",)"
                                          R"("by":"system"})"));
    // The members' order is part of the shape: status, at, by first.
    EXPECT_NE(out.find(R"({"status":"paid","at":"1970-01-01T00:00:03Z","by":"payment",)"
                       R"("provider_txn_id":"txn-9"})"),
              std::string::npos)
        << out;
    // "history" follows "updated_at".
    EXPECT_LT(out.find("\"updated_at\""), out.find("\"history\""));
}

TEST(WriteBlockList, SplitsBuyersFromNetworksAndSkipsUnblocks) {
    using matching::block_kind;
    const std::vector<matching::block_changed> entries = {
        {block_kind::buyer, "b-1", true, 1},  {block_kind::network, "10.0.0.0/8", true, 2},
        {block_kind::buyer, "b-2", false, 3}, {block_kind::network, "2001:db8::1", true, 4},
        {block_kind::buyer, "b-3", true, 5},
    };
    std::string out;
    json_writer w(out);
    write_block_list(w, entries);
    ASSERT_TRUE(w.complete());
    EXPECT_EQ(out, R"({"buyers":["b-1","b-3"],"networks":["10.0.0.0/8","2001:db8::1"]})");
}

TEST(WriteBlockList, EmptyListWritesEmptyArrays) {
    std::string out;
    json_writer w(out);
    write_block_list(w, {});
    ASSERT_TRUE(w.complete());
    EXPECT_EQ(out, R"({"buyers":[],"networks":[]})");
}

}  // namespace
}  // namespace fg::gateway
