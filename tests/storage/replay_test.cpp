// Recovery at open(): torn tails are cut, corruption elsewhere stops start-up with the file and
// offset, and the log keeps working after a cut. Files are damaged with plain file I/O, the way
// a crash or a bad disk would leave them.

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <thread>
#include <vector>

#include "log_test_support.hpp"
#include "storage/commit_log.hpp"
#include "storage/record_frame.hpp"

namespace fg::storage {
namespace {

using test::make_payload;
using test::open_log;
using test::replayed_record;
using test::temp_dir;

constexpr std::uint64_t header_bytes = 64;

log_options one_segment_options(const temp_dir& t) {
    return {.dir = t.log_dir(),
            .segment_bytes = 1u << 20,
            .ring_bytes = 64u << 10,
            .batch_bytes_max = 64u << 10};
}

// Appends `count` records of `payload_len` bytes (payload i = make_payload(i, len)), durably.
void write_records(const log_options& o, int count, std::size_t payload_len, int first = 0) {
    auto log = open_log(o);
    ASSERT_NE(log, nullptr);
    log->start();
    for (int i = first; i < first + count; ++i) {
        while (true) {
            const append_result r = log->append(1, make_payload(i, payload_len));
            ASSERT_NE(r.status, append_status::failed);
            if (r.status == append_status::ok) break;
            std::this_thread::yield();
        }
    }
    log->stop();
}

std::filesystem::path segment_path(const temp_dir& t, int index) {
    char name[32];
    std::snprintf(name, sizeof name, "%020d.seg", index);
    return t.log_dir() / name;
}

std::vector<std::byte> read_bytes(const std::filesystem::path& p, std::uint64_t offset,
                                  std::size_t n) {
    std::ifstream f(p, std::ios::binary);
    std::vector<std::byte> out(n);
    f.seekg(static_cast<std::streamoff>(offset));
    f.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(n));
    return out;
}

void write_bytes(const std::filesystem::path& p, std::uint64_t offset,
                 std::span<const std::byte> bytes) {
    std::fstream f(p, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(f.good()) << p;
}

void flip_bit(const std::filesystem::path& p, std::uint64_t offset, int bit) {
    auto b = read_bytes(p, offset, 1);
    b[0] ^= static_cast<std::byte>(1u << bit);
    write_bytes(p, offset, b);
}

// After a cut, the log must take new records and keep them across another reopen.
void expect_appends_survive_reopen(const log_options& o, std::size_t records_before) {
    write_records(o, 3, 40, 1000);
    std::vector<replayed_record> records;
    auto log = open_log(o, &records);
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(log->replayed().truncated_bytes, 0u);
    ASSERT_EQ(records.size(), records_before + 3);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(records[records_before + i].payload, make_payload(1000 + i, 40));
    }
}

TEST(Replay, TornLastRecordCutAtAnyOffsetIsTruncatedAndEarlierRecordsKept) {
    constexpr int count = 10;
    constexpr std::size_t payload_len = 100;
    const std::uint64_t frame = frame_bytes(payload_len);
    const std::uint64_t last_offset = header_bytes + (count - 1) * frame;
    for (std::uint64_t keep : {1u, 4u, 8u, 12u, 20u, 24u, 40u, 100u, 123u, 127u}) {
        SCOPED_TRACE("bytes of the last record kept: " + std::to_string(keep));
        temp_dir t;
        const log_options o = one_segment_options(t);
        write_records(o, count, payload_len);
        std::filesystem::resize_file(segment_path(t, 0), last_offset + keep);  // torn write
        std::vector<replayed_record> records;
        auto log = open_log(o, &records);
        ASSERT_NE(log, nullptr);
        ASSERT_EQ(records.size(), std::size_t(count - 1));
        for (int i = 0; i < count - 1; ++i) EXPECT_EQ(records[i].payload, make_payload(i, 100));
        EXPECT_GT(log->replayed().truncated_bytes, 0u);
        EXPECT_LE(log->replayed().truncated_bytes, keep);
        EXPECT_EQ(std::filesystem::file_size(segment_path(t, 0)), o.segment_bytes);  // restored
        log.reset();
        expect_appends_survive_reopen(o, count - 1);
    }
}

TEST(Replay, RandomBytesOverTheLastRecordAreCut) {
    std::mt19937_64 rng(test::test_seed());
    constexpr int count = 10;
    const std::uint64_t frame = frame_bytes(100);
    const std::uint64_t last_offset = header_bytes + (count - 1) * frame;
    for (int round = 0; round < 12; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        temp_dir t;
        const log_options o = one_segment_options(t);
        write_records(o, count, 100);
        // Start inside the CRC-covered part of the last record and run past its end.
        const std::uint64_t start = last_offset + rng() % (24 + 100);
        std::vector<std::byte> garbage(1 + rng() % 600);
        for (auto& b : garbage) b = static_cast<std::byte>(rng());
        garbage[0] = read_bytes(segment_path(t, 0), start, 1)[0] ^ std::byte{0x5A};  // differs
        garbage.back() |= std::byte{1};  // the damage ends on a non-zero byte
        write_bytes(segment_path(t, 0), start, garbage);
        // What a cut must zero: from the last record to the last non-zero byte after it.
        const auto before = read_bytes(segment_path(t, 0), last_offset, 2048);
        std::uint64_t damaged = before.size();
        while (damaged > 0 && before[damaged - 1] == std::byte{0}) --damaged;
        std::vector<replayed_record> records;
        auto log = open_log(o, &records);
        ASSERT_NE(log, nullptr);
        ASSERT_EQ(records.size(), std::size_t(count - 1));
        EXPECT_EQ(log->replayed().truncated_bytes, damaged);
        EXPECT_GE(damaged, start + garbage.size() - last_offset);
        log.reset();
        // The cut bytes are zero on disk again.
        const auto tail = read_bytes(segment_path(t, 0), last_offset, 1024);
        EXPECT_TRUE(
            std::all_of(tail.begin(), tail.end(), [](std::byte b) { return b == std::byte{0}; }));
        expect_appends_survive_reopen(o, count - 1);
    }
}

TEST(Replay, GarbageAfterTheLastRecordIsCutAndEveryRecordKept) {
    temp_dir t;
    const log_options o = one_segment_options(t);
    write_records(o, 5, 64);
    const std::uint64_t end = header_bytes + 5 * frame_bytes(64);
    const std::vector<std::byte> garbage(37, std::byte{0xAB});
    write_bytes(segment_path(t, 0), end + 16, garbage);
    std::vector<replayed_record> records;
    auto log = open_log(o, &records);
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(records.size(), 5u);
    EXPECT_EQ(log->replayed().truncated_bytes, 16u + 37u);
    log.reset();
    expect_appends_survive_reopen(o, 5);
}

TEST(Replay, FlippedBitInEarlierSegmentFailsOpenNamingFileAndOffset) {
    temp_dir t;
    log_options o = one_segment_options(t);
    o.segment_bytes = 64u << 10;
    write_records(o, 1000, 200);
    ASSERT_GE(test::segment_files(t.log_dir()).size(), 3u);
    const std::uint64_t bad_offset = header_bytes + 3 * frame_bytes(200);
    flip_bit(segment_path(t, 0), bad_offset + 24 + 50, 3);  // inside record 3's payload
    std::string error;
    std::vector<replayed_record> records;
    auto log = commit_log::open(o, test::collect_into(records), error);
    EXPECT_EQ(log, nullptr);
    EXPECT_NE(error.find("00000000000000000000.seg"), std::string::npos) << error;
    EXPECT_NE(error.find("offset " + std::to_string(bad_offset)), std::string::npos) << error;
}

TEST(Replay, ZeroedLengthInEarlierSegmentFailsOpen) {
    temp_dir t;
    log_options o = one_segment_options(t);
    o.segment_bytes = 64u << 10;
    write_records(o, 1000, 200);
    const std::uint64_t bad_offset = header_bytes + 7 * frame_bytes(200);
    write_bytes(segment_path(t, 1), bad_offset, std::vector<std::byte>(4));
    std::string error;
    std::vector<replayed_record> records;
    EXPECT_EQ(commit_log::open(o, test::collect_into(records), error), nullptr);
    EXPECT_NE(error.find("00000000000000000001.seg at byte offset " + std::to_string(bad_offset)),
              std::string::npos)
        << error;
}

TEST(Replay, BadRecordFollowedByRecordsBeyondOneBatchFailsOpen) {
    // Only the last batch can be partly on disk: a valid record more than batch_bytes_max past
    // a bad one was acknowledged after it, so the bad one is corruption, not a torn tail.
    temp_dir t;
    log_options o = one_segment_options(t);
    o.batch_bytes_max = 4096;
    write_records(o, 200, 100);
    flip_bit(segment_path(t, 0), header_bytes + 24 + 10, 0);  // record 0's payload
    std::string error;
    std::vector<replayed_record> records;
    EXPECT_EQ(commit_log::open(o, test::collect_into(records), error), nullptr);
    EXPECT_NE(error.find("00000000000000000000.seg at byte offset 64"), std::string::npos) << error;
    EXPECT_NE(error.find("valid record follows"), std::string::npos) << error;
}

TEST(Replay, LastSegmentWithBadHeaderAndNoRecordsIsDiscarded) {
    temp_dir t;
    const log_options o = one_segment_options(t);
    write_records(o, 4, 32);
    {
        std::ofstream f(segment_path(t, 1), std::ios::binary);  // a crash mid-creation
        const std::vector<char> junk(4096, 0);
        f.write("FGLOG00", 7);
        f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
    std::vector<replayed_record> records;
    auto log = open_log(o, &records);
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(records.size(), 4u);
    EXPECT_FALSE(std::filesystem::exists(segment_path(t, 1)));
    log.reset();
    expect_appends_survive_reopen(o, 4);
}

TEST(Replay, BadHeaderOfEarlierSegmentFailsOpen) {
    temp_dir t;
    log_options o = one_segment_options(t);
    o.segment_bytes = 64u << 10;
    write_records(o, 1000, 200);
    flip_bit(segment_path(t, 0), 20, 1);  // inside the header's segment index
    std::string error;
    std::vector<replayed_record> records;
    EXPECT_EQ(commit_log::open(o, test::collect_into(records), error), nullptr);
    EXPECT_NE(error.find("bad segment header in"), std::string::npos) << error;
    EXPECT_NE(error.find("00000000000000000000.seg"), std::string::npos) << error;
}

TEST(Replay, MissingSegmentInTheMiddleFailsOpen) {
    temp_dir t;
    log_options o = one_segment_options(t);
    o.segment_bytes = 64u << 10;
    write_records(o, 1000, 200);
    std::filesystem::remove(segment_path(t, 1));
    std::string error;
    std::vector<replayed_record> records;
    EXPECT_EQ(commit_log::open(o, test::collect_into(records), error), nullptr);
    EXPECT_NE(error.find("missing log segment"), std::string::npos) << error;
}

TEST(Replay, FilesThatAreNotSegmentsAreIgnored) {
    temp_dir t;
    const log_options o = one_segment_options(t);
    write_records(o, 3, 10);
    std::ofstream(t.log_dir() / "README.txt") << "not a segment";
    std::ofstream(t.log_dir() / "00000000000000000001.seg.tmp") << "left by a crash";
    std::vector<replayed_record> records;
    auto log = open_log(o, &records);
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(records.size(), 3u);
}

TEST(Replay, RefusedRecordFailsOpenNamingSegmentAndOffset) {
    temp_dir t;
    const log_options o = one_segment_options(t);
    write_records(o, 5, 16);
    std::string error;
    int seen = 0;
    auto log = commit_log::open(
        o,
        [&](std::uint16_t, std::uint64_t, std::span<const std::byte>) {
            if (++seen < 3) return true;
            error = "unknown SKU";  // the callback's own reason is kept after the position
            return false;
        },
        error);
    EXPECT_EQ(log, nullptr);
    const std::string where = (t.log_dir() / "00000000000000000000.seg").string() + ":" +
                              std::to_string(header_bytes + 2 * frame_bytes(16));
    EXPECT_EQ(error, "replay callback refused record at " + where + ": unknown SKU");
}

}  // namespace
}  // namespace fg::storage
