#include "storage/crc32c.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string_view>
#include <vector>

#include "log_test_support.hpp"

namespace fg::storage {
namespace {

std::span<const std::byte> bytes_of(std::string_view s) { return std::as_bytes(std::span(s)); }

TEST(Crc32c, CheckStringGivesKnownValue) {
    EXPECT_EQ(crc32c(bytes_of("123456789")), 0xE3069283u);
    EXPECT_EQ(crc32c_extend_sw(0, bytes_of("123456789")), 0xE3069283u);
    if (crc32c_hw_available()) {
        EXPECT_EQ(crc32c_extend_hw(0, bytes_of("123456789")), 0xE3069283u);
    }
}

TEST(Crc32c, ThirtyTwoZeroBytesGiveKnownValue) {
    const std::vector<std::byte> zeros(32);
    EXPECT_EQ(crc32c(zeros), 0x8A9136AAu);
    EXPECT_EQ(crc32c_extend_sw(0, zeros), 0x8A9136AAu);
}

TEST(Crc32c, EmptyInputGivesZero) { EXPECT_EQ(crc32c({}), 0u); }

TEST(Crc32c, ExtendInPiecesEqualsWholeBuffer) {
    const std::string_view s = "the quick brown fox jumps over the lazy dog";
    for (std::size_t cut = 0; cut <= s.size(); ++cut) {
        EXPECT_EQ(crc32c_extend(crc32c(bytes_of(s.substr(0, cut))), bytes_of(s.substr(cut))),
                  crc32c(bytes_of(s)))
            << "cut " << cut;
    }
}

TEST(Crc32c, HardwareAndSoftwareAgreeOnRandomData) {
    if (!crc32c_hw_available()) GTEST_SKIP() << "no SSE4.2 on this CPU";
    std::mt19937_64 rng(test::test_seed());
    std::vector<std::byte> buf(4096 + 7);
    for (int round = 0; round < 2000; ++round) {
        const std::size_t len = rng() % buf.size();
        const std::size_t start = rng() % (buf.size() - len + 1);  // unaligned starts too
        for (auto& b : buf) b = static_cast<std::byte>(rng());
        const std::uint32_t seed_crc = static_cast<std::uint32_t>(rng());
        const std::span<const std::byte> piece(buf.data() + start, len);
        ASSERT_EQ(crc32c_extend_hw(seed_crc, piece), crc32c_extend_sw(seed_crc, piece))
            << "round " << round << " len " << len << " start " << start;
    }
}

}  // namespace
}  // namespace fg::storage
