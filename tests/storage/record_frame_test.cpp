#include "storage/record_frame.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "log_test_support.hpp"
#include "storage/crc32c.hpp"

namespace fg::storage {
namespace {

TEST(RecordFrame, SizesAreHeaderPlusPayloadRoundedUpToEight) {
    EXPECT_EQ(frame_bytes(0), 24u);
    EXPECT_EQ(frame_bytes(1), 32u);
    EXPECT_EQ(frame_bytes(8), 32u);
    EXPECT_EQ(frame_bytes(9), 40u);
    EXPECT_EQ(frame_bytes(256), 280u);
}

TEST(RecordFrame, EncodeThenDecodeGivesSameRecord) {
    for (std::size_t len : {0u, 1u, 7u, 8u, 9u, 100u, 1000u}) {
        const auto payload = test::make_payload(len, len);
        std::vector<std::byte> buf(frame_bytes(len) + 16, std::byte{0xEE});
        const std::uint32_t n = encode_frame(buf, 4096, 7, payload);
        ASSERT_EQ(n, frame_bytes(len));
        const frame_view f = decode_frame(buf, 4096);
        ASSERT_EQ(f.status, frame_status::ok) << to_string(f.status);
        EXPECT_EQ(f.frame_len, n);
        EXPECT_EQ(f.type, 7);
        EXPECT_EQ(f.lsn, 4096u);
        ASSERT_EQ(f.payload.size(), len);
        EXPECT_TRUE(std::equal(f.payload.begin(), f.payload.end(), payload.begin()));
        for (std::size_t i = 24 + len; i < n; ++i)
            EXPECT_EQ(buf[i], std::byte{0}) << "padding " << i;
    }
}

TEST(RecordFrame, LayoutIsLittleEndianAtDocumentedOffsets) {
    const auto payload = test::make_payload(1, 5);
    std::vector<std::byte> buf(frame_bytes(5));
    encode_frame(buf, 0x0102030405060708ull, 0x0A0B, payload);
    std::uint32_t frame_len = 0, crc = 0, payload_len = 0;
    std::uint64_t lsn = 0;
    std::uint16_t type = 0, reserved = 1;
    std::memcpy(&frame_len, &buf[0], 4);
    std::memcpy(&crc, &buf[4], 4);
    std::memcpy(&lsn, &buf[8], 8);
    std::memcpy(&type, &buf[16], 2);
    std::memcpy(&reserved, &buf[18], 2);
    std::memcpy(&payload_len, &buf[20], 4);
    EXPECT_EQ(frame_len, 32u);
    EXPECT_EQ(lsn, 0x0102030405060708ull);
    EXPECT_EQ(type, 0x0A0B);
    EXPECT_EQ(reserved, 0);
    EXPECT_EQ(payload_len, 5u);
    EXPECT_EQ(crc, crc32c({buf.data() + 8, 24 + 5 - 8}));
}

TEST(RecordFrame, ZeroLengthDecodesAsEnd) {
    std::vector<std::byte> buf(64);
    EXPECT_EQ(decode_frame(buf, 0).status, frame_status::end);
    EXPECT_EQ(decode_frame({}, 0).status, frame_status::end);
}

TEST(RecordFrame, EveryFlippedBitIsRejected) {
    const auto payload = test::make_payload(3, 20);
    std::vector<std::byte> good(frame_bytes(20));
    encode_frame(good, 800, 2, payload);
    // Every bit of the header and payload; the padding is not covered (and not meaningful).
    for (std::size_t bit = 0; bit < (24 + 20) * 8; ++bit) {
        std::vector<std::byte> bad = good;
        bad[bit / 8] ^= static_cast<std::byte>(1u << (bit % 8));
        const frame_view f = decode_frame(bad, 0);
        EXPECT_NE(f.status, frame_status::ok) << "bit " << bit;
    }
}

TEST(RecordFrame, ShortBufferIsTruncatedNotRead) {
    const auto payload = test::make_payload(4, 100);
    std::vector<std::byte> buf(frame_bytes(100));
    encode_frame(buf, 8, 1, payload);
    for (std::size_t keep : {4u, 23u, 24u, 60u, 127u}) {
        EXPECT_EQ(decode_frame({buf.data(), keep}, 0).status, frame_status::truncated) << keep;
    }
}

TEST(RecordFrame, TypeZeroAndSmallLsnAreRejected) {
    std::vector<std::byte> buf(frame_bytes(4));
    encode_frame(buf, 100, 0, test::make_payload(1, 4));
    EXPECT_EQ(decode_frame(buf, 0).status, frame_status::bad_type);
    encode_frame(buf, 100, 1, test::make_payload(1, 4));
    EXPECT_EQ(decode_frame(buf, 101).status, frame_status::bad_lsn);
    EXPECT_EQ(decode_frame(buf, 100).status, frame_status::ok);
}

TEST(RecordFrame, ImpossibleLengthIsRejected) {
    std::vector<std::byte> buf(frame_bytes(16));
    encode_frame(buf, 8, 1, test::make_payload(1, 16));
    const std::uint32_t wrong = 48;  // multiple of 8 but not align8(24 + 16)
    std::memcpy(buf.data(), &wrong, 4);
    EXPECT_EQ(decode_frame(buf, 0).status, frame_status::bad_length);
    const std::uint32_t odd = 41;
    std::memcpy(buf.data(), &odd, 4);
    EXPECT_EQ(decode_frame(buf, 0).status, frame_status::bad_length);
}

}  // namespace
}  // namespace fg::storage
