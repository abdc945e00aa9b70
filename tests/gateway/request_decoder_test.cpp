#include "gateway/codec/request_decoder.hpp"

#include <gtest/gtest.h>

#include <string>

namespace fg::gateway {
namespace {

const std::string valid_order =
    R"({"buyer_id":"b-1","items":[{"sku_id":"sku-1","qty":2},{"sku_id":"sku-2","qty":1}],)"
    R"("payment_method":"alipay","contact":{"name":"张三","phone":"+86 (138) 0000-0000",)"
    R"("address":"1 Nanjing Road, Shanghai"}})";

// `text` with the first occurrence of `from` replaced by `to` (which must occur).
std::string with(std::string text, std::string_view from, std::string_view to) {
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
}

std::string items_json(std::size_t count) {
    std::string out = "[";
    for (std::size_t i = 0; i < count; ++i) {
        if (i != 0) out += ",";
        out += R"({"sku_id":"s)" + std::to_string(i) + R"(","qty":1})";
    }
    return out + "]";
}

class RequestDecoder : public ::testing::Test {
 protected:
    std::optional<decode_error> order(const std::string& body) {
        return decoder_.decode_order(body, order_);
    }
    std::optional<decode_error> spec(const std::string& body) {
        return decoder_.decode_sku_spec(body, spec_);
    }
    std::optional<decode_error> batch(const std::string& body) {
        return decoder_.decode_sku_batch(body, batch_);
    }
    std::optional<decode_error> delta(const std::string& body) {
        return decoder_.decode_stock_delta(body, delta_);
    }

    std::optional<decode_error> payment(const std::string& body) {
        return decoder_.decode_payment(body, payment_);
    }
    std::optional<decode_error> move(const std::string& body, unsigned allowed,
                                     unsigned required = 0) {
        return decoder_.decode_move(body, allowed, required, move_);
    }
    std::optional<decode_error> block(const std::string& body) {
        return decoder_.decode_block_change(body, block_);
    }

