#include "gateway/codec/json_writer.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace fg::gateway {
namespace {

std::string write_string(std::string_view text) {
    std::string out;
    json_writer(out).string(text);
    return out;
}

TEST(JsonWriter, NestedContainersGetCommasInTheRightPlaces) {
    std::string out;
    json_writer w(out);
    w.begin_object();
    w.key("a").integer(1);
    w.key("b").begin_array().integer(-2).boolean(true).null_value().begin_object().end_object();
    w.begin_array().end_array().end_array();
    w.key("c").string("x");
    w.end_object();
    EXPECT_EQ(out, R"({"a":1,"b":[-2,true,null,{},[]],"c":"x"})");
    EXPECT_TRUE(w.complete());
}

TEST(JsonWriter, AppendsWithoutClearingTheBuffer) {
    std::string out = "prefix:";
    json_writer(out).integer(std::numeric_limits<std::int64_t>::min());
    EXPECT_EQ(out, "prefix:-9223372036854775808");
}

TEST(JsonWriter, QuotesAndBackslashesAreEscaped) {
    EXPECT_EQ(write_string(R"(a"b\c)"), R"("a\"b\\c")");
}

TEST(JsonWriter, ControlCharactersAreEscapedAsUnicode) {
    EXPECT_EQ(write_string(std::string("\0\x01\n\t\x1f", 5)),
              R"("\u0000\u0001\u000a\u0009\u001f")");
    EXPECT_EQ(write_string("\x7f"), "\"\x7f\"");
}

TEST(JsonWriter, ValidUtf8PassesThroughUnchanged) {
    EXPECT_EQ(write_string("张三 é 😀"), "\"张三 é 😀\"");
}

TEST(JsonWriter, InvalidUtf8BecomesReplacementCharacter) {
    EXPECT_EQ(write_string("a\xff"
                           "b"),
              R"("a\ufffdb")");
    EXPECT_EQ(write_string("\xe5\xbc"), R"("\ufffd\ufffd")");            // truncated sequence
    EXPECT_EQ(write_string("\xc0\xaf"), R"("\ufffd\ufffd")");            // overlong '/'
    EXPECT_EQ(write_string("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");  // surrogate
    const std::string out = write_string("ok\xf4\x90\x80\x80");
    EXPECT_TRUE(nlohmann::json::accept(out)) << out;
}

TEST(JsonWriter, OutputOfEveryByteParsesBackToTheSameText) {
    std::string all;
    for (int c = 0; c < 0x80; ++c) all.push_back(static_cast<char>(c));
    all += "张三";
    std::string out;
    json_writer(out).begin_object().key(all).string(all).end_object();
    const auto parsed = nlohmann::json::parse(out);
    EXPECT_EQ(parsed.at(all).get<std::string>(), all);
}

TEST(JsonWriter, MoneyAndTimesHaveTheirApiShape) {
    std::string out;
    json_writer w(out);
    w.begin_object();
    w.key("price").money({9900, *matching::currency_code::parse("CNY")});
    w.key("at").time_ms(1'794'326'400'123);
    w.key("none").time_ms_or_null(0);
    w.key("some").time_ms_or_null(1000);
    w.end_object();
    EXPECT_EQ(out,
              R"({"price":{"amount_minor":9900,"currency":"CNY"},"at":"2026-11-10T16:00:00.123Z",)"
              R"("none":null,"some":"1970-01-01T00:00:01Z"})");
}

TEST(JsonWriter, SixteenLevelsAreAllowed) {
    std::string out;
    json_writer w(out);
    for (std::size_t i = 0; i < json_writer::depth_max; ++i) w.begin_array();
    for (std::size_t i = 0; i < json_writer::depth_max; ++i) w.end_array();
    EXPECT_TRUE(w.complete());
}

TEST(JsonWriterDeathTest, SeventeenLevelsAbort) {
    std::string out;
    json_writer w(out);
    for (std::size_t i = 0; i < json_writer::depth_max; ++i) w.begin_array();
    EXPECT_DEATH(w.begin_array(), "C1");
}

TEST(JsonWriterDeathTest, ValueWithoutKeyInObjectAborts) {
    std::string out;
    json_writer w(out);
    w.begin_object();
    EXPECT_DEATH(w.integer(1), "C1");
}

TEST(JsonWriterDeathTest, MismatchedEndAborts) {
    std::string out;
    json_writer w(out);
    w.begin_object();
    EXPECT_DEATH(w.end_array(), "C1");
}

}  // namespace
}  // namespace fg::gateway
