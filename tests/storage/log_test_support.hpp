#pragma once

// Helpers for the storage tests: a fresh temp directory per test, a bounded wait for
// durability signalled from on_durable (never a bare sleep), seeds, and replay into vectors.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/commit_log.hpp"

namespace fg::storage::test {

// Owns a directory made by mkdtemp under /tmp; removed with everything in it.
class temp_dir {
 public:
    temp_dir() {
        char tmpl[] = "/tmp/fg_storage_test.XXXXXX";
        const char* p = ::mkdtemp(tmpl);
        if (p == nullptr) std::abort();
        path_ = p;
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path log_dir() const { return path_ / "log"; }

 private:
    std::filesystem::path path_;
};

// The seed of a randomised test: FG_TEST_SEED if set (to reproduce), else fresh. Printed.
inline std::uint64_t test_seed() {
    std::uint64_t seed = 0;
    if (const char* s = std::getenv("FG_TEST_SEED")) {
        seed = std::strtoull(s, nullptr, 10);
    } else {
        seed =
            static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    }
    std::printf("seed: %llu (rerun with FG_TEST_SEED=%llu)\n",
                static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
    return seed;
}

// Signalled from on_durable; waits with a bound so a bug fails the test instead of hanging it.
class durable_waiter {
 public:
    void attach(commit_log& log) {
        log.set_on_durable([this] {
            std::lock_guard lock(mutex_);
            ++signals_;
            cv_.notify_all();
        });
    }
    bool wait_for(const commit_log& log, std::uint64_t pos,
                  std::chrono::milliseconds bound = std::chrono::seconds(30)) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, bound, [&] {
            return log.durable_pos() >= pos || log.failed();
        }) && !log.failed();
    }

 private:
    std::mutex mutex_;
    std::condition_variable cv_;
    std::uint64_t signals_ = 0;
};

struct replayed_record {
    std::uint16_t type;
    std::uint64_t lsn;
    std::vector<std::byte> payload;
};

inline replay_fn collect_into(std::vector<replayed_record>& out) {
    return [&out](std::uint16_t type, std::uint64_t lsn, std::span<const std::byte> payload) {
        out.push_back({type, lsn, {payload.begin(), payload.end()}});
        return true;
    };
}

inline std::unique_ptr<commit_log> open_log(const log_options& opts,
                                            std::vector<replayed_record>* out = nullptr) {
    std::vector<replayed_record> ignored;
    std::string error;
    auto log = commit_log::open(opts, collect_into(out ? *out : ignored), error);
    EXPECT_NE(log, nullptr) << error;
    return log;
}

// A payload whose bytes are a function of (tag, length): checkable after replay.
inline std::vector<std::byte> make_payload(std::uint64_t tag, std::size_t length) {
    std::vector<std::byte> p(length);
    std::uint64_t x = tag * 0x9E3779B97F4A7C15ull + length;
    for (std::size_t i = 0; i < length; ++i) {
        x ^= x >> 33;
        x *= 0xFF51AFD7ED558CCDull;
        p[i] = static_cast<std::byte>(x >> 56);
    }
    if (length >= sizeof tag) std::memcpy(p.data(), &tag, sizeof tag);
    return p;
}

inline std::vector<std::filesystem::path> segment_files(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> out;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.path().extension() == ".seg") out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace fg::storage::test
