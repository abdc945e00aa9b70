#include "storage/commit_log.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "log_test_support.hpp"
#include "storage/detail/segment_file.hpp"
#include "storage/record_frame.hpp"

namespace fg::storage {
namespace {

using test::durable_waiter;
using test::make_payload;
using test::open_log;
using test::replayed_record;
using test::temp_dir;

log_options small_options(const temp_dir& t) {
    return {.dir = t.log_dir(),
            .segment_bytes = 1u << 20,
            .ring_bytes = 64u << 10,
            .batch_bytes_max = 16u << 10};
}

// Appends, retrying while the ring is full (the writer frees it as batches become durable).
append_result append_retrying(commit_log& log, std::uint16_t type,
                              std::span<const std::byte> payload) {
    while (true) {
        const append_result r = log.append(type, payload);
        if (r.status != append_status::full) return r;
        std::this_thread::yield();
    }
}

TEST(CommitLog, OpenOnMissingDirectoryCreatesFirstSegment) {
    temp_dir t;
    auto log = open_log(small_options(t));
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(log->replayed().records, 0u);
    EXPECT_EQ(test::segment_files(t.log_dir()).size(), 1u);
    EXPECT_EQ(std::filesystem::file_size(test::segment_files(t.log_dir())[0]), 1u << 20);
}

TEST(CommitLog, InvalidOptionsAreRefusedWithAMessage) {
    temp_dir t;
    std::string error;
    log_options o = small_options(t);
    o.ring_bytes = 5000;  // not a power of two
    EXPECT_EQ(commit_log::open(o, nullptr, error), nullptr);
    EXPECT_NE(error.find("ring_bytes"), std::string::npos) << error;
}

TEST(CommitLog, AppendFromFourThreadsThenReopenReplaysEveryRecordInLsnOrder) {
    temp_dir t;
    constexpr int threads = 4;
    constexpr int per_thread = 5000;
    {
        auto log = open_log(small_options(t));
        ASSERT_NE(log, nullptr);
        log->start();
        std::vector<std::thread> workers;
        std::atomic<int> failures{0};
        for (int w = 0; w < threads; ++w) {
            workers.emplace_back([&, w] {
                std::uint64_t last_end = 0;
                for (int i = 0; i < per_thread; ++i) {
                    const std::uint64_t tag = (std::uint64_t(w) << 32) | std::uint64_t(i);
                    const auto payload = make_payload(tag, 8 + (i * 37 + w) % 300);
                    const append_result r =
                        append_retrying(*log, static_cast<std::uint16_t>(1 + w), payload);
                    if (r.status != append_status::ok || r.end_pos <= last_end) ++failures;
                    last_end = r.end_pos;
                }
            });
        }
        for (auto& w : workers) w.join();
        EXPECT_EQ(failures.load(), 0);
        log->stop();
        EXPECT_EQ(log->stats().records, std::uint64_t(threads) * per_thread);
        EXPECT_GE(log->durable_pos(), log->stats().bytes);
    }
    std::vector<replayed_record> records;
    auto log = open_log(small_options(t), &records);
    ASSERT_NE(log, nullptr);
    ASSERT_EQ(records.size(), std::size_t(threads) * per_thread);
    std::vector<int> next(threads, 0);
    for (std::size_t k = 0; k < records.size(); ++k) {
        const replayed_record& r = records[k];
        if (k > 0) {
            ASSERT_GT(r.lsn, records[k - 1].lsn);
        }
        const int w = r.type - 1;
        ASSERT_TRUE(w >= 0 && w < threads);
        const int i = next[w]++;  // each thread's records keep their order
        const std::uint64_t tag = (std::uint64_t(w) << 32) | std::uint64_t(i);
        ASSERT_EQ(r.payload, make_payload(tag, 8 + (i * 37 + w) % 300)) << "record " << k;
    }
    EXPECT_EQ(log->replayed().records, records.size());
    EXPECT_EQ(log->replayed().last_lsn, records.back().lsn);
}

TEST(CommitLog, DurablePosCoversRecordOnlyAfterItIsSynced) {
    temp_dir t;
    durable_waiter waiter;  // outlives the log: on_durable may run until it stops
    auto log = open_log(small_options(t));
    ASSERT_NE(log, nullptr);
    waiter.attach(*log);
    const auto payload = make_payload(42, 100);
    const append_result r = log->append(9, payload);
    ASSERT_EQ(r.status, append_status::ok);
    EXPECT_EQ(r.end_pos, r.lsn + frame_bytes(100));
    // No writer yet: nothing can have been synced.
    EXPECT_LT(log->durable_pos(), r.end_pos);
    EXPECT_EQ(log->stats().batches, 0u);
    log->start();
    ASSERT_TRUE(waiter.wait_for(*log, r.end_pos));
    const auto s = log->stats();
    EXPECT_GE(s.batches, 1u);
    EXPECT_EQ(s.records, 1u);
    EXPECT_GT(s.fsync_ns_total, 0u);
    // And it is in the file, right after the segment header.
    std::vector<replayed_record> seen;
    log->stop();
    log.reset();
    auto again = open_log(small_options(t), &seen);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].lsn, r.lsn);
    EXPECT_EQ(seen[0].type, 9);
    EXPECT_EQ(seen[0].payload, payload);
}

