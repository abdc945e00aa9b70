#include "loadtest/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace fg::loadtest {
namespace {

double exact_percentile(const std::vector<std::uint64_t>& sorted, double p) {
    auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
    rank = std::clamp<std::size_t>(rank, 1, sorted.size());
    return static_cast<double>(sorted[rank - 1]);
}

TEST(Histogram, PercentilesWithinOnePercentOfSortedArray) {
    const std::uint64_t seed = std::random_device{}();
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    // Log-uniform from 1 us to 60 s: every magnitude the histogram must cover.
    std::uniform_real_distribution<double> exponent(0.0, std::log(60e6));
    histogram h;
    std::vector<std::uint64_t> values;
    for (int i = 0; i < 200000; ++i) {
        const auto v = static_cast<std::uint64_t>(std::exp(exponent(rng)));
        values.push_back(v);
        h.record(v);
    }
    std::sort(values.begin(), values.end());
    for (const double p : {0.0, 1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
        const double want = exact_percentile(values, p);
        const double got = static_cast<double>(h.value_at_percentile(p));
        EXPECT_LE(std::abs(got - want), want * 0.01) << "p" << p;
    }
    EXPECT_EQ(h.max(), values.back());
    EXPECT_EQ(h.min(), values.front());
    EXPECT_EQ(h.count(), values.size());
}

TEST(Histogram, SmallValuesAreExact) {
    histogram h;
    for (std::uint64_t v = 0; v < 256; ++v) h.record(v);
    EXPECT_EQ(h.value_at_percentile(50), 127u);
    EXPECT_EQ(h.value_at_percentile(100), 255u);
}

TEST(Histogram, BucketIndexIsMonotonicAndMiddleStaysInItsBucket) {
    std::size_t last = 0;
    for (std::uint64_t v = 1; v < 70'000'000; v = v + 1 + v / 97) {
        const std::size_t i = histogram::bucket_index(v);
        EXPECT_GE(i, last);
        EXPECT_EQ(histogram::bucket_index(histogram::bucket_middle(i)), i) << v;
        last = i;
    }
}

TEST(Histogram, MergeAddsCounts) {
    histogram a, b;
    a.record_n(100, 3);
    b.record(5000);
    a.merge(b);
    EXPECT_EQ(a.count(), 4u);
    EXPECT_EQ(a.max(), 5000u);
    EXPECT_EQ(a.value_at_percentile(75), 100u);
}

TEST(Histogram, ClampsBeyondTheRange) {
    histogram h;
    h.record(UINT64_MAX);
    EXPECT_EQ(h.max(), histogram::value_max_us);
}

}  // namespace
}  // namespace fg::loadtest
