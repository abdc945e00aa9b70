#include "matching/event_codec.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string_view>

namespace fg::matching {

TEST(EventCodec, OrderRoundTripsEveryField) {
    order o;
    o.id = (7ull << 8) | 2;
    o.idempotency_key = "key-1";
    o.buyer_id = "buyer";
    o.payment_method = "alipay";
    o.buyer_contact = {"李雷", "+86 138", "1 Road"};
    o.created_at_ms = 1000;
    o.hold_expires_at_ms = 2000;
    o.total = {3 * 1999 + 500, *currency_code::parse("CNY")};
    o.items = {{"a", 3, {1999, o.total.currency}}, {"b", 1, {500, o.total.currency}}};
    std::vector<std::byte> bytes;
    encode(o, bytes);
    order back;
    ASSERT_TRUE(decode(bytes, back));
    EXPECT_EQ(back.id, o.id);
    EXPECT_EQ(back.idempotency_key, o.idempotency_key);
    EXPECT_EQ(back.buyer_contact.name, "李雷");
    EXPECT_EQ(back.total, o.total);
    ASSERT_EQ(back.items.size(), 2u);
    EXPECT_EQ(back.items[0].qty, 3);
    EXPECT_EQ(back.items[1].unit_price, o.items[1].unit_price);
}

// Replay decodes record after record into the same view, which skips the currency parse when
// the letters are the last record's: another known currency still decodes, an unknown one is
// still refused, and a refused record leaves no unknown letters behind to be matched next.
TEST(EventCodec, AReusedOrderViewChecksEveryCurrency) {
    order o;
    o.id = 1u << 8;
    o.buyer_id = "buyer";
    o.total = {1999, *currency_code::parse("CNY")};
    o.items = {{"a", 1, {1999, o.total.currency}}};
    std::vector<std::byte> cny, jpy;
    encode(o, cny);
    o.total.currency = *currency_code::parse("JPY");
    encode(o, jpy);
    std::vector<std::byte> unknown = cny;
    const std::string_view letters = "CNY";
    const auto at = std::search(unknown.begin(), unknown.end(), letters.begin(), letters.end(),
                                [](std::byte b, char c) { return static_cast<char>(b) == c; });
    ASSERT_NE(at, unknown.end());
    at[0] = std::byte{'Q'};  // "QNY": no such currency

    order_placed_view v;
    ASSERT_TRUE(decode(cny, v));
    EXPECT_EQ(v.total.currency.view(), "CNY");
    ASSERT_TRUE(decode(cny, v));
    EXPECT_EQ(v.total.currency.view(), "CNY");
    ASSERT_TRUE(decode(jpy, v));
    EXPECT_EQ(v.total.currency.view(), "JPY");
    EXPECT_FALSE(decode(unknown, v));
    EXPECT_FALSE(decode(unknown, v));
    ASSERT_TRUE(decode(cny, v));
    EXPECT_EQ(v.total.currency.view(), "CNY");
}

TEST(EventCodec, SkuRoundTripsAndTruncationIsRefused) {
    sku_state s;
    s.id = "sku-1";
    s.name = "tee";
    s.price = {100, *currency_code::parse("JPY")};
    s.stock = 42;
    s.sale = {5, 6};
    s.status = sku_status::delisted;
    std::vector<std::byte> bytes;
    encode(s, bytes);
    sku_state back;
    ASSERT_TRUE(decode(bytes, back));
    EXPECT_EQ(back.price, s.price);
    EXPECT_EQ(back.sale, s.sale);
    EXPECT_EQ(back.status, sku_status::delisted);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        EXPECT_FALSE(decode(std::span(bytes.data(), n), back)) << "prefix of " << n << " bytes";
    }
    bytes.push_back(std::byte{0});
    EXPECT_FALSE(decode(bytes, back)) << "trailing byte";
}

TEST(EventCodec, SmallRecordsRoundTrip) {
    std::vector<std::byte> bytes;
    encode(stock_adjusted{"x", -5, 9}, bytes);
    stock_adjusted a;
    ASSERT_TRUE(decode(bytes, a));
    EXPECT_EQ(a.delta, -5);
    encode(order_cancelled{77, 8}, bytes);
    order_cancelled c;
    ASSERT_TRUE(decode(bytes, c));
    EXPECT_EQ(c.order_id, 77u);
    EXPECT_FALSE(decode(bytes, a)) << "a cancel payload is not a stock payload";
}

}  // namespace fg::matching