TEST(CommitLog, LoneRecordBecomesDurableWhileLogIsIdle) {
    temp_dir t;
    durable_waiter waiter;  // outlives the log: on_durable may run until it stops
    auto log = open_log(small_options(t));
    ASSERT_NE(log, nullptr);
    waiter.attach(*log);
    log->start();
    for (int i = 0; i < 20; ++i) {  // one at a time: each must be synced without company
        const append_result r = log->append(1, make_payload(i, 16));
        ASSERT_EQ(r.status, append_status::ok);
        ASSERT_TRUE(waiter.wait_for(*log, r.end_pos)) << "record " << i;
    }
    EXPECT_EQ(log->stats().batches, 20u);
}

TEST(CommitLog, SmallSegmentsRollAndReplayAcrossAllOfThem) {
    temp_dir t;
    log_options o = small_options(t);
    o.segment_bytes = 64u << 10;
    constexpr int count = 3000;
    {
        auto log = open_log(o);
        ASSERT_NE(log, nullptr);
        log->start();
        for (int i = 0; i < count; ++i) {
            ASSERT_EQ(append_retrying(*log, 3, make_payload(i, 200 + i % 200)).status,
                      append_status::ok);
        }
        log->stop();
    }
    const auto files = test::segment_files(t.log_dir());
    EXPECT_GE(files.size(), 10u);
    for (const auto& f : files) EXPECT_EQ(std::filesystem::file_size(f), 64u << 10) << f;
    std::vector<replayed_record> records;
    auto log = open_log(o, &records);
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(log->replayed().segments, files.size());
    ASSERT_EQ(records.size(), std::size_t(count));
    for (int i = 0; i < count; ++i) ASSERT_EQ(records[i].payload, make_payload(i, 200 + i % 200));
}

TEST(CommitLog, RingFullReturnsFullWithoutBlockingWhenWriterNotStarted) {
    temp_dir t;
    durable_waiter waiter;  // outlives the log: on_durable may run until it stops
    log_options o = small_options(t);
    o.ring_bytes = 4096;
    auto log = open_log(o);
    ASSERT_NE(log, nullptr);
    const auto payload = make_payload(1, 256);  // 280-byte frames
    int accepted = 0;
    while (log->append(1, payload).status == append_status::ok) ++accepted;
    EXPECT_EQ(accepted, 4096 / 280);
    EXPECT_EQ(log->append(1, payload).status, append_status::full);
    EXPECT_GE(log->stats().ring_used_bytes, 4096u - 280u);
    // Once the writer runs, the space comes back.
    waiter.attach(*log);
    log->start();
    const append_result r = append_retrying(*log, 1, payload);
    ASSERT_EQ(r.status, append_status::ok);
    ASSERT_TRUE(waiter.wait_for(*log, r.end_pos));
}

TEST(CommitLog, StopWithoutStartWritesEverythingAppended) {
    temp_dir t;
    {
        auto log = open_log(small_options(t));
        ASSERT_NE(log, nullptr);
        for (int i = 0; i < 10; ++i)
            ASSERT_EQ(log->append(2, make_payload(i, 50)).status, append_status::ok);
        log->stop();
        log->stop();  // idempotent
        EXPECT_EQ(log->stats().records, 10u);
    }
    std::vector<replayed_record> records;
    auto log = open_log(small_options(t), &records);
    EXPECT_EQ(records.size(), 10u);
}

TEST(CommitLog, LsnKeepsIncreasingAcrossReopens) {
    temp_dir t;
    std::uint64_t last_end = 0;
    std::uint64_t last_lsn = 0;
    for (int round = 0; round < 3; ++round) {
        std::vector<replayed_record> records;
        auto log = open_log(small_options(t), &records);
        ASSERT_NE(log, nullptr);
        ASSERT_EQ(records.size(), std::size_t(round) * 5);
        if (!records.empty()) {
            EXPECT_EQ(records.back().lsn, last_lsn);
        }
        EXPECT_GE(log->durable_pos(), last_end);
        log->start();
        for (int i = 0; i < 5; ++i) {
            const append_result r = log->append(1, make_payload(i, 30));
            ASSERT_EQ(r.status, append_status::ok);
            EXPECT_GE(r.lsn, last_end);
            if (round + i > 0) {
                EXPECT_GT(r.lsn, last_lsn);
            }
            last_end = r.end_pos;
            last_lsn = r.lsn;
        }
        log->stop();
    }
}

