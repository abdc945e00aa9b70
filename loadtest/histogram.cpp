#include "loadtest/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace fg::loadtest {

namespace {
constexpr std::uint64_t sub_bucket_count = std::uint64_t{1} << histogram::sub_bucket_bits;
}

histogram::histogram() : counts_(bucket_index(value_max_us) + 1, 0) {}

std::size_t histogram::bucket_index(std::uint64_t value_us) {
    if (value_us < sub_bucket_count) return static_cast<std::size_t>(value_us);
    const int magnitude = 63 - std::countl_zero(value_us);  // >= sub_bucket_bits
    const int shift = magnitude - sub_bucket_bits;
    return static_cast<std::size_t>((std::uint64_t(shift + 1) << sub_bucket_bits) +
                                    ((value_us >> shift) - sub_bucket_count));
}

std::uint64_t histogram::bucket_middle(std::size_t index) {
    if (index < 2 * sub_bucket_count) return index;  // exact buckets
    const std::uint64_t shift = (index >> sub_bucket_bits) - 1;
    const std::uint64_t low = (sub_bucket_count + (index & (sub_bucket_count - 1))) << shift;
    return low + ((std::uint64_t{1} << shift) >> 1);
}

void histogram::record_n(std::uint64_t value_us, std::uint64_t n) {
    if (n == 0) return;
    value_us = std::min(value_us, value_max_us);
    counts_[bucket_index(value_us)] += n;
    count_ += n;
    min_ = std::min(min_, value_us);
    max_ = std::max(max_, value_us);
    const double v = static_cast<double>(value_us);
    sum_ += v * static_cast<double>(n);
    sum_squares_ += v * v * static_cast<double>(n);
}

void histogram::merge(const histogram& other) {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
    sum_ += other.sum_;
    sum_squares_ += other.sum_squares_;
}

double histogram::mean() const { return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_); }

double histogram::stddev() const {
    if (count_ == 0) return 0.0;
    const double m = mean();
    return std::sqrt(std::max(0.0, sum_squares_ / static_cast<double>(count_) - m * m));
}

std::uint64_t histogram::value_at_percentile(double percentile) const {
    if (count_ == 0) return 0;
    percentile = std::clamp(percentile, 0.0, 100.0);
    // Rank of the value wanted, 1-based: the smallest value with at least this many at or below.
    auto rank =
        static_cast<std::uint64_t>(std::ceil(percentile / 100.0 * static_cast<double>(count_)));
    rank = std::clamp<std::uint64_t>(rank, 1, count_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        seen += counts_[i];
        if (seen >= rank) return std::clamp(bucket_middle(i), min_, max_);
    }
    return max_;
}

std::uint64_t histogram::count_at_or_below(std::uint64_t value_us) const {
    const std::size_t last = bucket_index(std::min(value_us, value_max_us));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i <= last; ++i) seen += counts_[i];
    return seen;
}

}  // namespace fg::loadtest
