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
}

}  // namespace
}  // namespace fg::gateway
