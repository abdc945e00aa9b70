#include "matching/money.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "matching/order_id.hpp"

namespace fg::matching {

TEST(CurrencyCode, KnownCodesCarryTheirMinorDigits) {
    EXPECT_EQ(currency_code::parse("CNY")->minor_digits(), 2);
    EXPECT_EQ(currency_code::parse("JPY")->minor_digits(), 0);
    EXPECT_EQ(currency_code::parse("KWD")->minor_digits(), 3);
    EXPECT_EQ(currency_code::parse("USD")->view(), "USD");
}

TEST(CurrencyCode, UnknownOrMalformedCodesAreRefused) {
    EXPECT_FALSE(currency_code::parse("XXX"));
    EXPECT_FALSE(currency_code::parse("cny"));
    EXPECT_FALSE(currency_code::parse("CN"));
    EXPECT_FALSE(currency_code::parse(""));
    EXPECT_FALSE(currency_code::parse("CNYX"));
    EXPECT_FALSE(
        currency_code::parse("\xff"
                             "NY"));
    EXPECT_FALSE(currency_code::parse(std::string_view("CN\0", 3)));
}

// Over every three capital letters: the known codes, and nothing else, parse back to themselves.
TEST(CurrencyCode, EveryThreeLetterCodeIsKnownOrRefused) {
    int known = 0;
    std::string code = "AAA";
    for (char a = 'A'; a <= 'Z'; ++a) {
        for (char b = 'A'; b <= 'Z'; ++b) {
            for (char c = 'A'; c <= 'Z'; ++c) {
                code = {a, b, c};
                if (const auto parsed = currency_code::parse(code)) {
                    ++known;
                    EXPECT_EQ(parsed->view(), code);
                }
            }
        }
    }
    EXPECT_EQ(known, 46);
    EXPECT_TRUE(currency_code::parse("AED"));
    EXPECT_TRUE(currency_code::parse("ZAR"));
}

TEST(OrderId, FormatThenParseRoundTrips) {
    for (std::uint64_t id : {1ull, 0x1234ull, 0xffffffffffffffffull, (42ull << 8) | 3}) {
        std::string text = format_order_id(id);
        EXPECT_EQ(text.size(), order_id_chars);
        EXPECT_EQ(parse_order_id(text), id);
    }
}

TEST(OrderId, MalformedTextIsRefused) {
    EXPECT_FALSE(parse_order_id("o000000000000000g"));
    EXPECT_FALSE(parse_order_id("x0000000000000001"));
    EXPECT_FALSE(parse_order_id("o00000000000000001"));
    EXPECT_FALSE(parse_order_id("o0000000000000000"));
    EXPECT_FALSE(parse_order_id("o000000000000000A"));
}

}  // namespace fg::matching
