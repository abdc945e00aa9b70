#pragma once

// A journal that keeps records in memory, for matching's unit tests: durability is a switch the
// test flips (sync_all), so a test can hold replies "in the fsync" and look at the state. The
// real log is exercised by tests/storage and tests/integration.

#include <atomic>
#include <mutex>
#include <vector>

#include "matching/journal.hpp"

namespace fg::matching::testing {

class memory_journal final : public journal {
 public:
    struct record {
        std::uint16_t type;
        std::vector<std::byte> payload;
    };

    append_ticket append(std::uint16_t type, std::span<const std::byte> payload) override {
        std::lock_guard lock(mu_);
        if (full_) return {append_status::full, 0};
        if (no_space_.load() || append_no_space_) return {append_status::no_space, 0};
        records_.push_back({type, {payload.begin(), payload.end()}});
        const auto end = static_cast<std::uint64_t>(records_.size());
        if (auto_sync_) durable_.store(end, std::memory_order_release);
        return {append_status::ok, end};
    }
    std::uint64_t durable_pos() const override { return durable_.load(std::memory_order_acquire); }
    bool failed() const override { return false; }
    bool no_space() const override { return no_space_.load(); }

    void set_auto_sync(bool on) { auto_sync_ = on; }
    void set_full(bool on) { full_ = on; }
    // A full disk: no_space() says so and append() refuses.
    void set_no_space(bool on) { no_space_.store(on); }
    // Only append() refuses: the disk filled between a shard's check and its append.
    void set_append_no_space(bool on) { append_no_space_ = on; }
    void sync_all() {
        std::lock_guard lock(mu_);
        durable_.store(records_.size(), std::memory_order_release);
    }
    std::vector<record> records() const {
        std::lock_guard lock(mu_);
        return records_;
    }

 private:
    mutable std::mutex mu_;
    std::vector<record> records_;
    std::atomic<std::uint64_t> durable_{0};
    bool auto_sync_ = true;
    bool full_ = false;
    std::atomic<bool> no_space_{false};
    bool append_no_space_ = false;
};

class manual_clock final : public clock {
 public:
    std::int64_t now_ms() const override { return now_.load(std::memory_order_relaxed); }
    void set(std::int64_t ms) { now_.store(ms, std::memory_order_relaxed); }

 private:
    std::atomic<std::int64_t> now_{1'800'000'000'000};
};

}  // namespace fg::matching::testing
