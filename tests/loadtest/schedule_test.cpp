#include <gtest/gtest.h>

#include "loadtest/open_loop_schedule.hpp"
#include "loadtest/zipf_sampler.hpp"

namespace fg::loadtest {
namespace {

TEST(OpenLoopSchedule, IntendedTimesAreExactlyOneOverRateApart) {
    for (const double rate : {1.0, 1000.0, 20000.0, 1e6}) {
        const open_loop_schedule s(rate);
        const auto period_ns = static_cast<std::int64_t>(1e9 / rate);
        EXPECT_EQ(s.intended_ns(0), 0);
        for (std::uint64_t i = 1; i < 100000; ++i) {
            ASSERT_EQ(s.intended_ns(i) - s.intended_ns(i - 1), period_ns)
                << "rate " << rate << " i " << i;
        }
    }
}

TEST(OpenLoopSchedule, NonIntegralPeriodsStayWithinOneNanosecond) {
    const open_loop_schedule s(3000.0);  // 333333.33 ns
    for (std::uint64_t i = 1; i < 100000; ++i) {
        const std::int64_t d = s.intended_ns(i) - s.intended_ns(i - 1);
        ASSERT_GE(d, 333333);
        ASSERT_LE(d, 333334);
    }
    EXPECT_EQ(s.intended_ns(3000), 1'000'000'000);  // no drift over a second
}

TEST(ZipfSampler, RankOneIsMostPopularAndProbabilitiesFollowPowerLaw) {
    const zipf_sampler z(1000, 1.0);
    EXPECT_NEAR(z.probability(0) / z.probability(1), 2.0, 1e-9);
    EXPECT_NEAR(z.probability(0) / z.probability(9), 10.0, 1e-9);
    EXPECT_EQ(z.sample(0.0), 0u);
    EXPECT_EQ(z.sample(0.999999999), 999u);
}

}  // namespace
}  // namespace fg::loadtest