TEST(CommitLog, WrapAroundTheRingKeepsRecordsIntact) {
    temp_dir t;
    log_options o = small_options(t);
    o.ring_bytes = 4096;
    o.batch_bytes_max = 1024;
    std::uint64_t seed = test::test_seed();
    std::mt19937_64 rng(seed);
    std::vector<std::size_t> lengths;
    {
        auto log = open_log(o);
        ASSERT_NE(log, nullptr);
        log->start();
        for (int i = 0; i < 2000; ++i) {
            lengths.push_back(rng() % (log->max_payload_bytes() / 3));
            ASSERT_EQ(append_retrying(*log, 1, make_payload(i, lengths.back())).status,
                      append_status::ok);
        }
    }  // the destructor drains
    std::vector<replayed_record> records;
    auto log = open_log(o, &records);
    ASSERT_EQ(records.size(), lengths.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
        ASSERT_EQ(records[i].payload, make_payload(i, lengths[i])) << "record " << i;
    }
}

TEST(CommitLog, MaxPayloadFitsRingBatchAndSegment) {
    temp_dir t;
    durable_waiter waiter;  // outlives the log: on_durable may run until it stops
    log_options o = small_options(t);
    o.ring_bytes = 4096;
    auto log = open_log(o);
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(log->max_payload_bytes(), 2048u - 24u);
    const auto big = make_payload(7, log->max_payload_bytes());
    waiter.attach(*log);
    log->start();
    for (int i = 0; i < 5; ++i) {  // a full-size record wraps the ring every other time
        const append_result r = append_retrying(*log, 1, big);
        ASSERT_EQ(r.status, append_status::ok);
        ASSERT_TRUE(waiter.wait_for(*log, r.end_pos));
    }
}

// Makes writes past `bytes` into any file fail with EFBIG, for this process, until destroyed.
// A real write error through the real file layer, without a special file system.
class file_size_limit {
 public:
    explicit file_size_limit(rlim_t bytes) {
        ::getrlimit(RLIMIT_FSIZE, &saved_);
        old_handler_ = std::signal(SIGXFSZ, SIG_IGN);  // else the kernel kills us instead
        rlimit l = saved_;
        l.rlim_cur = bytes;
        ::setrlimit(RLIMIT_FSIZE, &l);
    }
    file_size_limit(const file_size_limit&) = delete;
    file_size_limit& operator=(const file_size_limit&) = delete;
    ~file_size_limit() {
        ::setrlimit(RLIMIT_FSIZE, &saved_);
        std::signal(SIGXFSZ, old_handler_);
    }

 private:
    rlimit saved_{};
    void (*old_handler_)(int) = nullptr;
};

TEST(CommitLog, WriteErrorFailsTheLogForGoodAndKeepsWhatWasDurable) {
    temp_dir t;
    durable_waiter waiter;  // outlives the log: on_durable may run until it stops
    log_options o = small_options(t);
    o.segment_bytes = 64u << 10;
    std::uint64_t durable_before_failure = 0;
    {
        auto log = open_log(o);
        ASSERT_NE(log, nullptr);
        waiter.attach(*log);
        log->start();
        file_size_limit limit(32u << 10);  // the segment's second half cannot be written
        append_result last{};
        bool failed = false;
        for (int i = 0; i < 1000 && !failed; ++i) {
            last = log->append(1, make_payload(i, 1000));
            ASSERT_NE(last.status, append_status::full);
            if (last.status == append_status::failed) break;
            failed = !waiter.wait_for(*log, last.end_pos);
        }
        ASSERT_TRUE(log->failed());
        EXPECT_LT(log->durable_pos(), last.end_pos);
        EXPECT_NE(log->failure_message().find("pwrite"), std::string::npos)
            << log->failure_message();
        EXPECT_NE(log->failure_message().find(t.log_dir().string()), std::string::npos);
        EXPECT_EQ(log->append(1, make_payload(1, 10)).status, append_status::failed);
        durable_before_failure = log->durable_pos();
        log->stop();  // joins a writer that already gave up
        EXPECT_EQ(log->durable_pos(), durable_before_failure);  // S6: nothing more, ever
    }
    std::vector<replayed_record> records;
    auto log = open_log(o, &records);
    ASSERT_NE(log, nullptr);
    ASSERT_FALSE(records.empty());
    EXPECT_LE(records.back().lsn + frame_bytes(records.back().payload.size()),
              durable_before_failure + frame_bytes(1000));
    for (std::size_t i = 0; i < records.size(); ++i) {
        EXPECT_EQ(records[i].payload, make_payload(i, 1000));
    }
}

// Death tests use the default "fast" style: the child forks at EXPECT_DEATH, so the temp dir
// belongs to the parent and is removed. No writer thread runs (start() is never called).
TEST(CommitLogDeathTest, AppendOfTypeZeroAbortsNamingInvariant) {
    temp_dir t;
    auto log = open_log(small_options(t));
    ASSERT_NE(log, nullptr);
    EXPECT_DEATH((void)log->append(0, make_payload(1, 8)), "S5");
}

TEST(CommitLogDeathTest, AppendOverMaxPayloadAbortsNamingInvariant) {
    temp_dir t;
    auto log = open_log(small_options(t));
    ASSERT_NE(log, nullptr);
    const auto big = make_payload(1, log->max_payload_bytes() + 1);
    EXPECT_DEATH((void)log->append(1, big), "S9");
}

}  // namespace
}  // namespace fg::storage
