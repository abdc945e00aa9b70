#include "storage/log_tail.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "log_test_support.hpp"
#include "storage/commit_log.hpp"

namespace fg::storage {
namespace {

using test::temp_dir;

struct seen_record {
    std::uint16_t type;
    std::uint64_t lsn;
    std::uint64_t value;
};

std::vector<std::byte> payload_of(std::uint64_t value, std::size_t size) {
    std::vector<std::byte> p(std::max<std::size_t>(size, sizeof value));
    std::memcpy(p.data(), &value, sizeof value);
    return p;
}

replay_fn collect(std::vector<seen_record>& out) {
    return [&out](std::uint16_t type, std::uint64_t lsn, std::span<const std::byte> payload) {
        std::uint64_t v = 0;
        if (payload.size() >= sizeof v) std::memcpy(&v, payload.data(), sizeof v);
        out.push_back({type, lsn, v});
        return true;
    };
}

std::unique_ptr<commit_log> open_log(const temp_dir& dir, std::uint64_t segment_bytes) {
    std::string error;
    auto log = commit_log::open(
        {.dir = dir.log_dir(),
         .segment_bytes = segment_bytes,
         .ring_bytes = 64u << 10,
         .batch_bytes_max = 8u << 10},
        [](std::uint16_t, std::uint64_t, std::span<const std::byte>) { return true; }, error);
    EXPECT_NE(log, nullptr) << error;
    return log;
}

// Follows the log until `count` records arrived or the bound passed.
bool follow(log_tail& tail, const commit_log& log, std::vector<seen_record>& out, std::size_t count,
            std::string& error) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (out.size() < count && std::chrono::steady_clock::now() < end) {
        if (!tail.read(log.durable_pos(), collect(out), error)) return false;
        if (out.size() < count) std::this_thread::yield();
    }
    return out.size() == count;
}

TEST(LogTail, FollowsAppendsAcrossSegmentsWhileTheWriterRuns) {
    temp_dir dir;
    auto log = open_log(dir, 16u << 10);
    log->start();
    log_tail tail(dir.log_dir());
    tail_seek where;
    std::string error;
    ASSERT_TRUE(tail.seek(0, where, error)) << error;
    EXPECT_FALSE(where.gap);

    constexpr std::uint64_t count = 3000;
    std::vector<std::uint64_t> lsns(count);
    std::thread writer([&] {
        for (std::uint64_t i = 0; i < count; ++i) {
            const auto p = payload_of(i, 8 + (i * 37) % 300);
            append_result r;
            // The ring is small on purpose: a full ring is retried until the writer catches up.
            for (int tries = 0; tries < 1'000'000; ++tries) {
                r = log->append(static_cast<std::uint16_t>(1 + i % 3), p);
                if (r.status != append_status::full) break;
                std::this_thread::yield();
            }
            ASSERT_EQ(r.status, append_status::ok);
            lsns[i] = r.lsn;
        }
    });
    std::vector<seen_record> got;
    const bool ok = follow(tail, *log, got, count, error);
    writer.join();
    ASSERT_TRUE(ok) << error << " after " << got.size() << " records";
    for (std::uint64_t i = 0; i < count; ++i) {
        ASSERT_EQ(got[i].value, i);
        ASSERT_EQ(got[i].lsn, lsns[i]);
        ASSERT_EQ(got[i].type, 1 + i % 3);
    }
    EXPECT_GT(log->active_segment(), 2u);  // it did cross segments
    // Nothing more, however often it is asked.
    ASSERT_TRUE(tail.read(log->durable_pos(), collect(got), error)) << error;
    EXPECT_EQ(got.size(), count);
    log->stop();
}

TEST(LogTail, SeekToARecordOrInsideOneStartsAtTheNextWhole) {
    temp_dir dir;
    auto log = open_log(dir, 8u << 10);
    std::vector<std::uint64_t> lsns;
    for (std::uint64_t i = 0; i < 200; ++i) {
        const append_result r = log->append(1, payload_of(i, 100));
        ASSERT_EQ(r.status, append_status::ok);
        lsns.push_back(r.lsn);
    }
    log->stop();
    const std::uint64_t limit = log->durable_pos();
    for (std::size_t k : {std::size_t{0}, std::size_t{1}, std::size_t{77}, std::size_t{199}}) {
        for (std::uint64_t delta : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{8}}) {
            log_tail tail(dir.log_dir());
            tail_seek where;
            std::string error;
            ASSERT_TRUE(tail.seek(lsns[k] + delta, where, error)) << error;
            std::vector<seen_record> got;
            ASSERT_TRUE(tail.read(limit, collect(got), error)) << error;
            const std::size_t first = delta == 0 ? k : k + 1;
            ASSERT_EQ(got.size(), lsns.size() - first) << "k " << k << " delta " << delta;
            if (!got.empty()) {
                EXPECT_EQ(got.front().lsn, lsns[first]);
            }
            EXPECT_EQ(tail.position(), limit);
        }
    }
}

