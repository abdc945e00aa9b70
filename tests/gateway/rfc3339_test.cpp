#include "gateway/codec/rfc3339.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

namespace fg::gateway {
namespace {

TEST(Rfc3339, EpochAndKnownInstantsParse) {
    EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:00Z"), 0);
    EXPECT_EQ(parse_rfc3339_ms("2026-11-10T16:00:00Z"), 1'794'326'400'000);
    EXPECT_EQ(parse_rfc3339_ms("2000-03-01T00:00:00Z"), 951'868'800'000);
    EXPECT_EQ(parse_rfc3339_ms("9999-12-31T23:59:59.999Z"), 253'402'300'799'999);
}

TEST(Rfc3339, OffsetsConvertToUtc) {
    EXPECT_EQ(parse_rfc3339_ms("2026-11-11T00:00:00+08:00"), 1'794'326'400'000);
    EXPECT_EQ(parse_rfc3339_ms("2026-11-10T10:30:00-05:30"), 1'794'326'400'000);
    EXPECT_EQ(parse_rfc3339_ms("2026-11-10T16:00:00+00:00"), 1'794'326'400'000);
    EXPECT_EQ(parse_rfc3339_ms("2026-11-10T16:00:00-00:00"), 1'794'326'400'000);
    EXPECT_EQ(parse_rfc3339_ms("2026-11-10t16:00:00z"), 1'794'326'400'000);
}

TEST(Rfc3339, FractionsTruncateToMilliseconds) {
    EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:00.1Z"), 100);
    EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:00.12Z"), 120);
    EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:01.123Z"), 1123);
    EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:01.123999999Z"), 1123);
    EXPECT_FALSE(parse_rfc3339_ms("1970-01-01T00:00:01.1234567890Z"));
    EXPECT_FALSE(parse_rfc3339_ms("1970-01-01T00:00:01.Z"));
}

TEST(Rfc3339, LeapDaysFollowTheGregorianRules) {
    EXPECT_TRUE(parse_rfc3339_ms("2024-02-29T00:00:00Z"));
    EXPECT_TRUE(parse_rfc3339_ms("2000-02-29T00:00:00Z"));
    EXPECT_FALSE(parse_rfc3339_ms("2026-02-29T00:00:00Z"));
    EXPECT_FALSE(parse_rfc3339_ms("2100-02-29T00:00:00Z"));
    EXPECT_EQ(*parse_rfc3339_ms("2024-03-01T00:00:00Z") - *parse_rfc3339_ms("2024-02-28T00:00:00Z"),
              2 * 86'400'000);
}

TEST(Rfc3339, InvalidTextIsRefused) {
    for (const char* text : {"",
                             "2026-11-11",
                             "2026-11-11 00:00:00Z",
                             "2026-11-11T00:00:00",
                             "2026-13-01T00:00:00Z",
                             "2026-00-01T00:00:00Z",
                             "2026-04-31T00:00:00Z",
                             "2026-01-00T00:00:00Z",
                             "2026-01-01T24:00:00Z",
                             "2026-01-01T00:60:00Z",
                             "2026-01-01T00:00:60Z",
                             "2026-01-01T00:00:00+24:00",
                             "2026-01-01T00:00:00+08:60",
                             "2026-01-01T00:00:00+0800",
                             "1969-12-31T23:59:59Z",
                             "1970-01-01T00:30:00+01:00",
                             "26-01-01T00:00:00Z",
                             "2026-1-01T00:00:00Z",
                             "2026-01-01T00:00:00ZZ",
                             "2026-01-01T00:00:00Z ",
                             "+2026-01-01T00:00:00Z",
                             "2026-01-01T00:00:00.5"}) {
        EXPECT_FALSE(parse_rfc3339_ms(text)) << text;
    }
}

TEST(Rfc3339, FormatWritesWholeSecondsWithoutAFraction) {
    EXPECT_EQ(format_rfc3339_ms(0), "1970-01-01T00:00:00Z");
    EXPECT_EQ(format_rfc3339_ms(1'794'326'400'000), "2026-11-10T16:00:00Z");
    EXPECT_EQ(format_rfc3339_ms(1'794'326'400'123), "2026-11-10T16:00:00.123Z");
    EXPECT_EQ(format_rfc3339_ms(1'794'326'400'007), "2026-11-10T16:00:00.007Z");
    EXPECT_EQ(format_rfc3339_ms(951'782'400'000), "2000-02-29T00:00:00Z");
}

TEST(Rfc3339, RandomInstantsRoundTrip) {
    const char* fixed = std::getenv("FG_SEED");
    const std::uint64_t seed =
        fixed != nullptr ? std::strtoull(fixed, nullptr, 10) : std::random_device{}();
    std::printf("Rfc3339 seed: FG_SEED=%llu\n", static_cast<unsigned long long>(seed));
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<std::int64_t> instant(0, 253'402'300'799'999);
    for (int i = 0; i < 20'000; ++i) {
        const std::int64_t ms = instant(rng);
        const std::string text = format_rfc3339_ms(ms);
        ASSERT_EQ(parse_rfc3339_ms(text), ms) << text << " seed " << seed;
    }
}

TEST(Rfc3339, EveryDayOfFourCenturiesRoundTrips) {
    // 2000-03-01 .. 2400-03-01 covers every leap-year rule once.
    const std::int64_t first = *parse_rfc3339_ms("2000-03-01T00:00:00Z") / 86'400'000;
    for (std::int64_t day = first; day < first + 146'097; ++day) {
        const std::int64_t ms = day * 86'400'000 + 43'200'000;
        ASSERT_EQ(parse_rfc3339_ms(format_rfc3339_ms(ms)), ms) << format_rfc3339_ms(ms);
    }
}

}  // namespace
}  // namespace fg::gateway
