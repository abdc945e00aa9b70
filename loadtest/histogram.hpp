#pragma once

// A log-linear latency histogram in the manner of HdrHistogram: exact below 128 us, then 128
// linear sub-buckets per power of two, so any reported value is within 1/256 of a recorded one.

#include <cstdint>
#include <vector>

namespace fg::loadtest {

// Single-owner: one thread records; merge() combines histograms after the threads have joined.
class histogram {
 public:
    static constexpr int sub_bucket_bits = 7;
    // Values above this (about 19 hours in microseconds) are clamped to it.
    static constexpr std::uint64_t value_max_us = (std::uint64_t{1} << 36) - 1;

    histogram();

    void record(std::uint64_t value_us) { record_n(value_us, 1); }
    void record_n(std::uint64_t value_us, std::uint64_t n);
    void merge(const histogram& other);

    std::uint64_t count() const { return count_; }
    std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
    std::uint64_t max() const { return max_; }
    double mean() const;
    double stddev() const;
    // The value at or below which `percentile` (0..100) of the recorded values lie.
    std::uint64_t value_at_percentile(double percentile) const;
    // How many recorded values are at or below `value_us` (at bucket resolution).
    std::uint64_t count_at_or_below(std::uint64_t value_us) const;

    static std::size_t bucket_index(std::uint64_t value_us);
    // The representative (middle) value of a bucket, clamped into [min, max] by the caller.
    static std::uint64_t bucket_middle(std::size_t index);

 private:
    std::vector<std::uint64_t> counts_;
    std::uint64_t count_ = 0;
    std::uint64_t min_ = UINT64_MAX;
    std::uint64_t max_ = 0;
    double sum_ = 0;
    double sum_squares_ = 0;
};

}  // namespace fg::loadtest