    request_decoder decoder_;
    payment_body payment_;
    move_body move_;
    matching::block_changed block_;
    matching::order_request order_;
    matching::sku_spec spec_;
    std::vector<std::pair<std::string, matching::sku_spec>> batch_;
    std::int64_t delta_ = 0;
};

// Checks the refusal's status, code, reason and pointer together, and that it explains itself.
void expect_refused(const std::optional<decode_error>& e, std::uint16_t status,
                    std::string_view reason, std::string_view pointer) {
    ASSERT_TRUE(e.has_value()) << "expected " << reason << " at " << pointer;
    EXPECT_EQ(e->status, status) << e->detail;
    EXPECT_EQ(e->code, status == 400 ? "malformed_json" : "invalid_request");
    EXPECT_EQ(e->reason, reason) << e->detail;
    EXPECT_EQ(e->pointer, pointer) << e->detail;
    EXPECT_FALSE(e->detail.empty());
}

void expect_invalid(const std::optional<decode_error>& e, std::string_view reason,
                    std::string_view pointer) {
    expect_refused(e, 422, reason, pointer);
}

TEST_F(RequestDecoder, ValidOrderDecodesEveryMember) {
    ASSERT_FALSE(order(valid_order));
    EXPECT_EQ(order_.buyer_id, "b-1");
    ASSERT_EQ(order_.items.size(), 2u);
    EXPECT_EQ(order_.items[0].sku_id, "sku-1");
    EXPECT_EQ(order_.items[0].qty, 2);
    EXPECT_EQ(order_.items[1].sku_id, "sku-2");
    EXPECT_EQ(order_.items[1].qty, 1);
    EXPECT_EQ(order_.payment_method, "alipay");
    EXPECT_EQ(order_.buyer_contact.name, "张三");
    EXPECT_EQ(order_.buyer_contact.phone, "+86 (138) 0000-0000");
    EXPECT_EQ(order_.buyer_contact.address, "1 Nanjing Road, Shanghai");
}

TEST_F(RequestDecoder, MembersInAnyOrderWithWhitespaceAndEscapesDecode) {
    const std::string body =
        " {\n \"contact\" : {\"address\":\"a\\\"b\",\"phone\":\"1\",\"name\":\"\\u5f20\"},"
        "\"payment_method\":\"card\",\"items\":[{\"qty\":10000,\"sku_id\":\"A.b_c~d-9\"}],"
        "\"buyer_id\":\"x\"}\r\n";
    ASSERT_FALSE(order(body));
    EXPECT_EQ(order_.buyer_contact.address, "a\"b");
    EXPECT_EQ(order_.buyer_contact.name, "张");
    EXPECT_EQ(order_.items.at(0).qty, 10000);
}

TEST_F(RequestDecoder, ReusedDecoderDecodesAfterARefusal) {
    expect_invalid(order(with(valid_order, "\"qty\":2", "\"qty\":0")), "out_of_range",
                   "/items/0/qty");
    ASSERT_FALSE(order(valid_order));
    EXPECT_EQ(order_.items.size(), 2u);
}

TEST_F(RequestDecoder, UnknownMemberIsRefusedWithItsPointer) {
    expect_invalid(order(with(valid_order, "{\"buyer_id\"", "{\"coupon\":1,\"buyer_id\"")),
                   "unknown_field", "/coupon");
    expect_invalid(order(with(valid_order, "\"qty\":1", "\"qty\":1,\"price\":5")), "unknown_field",
                   "/items/1/price");
    expect_invalid(order(with(valid_order, "{\"buyer_id\"", "{\"a/b~c\":1,\"buyer_id\"")),
                   "unknown_field", "/a~1b~0c");
}

TEST_F(RequestDecoder, DuplicateKeyIsRefusedAtTheSecondOccurrence) {
    expect_invalid(order(with(valid_order, "\"items\"", "\"buyer_id\":\"b\",\"items\"")),
                   "duplicate_key", "/buyer_id");
}

TEST_F(RequestDecoder, EscapedDuplicateKeyIsRefused) {
    expect_invalid(order(with(valid_order, "\"items\"", "\"buyer\\u005fid\":\"b\",\"items\"")),
                   "duplicate_key", "/buyer_id");
}

TEST_F(RequestDecoder, DuplicateKeyInItemIsRefusedWithPointer) {
    expect_invalid(order(with(valid_order, "\"qty\":1", "\"qty\":1,\"qty\":2")), "duplicate_key",
                   "/items/1/qty");
}

TEST_F(RequestDecoder, MissingMembersAreRefusedWithTheirPointer) {
    expect_invalid(order(with(valid_order, "\"payment_method\":\"alipay\",", "")), "missing_field",
                   "/payment_method");
    expect_invalid(order(with(valid_order, "\"phone\":\"+86 (138) 0000-0000\",", "")),
                   "missing_field", "/contact/phone");
    expect_invalid(order(with(valid_order, ",\"qty\":2", "")), "missing_field", "/items/0/qty");
    expect_invalid(order("{}"), "missing_field", "/buyer_id");
}

TEST_F(RequestDecoder, WrongJsonTypesAreRefused) {
    expect_invalid(order(with(valid_order, "\"b-1\"", "5")), "wrong_type", "/buyer_id");
    expect_invalid(order(with(valid_order, "\"b-1\"", "null")), "wrong_type", "/buyer_id");
    expect_invalid(order(with(with(valid_order, "\"items\":[", "\"items\":{\"a\":["),
                              "],\"payment_method\"", "]},\"payment_method\"")),
                   "wrong_type", "/items");
    expect_invalid(order(with(valid_order, "{\"sku_id\":\"sku-1\",\"qty\":2}", "\"sku-1\"")),
                   "wrong_type", "/items/0");
    expect_invalid(order(with(with(valid_order, "\"contact\":{", "\"contact\":[{"), "}}", "}]}")),
                   "wrong_type", "/contact");
    expect_invalid(order(with(valid_order, "\"sku-2\"", "true")), "wrong_type", "/items/1/sku_id");
}

TEST_F(RequestDecoder, QtyMustBeAJsonIntegerInRange) {
    for (const char* qty : {"1.0", "1e2", "\"1\"", "true", "[1]", "-1.5E3"}) {
        expect_invalid(order(with(valid_order, "\"qty\":2", std::string("\"qty\":") + qty)),
                       "wrong_type", "/items/0/qty");
    }
    for (const char* qty : {"0", "-1", "10001", "9223372036854775807", "9223372036854775808",
                            "-9223372036854775809", "123456789012345678901234567890"}) {
        expect_invalid(order(with(valid_order, "\"qty\":2", std::string("\"qty\":") + qty)),
                       "out_of_range", "/items/0/qty");
    }
    ASSERT_FALSE(order(with(valid_order, "\"qty\":2", "\"qty\":10000")));
    EXPECT_EQ(order_.items.at(0).qty, 10000);
}

TEST_F(RequestDecoder, ThirtyThreeItemsAreTooMany) {
    ASSERT_FALSE(order(with(valid_order,
                            "[{\"sku_id\":\"sku-1\",\"qty\":2},{\"sku_id\":\"sku-2\",\"qty\":1}]",
                            items_json(32))));
    EXPECT_EQ(order_.items.size(), 32u);
    expect_invalid(order(with(valid_order,
                              "[{\"sku_id\":\"sku-1\",\"qty\":2},{\"sku_id\":\"sku-2\",\"qty\":1}]",
                              items_json(33))),
                   "too_many_items", "/items");
}

TEST_F(RequestDecoder, EmptyItemsAreRefused) {
    expect_invalid(
        order(with(valid_order,
                   "[{\"sku_id\":\"sku-1\",\"qty\":2},{\"sku_id\":\"sku-2\",\"qty\":1}]", "[]")),
        "empty", "/items");
}

TEST_F(RequestDecoder, SameSkuTwiceIsRefusedAtTheSecondItem) {
    const std::string body = with(valid_order, "{\"sku_id\":\"sku-2\",\"qty\":1}",
                                  R"({"sku_id":"sku-2","qty":1},{"sku_id":"sku-1","qty":1})");
    expect_invalid(order(body), "duplicate_sku", "/items/2/sku_id");
}

TEST_F(RequestDecoder, StringRulesAreEnforcedPerMember) {
    expect_invalid(order(with(valid_order, "\"b-1\"", "\"\"")), "empty", "/buyer_id");
    expect_invalid(order(with(valid_order, "\"b-1\"", '"' + std::string(65, 'b') + '"')),
                   "too_long", "/buyer_id");
    ASSERT_FALSE(order(with(valid_order, "\"b-1\"", '"' + std::string(64, 'b') + '"')));
    expect_invalid(order(with(valid_order, "\"b-1\"", "\"b 1\"")), "invalid_value", "/buyer_id");
    expect_invalid(order(with(valid_order, "\"b-1\"", "\"b\\u00e9\"")), "invalid_value",
                   "/buyer_id");
    expect_invalid(order(with(valid_order, "\"sku-1\"", "\"sku/1\"")), "invalid_value",
                   "/items/0/sku_id");
    expect_invalid(order(with(valid_order, "\"sku-1\"", '"' + std::string(65, 's') + '"')),
                   "too_long", "/items/0/sku_id");
    expect_invalid(order(with(valid_order, "\"alipay\"", "\"AliPay\"")), "invalid_value",
                   "/payment_method");
    expect_invalid(order(with(valid_order, "\"alipay\"", '"' + std::string(33, 'a') + '"')),
                   "too_long", "/payment_method");
    expect_invalid(order(with(valid_order, "\"+86 (138) 0000-0000\"", "\"call me\"")),
                   "invalid_value", "/contact/phone");
    expect_invalid(order(with(valid_order, "\"张三\"", "\"a\\u0001b\"")), "invalid_value",
                   "/contact/name");
    expect_invalid(order(with(valid_order, "\"张三\"", "\"a\\u0000b\"")), "invalid_value",
                   "/contact/name");
    expect_invalid(order(with(valid_order, "\"张三\"", "\"a\\nb\"")), "invalid_value",
                   "/contact/name");
}

TEST_F(RequestDecoder, StringLimitsCountBytesOfUtf8) {
    std::string name99;  // 33 three-byte characters
    std::string name102;
    for (int i = 0; i < 33; ++i) name99 += "张";
    name102 = name99 + "张";
    ASSERT_FALSE(order(with(valid_order, "\"张三\"", '"' + name99 + '"')));
    expect_invalid(order(with(valid_order, "\"张三\"", '"' + name102 + '"')), "too_long",
                   "/contact/name");
    expect_invalid(
        order(with(valid_order, "\"1 Nanjing Road, Shanghai\"", '"' + std::string(501, 'x') + '"')),
        "too_long", "/contact/address");
}

TEST_F(RequestDecoder, BodyThatIsNotAnObjectIsRefused) {
    expect_invalid(order("[]"), "not_an_object", "");
    expect_invalid(order("1"), "not_an_object", "");
    expect_invalid(order("\"order\""), "not_an_object", "");
    expect_invalid(order("null"), "not_an_object", "");
}

TEST_F(RequestDecoder, EmptyBodyIsMalformed) {
    expect_refused(order(""), 400, "empty", "");
    expect_refused(order(" \r\n\t"), 400, "empty", "");
}

TEST_F(RequestDecoder, MalformedJsonIsRefusedWith400) {
    for (const std::string body :
         {"{", "{\"buyer_id\":}", "{\"buyer_id\":\"a\",}", "{\"buyer_id\" \"a\"}", "{'a':1}",
          "{\"buyer_id\":\"a\"", "{\"a\":tru}", "{\"a\":01}", "{\"a\":\"\\x\"}",
          "{\"a\":\"\\ud800\"}", "nope"}) {
        expect_refused(order(body), 400, "malformed_json", "");
    }
}

TEST_F(RequestDecoder, MalformedJsonOutranksASchemaComplaint) {
    // The unknown member comes first, but the body is not JSON at all.
    expect_refused(order(R"({"coupon":1,"buyer_id":tru})"), 400, "malformed_json", "");
    expect_refused(order(with(valid_order, "\"qty\":2", "\"qty\":-")), 400, "malformed_json", "");
    expect_refused(order(with(valid_order, "\"qty\":2", "\"qty\":01")), 400, "malformed_json", "");
    expect_refused(order(R"({"coupon":1e400,"buyer_id":})"), 400, "malformed_json", "");
}

TEST_F(RequestDecoder, HugeNumbersAreValidJsonOfTheWrongRangeOrType) {
    expect_invalid(order(with(valid_order, "\"qty\":2", "\"qty\":1e400")), "wrong_type",
                   "/items/0/qty");
    expect_invalid(order(with(valid_order, "{\"buyer_id\"", "{\"n\":-1e999,\"buyer_id\"")),
                   "unknown_field", "/n");
}

TEST_F(RequestDecoder, TrailingContentIsRefused) {
    expect_refused(order(valid_order + " x"), 400, "trailing_content", "");
    expect_refused(order(valid_order + "}"), 400, "trailing_content", "");
    expect_refused(order(valid_order + valid_order), 400, "trailing_content", "");
    expect_refused(order("{} {}"), 400, "trailing_content", "");
    ASSERT_FALSE(order(valid_order + " \n"));
}

TEST_F(RequestDecoder, InvalidUtf8IsMalformed) {
    expect_refused(order(with(valid_order, "张三", "\xe5\xbc")), 400, "malformed_json", "");
    expect_refused(order(with(valid_order, "张三", "\xff")), 400, "malformed_json", "");
    expect_refused(order(with(valid_order, "张三", "\xc0\xaf")), 400, "malformed_json", "");
    expect_refused(order(with(valid_order, "张三", "\xed\xa0\x80")), 400, "malformed_json", "");
}

TEST_F(RequestDecoder, EmbeddedNulIsMalformed) {
    expect_refused(order(with(valid_order, "张三", std::string("a\0b", 3))), 400, "malformed_json",
                   "");
    expect_refused(order(valid_order + std::string(1, '\0')), 400, "trailing_content", "");
    expect_refused(order(std::string("\0", 1) + valid_order), 400, "malformed_json", "");
}

TEST_F(RequestDecoder, RawControlCharacterInStringIsMalformed) {
    expect_refused(order(with(valid_order, "张三", "a\tb")), 400, "malformed_json", "");
}

TEST_F(RequestDecoder, NestingDeeperThanEightIsTooDeep) {
    // Eight levels (the root object and seven arrays) is valid JSON of the wrong type.
    expect_invalid(order(R"({"buyer_id":[[[[[[[1]]]]]]]})"), "wrong_type", "/buyer_id");
    expect_invalid(order(R"({"buyer_id":[[[[[[[[1]]]]]]]]})"), "too_deep", "");
    expect_invalid(order(R"({"zzz":{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":1}}}}}}}}})"),
                   "too_deep", "");
}

