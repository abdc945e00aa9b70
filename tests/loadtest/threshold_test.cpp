#include "loadtest/threshold.hpp"

#include <gtest/gtest.h>

#include "loadtest/options.hpp"
#include "loadtest/run_metrics.hpp"

namespace fg::loadtest {
namespace {

run_metrics sample_metrics() {
    run_metrics m;
    for (std::uint64_t v = 1; v <= 1000; ++v) m.latency.record(v);  // 1..1000 us
    m.issued = 1000;
    m.answered = 990;
    m.unknown = 10;
    m.duration_s = 2.0;
    return m;
}

TEST(Threshold, ParsesLatencyErrorAndRateForms) {
    const auto p99 = parse_threshold("p99<2ms");
    ASSERT_TRUE(p99.value) << p99.error;
    EXPECT_EQ(p99.value->what, threshold::metric::percentile);
    EXPECT_DOUBLE_EQ(p99.value->percentile, 99.0);
    EXPECT_DOUBLE_EQ(p99.value->limit, 2000.0);
    const auto p999 = parse_threshold("p99.9<=5ms");
    ASSERT_TRUE(p999.value);
    EXPECT_DOUBLE_EQ(p999.value->percentile, 99.9);
    EXPECT_EQ(p999.value->op, threshold::comparison::less_equal);
    const auto errors = parse_threshold("errors<1%");
    ASSERT_TRUE(errors.value);
    EXPECT_DOUBLE_EQ(errors.value->limit, 1.0);
    const auto rps = parse_threshold("rps>1000");
    ASSERT_TRUE(rps.value);
    EXPECT_EQ(rps.value->op, threshold::comparison::greater);
    EXPECT_DOUBLE_EQ(parse_threshold("max<1us").value->limit, 1.0);
}

TEST(Threshold, RefusesMalformedExpressions) {
    for (const char* bad :
         {"p99", "p99<2", "p101<1ms", "q99<1ms", "errors<1", "rps>fast", "<1ms", "p99<2parsecs"}) {
        EXPECT_FALSE(parse_threshold(bad).value) << bad;
    }
}

TEST(Threshold, EvaluatesAgainstMetrics) {
    const run_metrics m = sample_metrics();
    auto check = [&](const char* text) {
        const threshold t = *parse_threshold(text).value;
        return t.passes(t.measure(m));
    };
    EXPECT_TRUE(check("p50<1ms"));
    EXPECT_FALSE(check("p99<1us"));
    EXPECT_TRUE(check("p99.9<2ms"));
    EXPECT_FALSE(check("errors<1%"));  // exactly 1% is not below 1%
    EXPECT_TRUE(check("errors<=1%"));
    EXPECT_TRUE(check("rps>400"));
    EXPECT_FALSE(check("rps>1000"));
}

TEST(Options, DefaultsAndUsageErrors) {
    const parse_result none = parse_options({}, nullptr, nullptr);
    ASSERT_TRUE(none.error.empty()) << none.error;
    EXPECT_EQ(none.value.url, "http://127.0.0.1:8080");
    EXPECT_EQ(none.value.workload, "flash_sale");
    EXPECT_EQ(*none.value.duration_ns, 10'000'000'000);
    EXPECT_EQ(none.value.connections, 64u);
    EXPECT_FALSE(parse_options({"--mode", "open"}, nullptr, nullptr).error.empty());
    EXPECT_FALSE(parse_options({"--connections", "0"}, nullptr, nullptr).error.empty());
    EXPECT_FALSE(parse_options({"--duration"}, nullptr, nullptr).error.empty());
    EXPECT_FALSE(parse_options({"--what"}, nullptr, nullptr).error.empty());
    const parse_result open =
        parse_options({"--mode=open", "--rate", "500", "--requests", "10"}, "adm", nullptr);
    ASSERT_TRUE(open.error.empty()) << open.error;
    EXPECT_EQ(open.value.admin_token, "adm");
    EXPECT_FALSE(open.value.duration_ns);  // --requests alone bounds the run
    EXPECT_TRUE(parse_options({"--help"}, nullptr, nullptr).help);
}

}  // namespace
}  // namespace fg::loadtest