TEST(LogTail, ReadsInPiecesWhenAskedForFewerBytes) {
    temp_dir dir;
    auto log = open_log(dir, 8u << 10);
    for (std::uint64_t i = 0; i < 100; ++i)
        ASSERT_EQ(log->append(1, payload_of(i, 40)).status, append_status::ok);
    log->stop();
    log_tail tail(dir.log_dir());
    tail_seek where;
    std::string error;
    ASSERT_TRUE(tail.seek(0, where, error)) << error;
    std::vector<seen_record> got;
    int calls = 0;
    bool more = true;
    while (more && calls < 1000) {
        ASSERT_TRUE(tail.read(log->durable_pos(), collect(got), error, 640, &more)) << error;
        ++calls;
    }
    ASSERT_EQ(got.size(), 100u);
    for (std::uint64_t i = 0; i < 100; ++i) EXPECT_EQ(got[i].value, i);
    EXPECT_GE(calls, 10);
}

TEST(LogTail, StartsAtTheOldestSegmentLeftAndReportsTheGap) {
    temp_dir dir;
    auto log = open_log(dir, 8u << 10);
    log->start();
    std::vector<std::uint64_t> lsns;
    for (std::uint64_t i = 0; i < 400; ++i) {
        const append_result r = log->append(1, payload_of(i, 100));
        ASSERT_EQ(r.status, append_status::ok);
        lsns.push_back(r.lsn);
        // Keep the small ring from filling: wait for each 50th record to be durable.
        if (i % 50 == 49) {
            for (int t = 0; t < 100'000 && log->durable_pos() < r.end_pos; ++t) {
                std::this_thread::yield();
            }
        }
    }
    log->stop();
    ASSERT_GE(log->active_segment(), 3u);
    std::size_t removed = 0;
    std::string error;
    ASSERT_TRUE(
        remove_segments_before(dir.log_dir(), lsns[250], log->active_segment(), removed, error))
        << error;
    ASSERT_GT(removed, 0u);

    log_tail tail(dir.log_dir());
    tail_seek where;
    ASSERT_TRUE(tail.seek(lsns[3], where, error)) << error;
    EXPECT_TRUE(where.gap);
    std::vector<seen_record> got;
    ASSERT_TRUE(tail.read(log->durable_pos(), collect(got), error)) << error;
    ASSERT_FALSE(got.empty());
    EXPECT_EQ(got.front().lsn, where.first_pos);
    EXPECT_EQ(got.back().value, 399u);
    EXPECT_LE(got.front().value, 250u);

    // A position still on disk is no gap.
    log_tail later(dir.log_dir());
    ASSERT_TRUE(later.seek(lsns[300], where, error)) << error;
    EXPECT_FALSE(where.gap);
    got.clear();
    ASSERT_TRUE(later.read(log->durable_pos(), collect(got), error)) << error;
    ASSERT_EQ(got.size(), 100u);
    EXPECT_EQ(got.front().value, 300u);
}

TEST(LogTail, NeverHandsOutARecordAtOrAboveTheLimit) {
    temp_dir dir;
    auto log = open_log(dir, 8u << 10);
    std::vector<append_result> rs;
    for (std::uint64_t i = 0; i < 10; ++i) rs.push_back(log->append(1, payload_of(i, 16)));
    log->stop();
    log_tail tail(dir.log_dir());
    tail_seek where;
    std::string error;
    ASSERT_TRUE(tail.seek(0, where, error)) << error;
    std::vector<seen_record> got;
    ASSERT_TRUE(tail.read(rs[4].end_pos - 1, collect(got), error)) << error;
    EXPECT_EQ(got.size(), 4u);
    ASSERT_TRUE(tail.read(rs[4].end_pos, collect(got), error)) << error;
    EXPECT_EQ(got.size(), 5u);
    ASSERT_TRUE(tail.read(log->durable_pos(), collect(got), error)) << error;
    EXPECT_EQ(got.size(), 10u);
}

TEST(LogTail, ACorruptRecordInASealedSegmentIsAnError) {
    temp_dir dir;
    auto log = open_log(dir, 8u << 10);
    for (std::uint64_t i = 0; i < 200; ++i) {
        ASSERT_EQ(log->append(1, payload_of(i, 100)).status, append_status::ok);
    }
    log->stop();
    {
        // Flip a payload byte of the first record of segment 0.
        std::FILE* f = std::fopen((dir.log_dir() / "00000000000000000000.seg").c_str(), "r+b");
        ASSERT_NE(f, nullptr);
        std::fseek(f, 64 + 30, SEEK_SET);
        std::fputc(0x5a, f);
        std::fclose(f);
    }
    log_tail tail(dir.log_dir());
    tail_seek where;
    std::string error;
    ASSERT_TRUE(tail.seek(0, where, error)) << error;
    std::vector<seen_record> got;
    EXPECT_FALSE(tail.read(log->durable_pos(), collect(got), error));
    EXPECT_NE(error.find("corrupt log"), std::string::npos) << error;
    EXPECT_TRUE(got.empty());
}

}  // namespace
}  // namespace fg::storage