TEST_F(RequestDecoder, TenThousandBracketsNeitherCrashNorRecurse) {
    const std::string open(10'000, '[');
    const std::string close(10'000, ']');
    expect_refused(order(open), 400, "malformed_json", "");
    expect_invalid(order(open + close), "too_deep", "");
    expect_invalid(order("{\"buyer_id\":" + open + close + "}"), "too_deep", "");
    expect_refused(order(std::string(10'000, '{')), 400, "malformed_json", "");
}

TEST_F(RequestDecoder, OversizedBodyIsRefusedWithoutParsing) {
    const std::string body(request_decoder::body_bytes_max + 1, ' ');
    expect_invalid(order(body), "too_long", "");
}

// ---- SKU specs ------------------------------------------------------------------------------

const std::string full_spec =
    R"({"name":"Lipstick #42","price":{"amount_minor":9900,"currency":"CNY"},"stock":500,)"
    R"("per_buyer_limit":2,"sale":{"starts_at":"2026-11-11T00:00:00+08:00",)"
    R"("ends_at":"2026-11-11T16:00:00Z"},"low_stock_threshold":20,"status":"listed"})";

TEST_F(RequestDecoder, FullSkuSpecDecodesEveryMember) {
    ASSERT_FALSE(spec(full_spec));
    EXPECT_EQ(spec_.name, "Lipstick #42");
    ASSERT_TRUE(spec_.price);
    EXPECT_EQ(spec_.price->amount_minor, 9900);
    EXPECT_EQ(spec_.price->currency.view(), "CNY");
    EXPECT_EQ(spec_.stock, 500);
    EXPECT_EQ(spec_.per_buyer_limit, 2);
    ASSERT_TRUE(spec_.sale);
    EXPECT_EQ(spec_.sale->starts_at_ms, 1'794'326'400'000);  // 2026-11-10T16:00:00Z
    EXPECT_EQ(spec_.sale->ends_at_ms, 1'794'326'400'000 + 24 * 3'600'000);
    EXPECT_EQ(spec_.low_stock_threshold, 20);
    EXPECT_EQ(spec_.status, matching::sku_status::listed);
}

TEST_F(RequestDecoder, PartialSkuSpecLeavesOtherMembersUnset) {
    ASSERT_FALSE(spec(full_spec));
    ASSERT_FALSE(spec(R"({"stock":0,"status":"delisted"})"));
    EXPECT_EQ(spec_.stock, 0);
    EXPECT_EQ(spec_.status, matching::sku_status::delisted);
    EXPECT_FALSE(spec_.name);
    EXPECT_FALSE(spec_.price);
    EXPECT_FALSE(spec_.per_buyer_limit);
    EXPECT_FALSE(spec_.sale);
    EXPECT_FALSE(spec_.low_stock_threshold);
}

TEST_F(RequestDecoder, EmptySkuSpecIsValid) {
    ASSERT_FALSE(spec("{}"));
    EXPECT_FALSE(spec_.name);
}

TEST_F(RequestDecoder, NullSaleClearsTheWindow) {
    ASSERT_FALSE(spec(R"({"sale":null})"));
    ASSERT_TRUE(spec_.sale);
    EXPECT_EQ(*spec_.sale, (matching::sale_window{0, 0}));
}

TEST_F(RequestDecoder, SaleBoundsAreEachOptionalAndNullable) {
    ASSERT_FALSE(spec(R"({"sale":{"starts_at":"2026-11-11T00:00:00Z"}})"));
    EXPECT_EQ(spec_.sale->ends_at_ms, 0);
    EXPECT_GT(spec_.sale->starts_at_ms, 0);
    ASSERT_FALSE(spec(R"({"sale":{"starts_at":null,"ends_at":"2026-11-11T00:00:00Z"}})"));
    EXPECT_EQ(spec_.sale->starts_at_ms, 0);
    ASSERT_FALSE(spec(R"({"sale":{}})"));
    EXPECT_EQ(*spec_.sale, (matching::sale_window{0, 0}));
}

TEST_F(RequestDecoder, SaleThatEndsBeforeItStartsIsRefusedAtEndsAt) {
    expect_invalid(
        spec(R"({"sale":{"starts_at":"2026-11-11T00:00:00Z","ends_at":"2026-11-10T00:00:00Z"}})"),
        "invalid_value", "/sale/ends_at");
    expect_invalid(
        spec(R"({"sale":{"starts_at":"2026-11-11T00:00:00Z","ends_at":"2026-11-11T00:00:00Z"}})"),
        "invalid_value", "/sale/ends_at");
}

TEST_F(RequestDecoder, BadSaleTimesAreRefused) {
    expect_invalid(spec(R"({"sale":{"starts_at":"tomorrow"}})"), "invalid_time", "/sale/starts_at");
    expect_invalid(spec(R"({"sale":{"ends_at":"2026-02-29T00:00:00Z"}})"), "invalid_time",
                   "/sale/ends_at");
    expect_invalid(spec(R"({"sale":{"ends_at":1794326400000}})"), "wrong_type", "/sale/ends_at");
    expect_invalid(spec(R"({"sale":"always"})"), "wrong_type", "/sale");
    expect_invalid(spec(R"({"sale":{"opens_at":null}})"), "unknown_field", "/sale/opens_at");
}

TEST_F(RequestDecoder, PriceNeedsAKnownCurrencyAndAnAmount) {
    expect_invalid(spec(R"({"price":{"amount_minor":1,"currency":"XYZ"}})"), "unknown_currency",
                   "/price/currency");
    expect_invalid(spec(R"({"price":{"amount_minor":1,"currency":"cny"}})"), "unknown_currency",
                   "/price/currency");
    expect_invalid(spec(R"({"price":{"amount_minor":1,"currency":156}})"), "wrong_type",
                   "/price/currency");
    expect_invalid(spec(R"({"price":{"amount_minor":1}})"), "missing_field", "/price/currency");
    expect_invalid(spec(R"({"price":{"currency":"JPY"}})"), "missing_field", "/price/amount_minor");
    expect_invalid(spec(R"({"price":{"amount_minor":-1,"currency":"JPY"}})"), "out_of_range",
                   "/price/amount_minor");
    expect_invalid(spec(R"({"price":{"amount_minor":1000000000001,"currency":"JPY"}})"),
                   "out_of_range", "/price/amount_minor");
    expect_invalid(spec(R"({"price":{"amount_minor":99.5,"currency":"JPY"}})"), "wrong_type",
                   "/price/amount_minor");
    expect_invalid(spec(R"({"price":9900})"), "wrong_type", "/price");
    ASSERT_FALSE(spec(R"({"price":{"currency":"KWD","amount_minor":1000000000000}})"));
    EXPECT_EQ(spec_.price->currency.minor_digits(), 3);
}

TEST_F(RequestDecoder, SkuSpecIntegersAreBounded) {
    expect_invalid(spec(R"({"stock":-1})"), "out_of_range", "/stock");
    expect_invalid(spec(R"({"stock":1000000001})"), "out_of_range", "/stock");
    ASSERT_FALSE(spec(R"({"stock":1000000000})"));
    expect_invalid(spec(R"({"per_buyer_limit":1000001})"), "out_of_range", "/per_buyer_limit");
    expect_invalid(spec(R"({"low_stock_threshold":-5})"), "out_of_range", "/low_stock_threshold");
    expect_invalid(spec(R"({"low_stock_threshold":"5"})"), "wrong_type", "/low_stock_threshold");
}

TEST_F(RequestDecoder, SkuSpecStringsAndStatusAreChecked) {
    expect_invalid(spec(R"({"status":"gone"})"), "invalid_value", "/status");
    expect_invalid(spec(R"({"status":true})"), "wrong_type", "/status");
    expect_invalid(spec(R"({"name":""})"), "empty", "/name");
    expect_invalid(spec(R"({"name":"a\u001fb"})"), "invalid_value", "/name");
    expect_invalid(spec("{\"name\":\"" + std::string(201, 'n') + "\"}"), "too_long", "/name");
    expect_invalid(spec(R"({"sku_id":"abc"})"), "unknown_field", "/sku_id");
    expect_invalid(spec(R"({"stock":1,"stock":2})"), "duplicate_key", "/stock");
}

// ---- batches --------------------------------------------------------------------------------

std::string batch_of(std::size_t count) {
    std::string out = R"({"skus":[)";
    for (std::size_t i = 0; i < count; ++i) {
        if (i != 0) out += ",";
        out += R"({"sku_id":"k)" + std::to_string(i) + R"(","stock":)" + std::to_string(i) + "}";
    }
    return out + "]}";
}

TEST_F(RequestDecoder, BatchDecodesIdsAndSpecsInOrder) {
    ASSERT_FALSE(batch(R"({"skus":[{"sku_id":"a","name":"A","stock":3},)"
                       R"({"price":{"amount_minor":5,"currency":"USD"},"sku_id":"b"}]})"));
    ASSERT_EQ(batch_.size(), 2u);
    EXPECT_EQ(batch_[0].first, "a");
    EXPECT_EQ(batch_[0].second.name, "A");
    EXPECT_EQ(batch_[0].second.stock, 3);
    EXPECT_EQ(batch_[1].first, "b");
    EXPECT_EQ(batch_[1].second.price->amount_minor, 5);
    EXPECT_FALSE(batch_[1].second.stock);
}

TEST_F(RequestDecoder, BatchPointersArePrefixedWithTheEntry) {
    std::string body = batch_of(5);
    body = with(body, R"("sku_id":"k4")",
                R"("sku_id":"k4","price":{"amount_minor":1,"currency":"ABC"})");
    expect_invalid(batch(body), "unknown_currency", "/skus/4/price/currency");
    expect_invalid(batch(R"({"skus":[{"stock":1}]})"), "missing_field", "/skus/0/sku_id");
    expect_invalid(batch(R"({"skus":[{"sku_id":"a b"}]})"), "invalid_value", "/skus/0/sku_id");
    expect_invalid(batch(R"({"skus":[1]})"), "wrong_type", "/skus/0");
    expect_invalid(batch(R"({"items":[]})"), "unknown_field", "/items");
    expect_invalid(batch("{}"), "missing_field", "/skus");
}

TEST_F(RequestDecoder, BatchWithARepeatedSkuIsRefusedAtTheRepeat) {
    std::string body = batch_of(6);
    body = with(body, R"("sku_id":"k5")", R"("sku_id":"k1")");
    body = with(body, R"("sku_id":"k3")", R"("sku_id":"k2")");
    expect_invalid(batch(body), "duplicate_sku", "/skus/3/sku_id");
}

TEST_F(RequestDecoder, BatchSizeIsOneToAThousand) {
    expect_invalid(batch(R"({"skus":[]})"), "empty", "/skus");
    ASSERT_FALSE(batch(batch_of(1000)));
    EXPECT_EQ(batch_.size(), 1000u);
    EXPECT_EQ(batch_[999].second.stock, 999);
    expect_invalid(batch(batch_of(1001)), "too_many_items", "/skus");
}

// ---- stock delta ----------------------------------------------------------------------------

TEST_F(RequestDecoder, StockDeltaDecodesSignedValues) {
    ASSERT_FALSE(delta(R"({"delta":5})"));
    EXPECT_EQ(delta_, 5);
    ASSERT_FALSE(delta(R"({"delta":-1000000000})"));
    EXPECT_EQ(delta_, -1'000'000'000);
}

TEST_F(RequestDecoder, StockDeltaMustBeANonZeroBoundedInteger) {
    expect_invalid(delta(R"({"delta":0})"), "invalid_value", "/delta");
    expect_invalid(delta(R"({"delta":1000000001})"), "out_of_range", "/delta");
    expect_invalid(delta(R"({"delta":-1000000001})"), "out_of_range", "/delta");
    expect_invalid(delta(R"({"delta":1.5})"), "wrong_type", "/delta");
    expect_invalid(delta("{}"), "missing_field", "/delta");
    expect_invalid(delta(R"({"delta":1,"note":"x"})"), "unknown_field", "/note");
}

// ---- payment callbacks ------------------------------------------------------------------------

const std::string valid_payment =
    R"({"order_id":"o00000000000012ab","provider_txn_id":"txn-2026/11/11#1",)"
    R"("status":"succeeded","amount":{"amount_minor":9900,"currency":"CNY"}})";

TEST_F(RequestDecoder, PaymentDecodesEveryMember) {
    ASSERT_FALSE(payment(valid_payment));
    EXPECT_EQ(payment_.order_id, "o00000000000012ab");
    EXPECT_EQ(payment_.provider_txn_id, "txn-2026/11/11#1");
    EXPECT_TRUE(payment_.succeeded);
    EXPECT_EQ(payment_.amount.amount_minor, 9900);
    EXPECT_EQ(payment_.amount.currency, *matching::currency_code::parse("CNY"));
    ASSERT_FALSE(payment(with(valid_payment, "succeeded", "failed")));
    EXPECT_FALSE(payment_.succeeded);
}

TEST_F(RequestDecoder, PaymentNeedsAllFourMembers) {
    expect_invalid(payment(with(valid_payment, R"("order_id":"o00000000000012ab",)", "")),
                   "missing_field", "/order_id");
    expect_invalid(payment(with(valid_payment, R"("provider_txn_id":"txn-2026/11/11#1",)", "")),
                   "missing_field", "/provider_txn_id");
    expect_invalid(payment(with(valid_payment, R"("status":"succeeded",)", "")), "missing_field",
                   "/status");
    expect_invalid(
        payment(with(valid_payment, R"(,"amount":{"amount_minor":9900,"currency":"CNY"})", "")),
        "missing_field", "/amount");
    expect_invalid(payment("{}"), "missing_field", "/order_id");
}

TEST_F(RequestDecoder, PaymentStatusIsSucceededOrFailed) {
    expect_invalid(payment(with(valid_payment, "succeeded", "paid")), "invalid_value", "/status");
    expect_invalid(payment(with(valid_payment, "succeeded", "Succeeded")), "invalid_value",
                   "/status");
    expect_invalid(payment(with(valid_payment, R"("succeeded")", "true")), "wrong_type", "/status");
}

TEST_F(RequestDecoder, PaymentMembersAreChecked) {
    expect_invalid(
        payment(with(valid_payment, R"("o00000000000012ab")", R"("o00000000000012ab0")")),
        "too_long", "/order_id");
    expect_invalid(payment(with(valid_payment, R"("o00000000000012ab")", R"("")")), "empty",
                   "/order_id");
    expect_invalid(payment(with(valid_payment, R"("o00000000000012ab")", "12")), "wrong_type",
                   "/order_id");
    expect_invalid(payment(with(valid_payment, "txn-2026/11/11#1", "txn 1")), "invalid_value",
                   "/provider_txn_id");
    expect_invalid(payment(with(valid_payment, "txn-2026/11/11#1", std::string(129, 't'))),
                   "too_long", "/provider_txn_id");
    EXPECT_FALSE(payment(with(valid_payment, "txn-2026/11/11#1", std::string(128, 't'))));
    expect_invalid(payment(with(valid_payment, R"("provider_txn_id":"txn-2026/11/11#1")",
                                R"("provider_txn_id":"")")),
                   "empty", "/provider_txn_id");
    expect_invalid(payment(with(valid_payment, "CNY", "XXX")), "unknown_currency",
                   "/amount/currency");
    expect_invalid(payment(with(valid_payment, "9900", "-1")), "out_of_range",
                   "/amount/amount_minor");
    expect_invalid(payment(with(valid_payment, "9900", "99.5")), "wrong_type",
                   "/amount/amount_minor");
    expect_invalid(payment(with(valid_payment, R"(,"currency":"CNY")", "")), "missing_field",
                   "/amount/currency");
    expect_invalid(
        payment(with(valid_payment, R"({"amount_minor":9900,"currency":"CNY"})", "9900")),
        "wrong_type", "/amount");
    expect_invalid(payment(with(valid_payment, "}}", R"(},"fee":1})")), "unknown_field", "/fee");
    expect_invalid(payment(with(valid_payment, "}}", R"(},"status":"failed"})")), "duplicate_key",
                   "/status");
}

TEST_F(RequestDecoder, PaymentRefusesEmptyAndMalformedBodies) {
    expect_refused(payment(""), 400, "empty", "");
    expect_refused(payment(R"({"order_id":)"), 400, "malformed_json", "");
    expect_invalid(payment("[]"), "not_an_object", "");
    expect_refused(payment(valid_payment + "{}"), 400, "trailing_content", "");
}

// ---- order moves ------------------------------------------------------------------------------

constexpr unsigned ship_fields = move_field::carrier | move_field::tracking_no;
constexpr unsigned all_move_fields =
    move_field::carrier | move_field::tracking_no | move_field::reason | move_field::restock;

TEST_F(RequestDecoder, MoveDecodesEveryAllowedMember) {
    ASSERT_FALSE(move(R"({"carrier":"顺丰 SF Express","tracking_no":"SF1234567890"})", ship_fields,
                      ship_fields));
    EXPECT_EQ(move_.carrier, "顺丰 SF Express");
    EXPECT_EQ(move_.tracking_no, "SF1234567890");
    EXPECT_EQ(move_.reason, "");
    EXPECT_FALSE(move_.restock.has_value());
    ASSERT_FALSE(move(R"({"restock":false,"reason":"damaged in transit"})",
                      move_field::restock | move_field::reason));
    ASSERT_TRUE(move_.restock.has_value());
    EXPECT_FALSE(*move_.restock);
    EXPECT_EQ(move_.reason, "damaged in transit");
    EXPECT_TRUE(move_.carrier.empty());  // reset from the previous decode
    ASSERT_FALSE(move(R"({"restock":true})", move_field::restock));
    EXPECT_EQ(move_.restock, true);
}

TEST_F(RequestDecoder, MoveEmptyBodyReadsAsAnEmptyObject) {
    ASSERT_FALSE(move("", 0));
    ASSERT_FALSE(move("", all_move_fields));
    ASSERT_FALSE(move("{}", move_field::reason));
    EXPECT_TRUE(move_.reason.empty());
    EXPECT_FALSE(move_.restock.has_value());
    // Only "" is special: whitespace alone is still no JSON.
    expect_refused(move(" ", 0), 400, "empty", "");
    expect_invalid(move("", ship_fields, ship_fields), "missing_field", "/carrier");
}

TEST_F(RequestDecoder, MoveRequiredMembersMustBePresent) {
    expect_invalid(move(R"({"carrier":"SF"})", ship_fields, ship_fields), "missing_field",
                   "/tracking_no");
    expect_invalid(move(R"({"tracking_no":"1"})", ship_fields, ship_fields), "missing_field",
                   "/carrier");
}

TEST_F(RequestDecoder, MoveMembersOutsideTheActionAreUnknown) {
    expect_invalid(move(R"({"reason":"x"})", 0), "unknown_field", "/reason");
    expect_invalid(move(R"({"carrier":"SF","tracking_no":"1","restock":true})", ship_fields),
                   "unknown_field", "/restock");
    expect_invalid(move(R"({"carrier":"SF"})", move_field::reason), "unknown_field", "/carrier");
    expect_invalid(move(R"({"note":"x"})", all_move_fields), "unknown_field", "/note");
    // A required member is one the action takes.
    EXPECT_FALSE(move(R"({"carrier":"SF"})", 0, move_field::carrier));
}

TEST_F(RequestDecoder, MoveMembersAreChecked) {
    expect_invalid(move(R"({"carrier":""})", all_move_fields), "empty", "/carrier");
    expect_invalid(move(R"({"carrier":"a\nb"})", all_move_fields), "invalid_value", "/carrier");
    expect_invalid(move(R"({"carrier":")" + std::string(65, 'c') + "\"}", all_move_fields),
                   "too_long", "/carrier");
    EXPECT_FALSE(move(R"({"carrier":")" + std::string(64, 'c') + "\"}", all_move_fields));
    expect_invalid(move(R"({"carrier":7})", all_move_fields), "wrong_type", "/carrier");
    expect_invalid(move(R"({"tracking_no":"SF 1"})", all_move_fields), "invalid_value",
                   "/tracking_no");
    expect_invalid(move(R"({"tracking_no":"号"})", all_move_fields), "invalid_value",
                   "/tracking_no");
    expect_invalid(move(R"({"tracking_no":")" + std::string(65, '1') + "\"}", all_move_fields),
                   "too_long", "/tracking_no");
    expect_invalid(move(R"({"tracking_no":""})", all_move_fields), "empty", "/tracking_no");
    expect_invalid(move(R"({"restock":"yes"})", all_move_fields), "wrong_type", "/restock");
    expect_invalid(move(R"({"restock":1})", all_move_fields), "wrong_type", "/restock");
    expect_invalid(move(R"({"restock":null})", all_move_fields), "wrong_type", "/restock");
    expect_invalid(move(R"({"restock":true,"restock":false})", all_move_fields), "duplicate_key",
                   "/restock");
    expect_refused(move(R"({"restock":tru})", all_move_fields), 400, "malformed_json", "");
    expect_invalid(move("[]", all_move_fields), "not_an_object", "");
}

TEST_F(RequestDecoder, MoveReasonMayBeEmptyButIsBounded) {
    ASSERT_FALSE(move(R"({"reason":""})", move_field::reason));
    EXPECT_EQ(move_.reason, "");
    ASSERT_FALSE(move(R"({"reason":")" + std::string(200, 'r') + "\"}", move_field::reason));
    EXPECT_EQ(move_.reason.size(), 200u);
    expect_invalid(move(R"({"reason":")" + std::string(201, 'r') + "\"}", move_field::reason),
                   "too_long", "/reason");
    expect_invalid(move(R"({"reason":"tab\there"})", move_field::reason), "invalid_value",
                   "/reason");
    expect_invalid(move(R"({"reason":null})", move_field::reason), "wrong_type", "/reason");
}

// ---- block list ---------------------------------------------------------------------------------

TEST_F(RequestDecoder, BlockChangeDecodesABuyerOrANetwork) {
    ASSERT_FALSE(block(R"({"buyer_id":"b-1","blocked":true})"));
    EXPECT_EQ(block_.kind, matching::block_kind::buyer);
    EXPECT_EQ(block_.value, "b-1");
    EXPECT_TRUE(block_.blocked);
    EXPECT_EQ(block_.at_ms, 0);
    ASSERT_FALSE(block(R"({"blocked":false,"ip":"10.0.0.0/8"})"));
    EXPECT_EQ(block_.kind, matching::block_kind::network);
    EXPECT_EQ(block_.value, "10.0.0.0/8");
    EXPECT_FALSE(block_.blocked);
    ASSERT_FALSE(block(R"({"ip":"2001:DB8::ffff:192.0.2.1","blocked":true})"));
    EXPECT_EQ(block_.value, "2001:DB8::ffff:192.0.2.1");
    ASSERT_FALSE(block(R"({"ip":"1.2.3.4","blocked":true})"));
    EXPECT_EQ(block_.kind, matching::block_kind::network);
}

TEST_F(RequestDecoder, BlockChangeNeedsExactlyOneSubjectAndBlocked) {
    expect_invalid(block(R"({"blocked":true})"), "missing_field", "");
    expect_invalid(block(R"({"buyer_id":"b-1"})"), "missing_field", "/blocked");
    expect_invalid(block(R"({"buyer_id":"b-1","ip":"1.2.3.4","blocked":true})"), "invalid_value",
                   "/ip");
    expect_invalid(block(R"({"ip":"1.2.3.4","buyer_id":"b-1","blocked":true})"), "invalid_value",
                   "/buyer_id");
    expect_invalid(block(R"({"ip":"1.2.3.4","ip":"1.2.3.5","blocked":true})"), "duplicate_key",
                   "/ip");
    expect_invalid(block(R"({"buyer_id":"b-1","blocked":true,"until":1})"), "unknown_field",
                   "/until");
    expect_refused(block(""), 400, "empty", "");
}

TEST_F(RequestDecoder, BlockChangeMembersAreChecked) {
    expect_invalid(block(R"({"buyer_id":"b 1","blocked":true})"), "invalid_value", "/buyer_id");
    expect_invalid(block(R"({"buyer_id":"","blocked":true})"), "empty", "/buyer_id");
    expect_invalid(block(R"({"buyer_id":")" + std::string(65, 'b') + R"(","blocked":true})"),
                   "too_long", "/buyer_id");
    expect_invalid(block(R"({"ip":"10.0.0.0 /8","blocked":true})"), "invalid_value", "/ip");
    expect_invalid(block(R"({"ip":"example.com","blocked":true})"), "invalid_value", "/ip");
    expect_invalid(block(R"({"ip":"","blocked":true})"), "empty", "/ip");
    expect_invalid(block(R"({"ip":")" + std::string(65, '1') + R"(","blocked":true})"), "too_long",
                   "/ip");
    EXPECT_FALSE(block(R"({"ip":")" + std::string(64, '1') + R"(","blocked":true})"));
    expect_invalid(block(R"({"ip":167772160,"blocked":true})"), "wrong_type", "/ip");
    expect_invalid(block(R"({"buyer_id":"b-1","blocked":"true"})"), "wrong_type", "/blocked");
    expect_invalid(block(R"({"buyer_id":"b-1","blocked":0})"), "wrong_type", "/blocked");
}

// ---- identifiers in headers and paths -------------------------------------------------------

TEST(ValidSkuId, AcceptsUnreservedUrlCharactersUpTo64) {
    EXPECT_TRUE(valid_sku_id("A-z_0.9~"));
    EXPECT_TRUE(valid_sku_id(std::string(64, 'x')));
    EXPECT_FALSE(valid_sku_id(""));
    EXPECT_FALSE(valid_sku_id(std::string(65, 'x')));
    EXPECT_FALSE(valid_sku_id("a/b"));
    EXPECT_FALSE(valid_sku_id("a b"));
    EXPECT_FALSE(valid_sku_id("a%20"));
    EXPECT_FALSE(valid_sku_id("张"));
    EXPECT_FALSE(valid_sku_id(std::string("a\0", 2)));
}

TEST(ValidIdempotencyKey, AcceptsVisibleAsciiUpTo128) {
    EXPECT_TRUE(valid_idempotency_key("9f1c-Order/42:retry!"));
    EXPECT_TRUE(valid_idempotency_key(std::string(128, '~')));
    EXPECT_FALSE(valid_idempotency_key(""));
    EXPECT_FALSE(valid_idempotency_key(std::string(129, 'k')));
    EXPECT_FALSE(valid_idempotency_key("a b"));
    EXPECT_FALSE(valid_idempotency_key("a\x7f"));
    EXPECT_FALSE(valid_idempotency_key("é"));
}

}  // namespace
}  // namespace fg::gateway
