#pragma once

// Helpers for the storage tests: a fresh temp directory per test, seeds, payloads.

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

}  // namespace fg::storage::test
