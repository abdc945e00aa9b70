// The commit log itself on a full file system (a real tmpfs): the roll to a new segment fails
// with ENOSPC, the writer keeps the batch and retries, appends are refused with no_space, and
// once space returns the pending records become durable with no restart. stop() during the
// full state returns instead of waiting for space, and leaves a log that replays cleanly.
// Needs root (mount); fails, on purpose, without it.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "gateway_process.hpp"
#include "storage/commit_log.hpp"
#include "tmpfs_mount.hpp"

namespace fg::testing {
namespace {

constexpr std::uint64_t segment_bytes = 64 * 1024;
constexpr std::size_t payload_bytes = 1000;

template <class Pred>
bool poll_until(Pred done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

std::vector<std::byte> payload_for(std::size_t i) {
    std::vector<std::byte> p(payload_bytes);
    for (std::size_t k = 0; k < p.size(); ++k) p[k] = static_cast<std::byte>((i * 31 + k) & 0xff);
    return p;
}

struct opened {
    std::unique_ptr<storage::commit_log> log;
    std::vector<std::vector<std::byte>> replayed;
    std::string error;
};

opened open_log(const std::filesystem::path& dir) {
    opened o;
    storage::log_options opts{.dir = dir,
                              .segment_bytes = segment_bytes,
                              .ring_bytes = 1u << 20,
                              .batch_bytes_max = 16 * 1024,
                              .no_space_retry_ms = 20};
    o.log = storage::commit_log::open(
        opts,
        [&o](std::uint16_t, std::uint64_t, std::span<const std::byte> p) {
            o.replayed.emplace_back(p.begin(), p.end());
            return true;
        },
        o.error);
    return o;
}

class log_no_space_test : public ::testing::Test {
 protected:
    void SetUp() override {
        mnt_ = std::make_unique<tmpfs_mount>(dir_.path() / "tmpfs", "1m");
        ASSERT_TRUE(mnt_->mounted()) << mnt_->error();
    }
    std::filesystem::path log_dir() const { return dir_.path() / "tmpfs" / "log"; }
    std::filesystem::path filler() const { return dir_.path() / "tmpfs" / "filler"; }

    // Appends records one at a time until one cannot become durable because the disk is full.
    // Returns the end position of that pending record; `appended` counts every ok append.
    std::uint64_t append_until_full(storage::commit_log& log, std::size_t& appended) {
        for (std::size_t i = 0; i < 1000; ++i) {
            const auto p = payload_for(appended);
            const storage::append_result r = log.append(1, p);
            EXPECT_EQ(r.status, storage::append_status::ok);
            if (r.status != storage::append_status::ok) return 0;
            ++appended;
            EXPECT_TRUE(poll_until([&] { return log.durable_pos() >= r.end_pos || log.no_space(); },
                                   std::chrono::seconds(10)));
            if (log.no_space()) return r.end_pos;
        }
        ADD_FAILURE() << "the disk never filled up";
        return 0;
    }

    // Destroyed in reverse: the tmpfs is unmounted before its directory goes.
    temp_dir dir_;
    std::unique_ptr<tmpfs_mount> mnt_;
};

TEST_F(log_no_space_test, FullDiskPausesTheWriterAndSpaceBackMakesPendingRecordsDurable) {
    opened o = open_log(log_dir());
    ASSERT_TRUE(o.log) << o.error;
    o.log->start();
    write_filler(filler(), free_bytes(dir_.path() / "tmpfs") - segment_bytes / 2);
    ASSERT_LT(free_bytes(dir_.path() / "tmpfs"), segment_bytes);

    std::size_t appended = 0;
    const std::uint64_t pending_end = append_until_full(*o.log, appended);
    ASSERT_GT(pending_end, 0u);
    // It keeps trying, and nothing about the pending record changes meanwhile.
    ASSERT_TRUE(
        poll_until([&] { return o.log->stats().no_space_events >= 3; }, std::chrono::seconds(10)));
    EXPECT_LT(o.log->durable_pos(), pending_end);
    EXPECT_FALSE(o.log->failed());
    EXPECT_EQ(o.log->append(1, payload_for(appended)).status, storage::append_status::no_space);

    std::filesystem::remove(filler());
    ASSERT_TRUE(
        poll_until([&] { return o.log->durable_pos() >= pending_end; }, std::chrono::seconds(10)))
        << "the pending record did not become durable after space returned";
    EXPECT_FALSE(o.log->no_space());
    const storage::append_result next = o.log->append(1, payload_for(appended));
    ASSERT_EQ(next.status, storage::append_status::ok);
    ++appended;
    ASSERT_TRUE(
        poll_until([&] { return o.log->durable_pos() >= next.end_pos; }, std::chrono::seconds(10)));
    o.log->stop();
    o.log.reset();

    opened again = open_log(log_dir());
    ASSERT_TRUE(again.log) << again.error;
    EXPECT_EQ(again.log->replayed().truncated_bytes, 0u);
    ASSERT_EQ(again.replayed.size(), appended);
    for (std::size_t i = 0; i < appended; ++i) EXPECT_EQ(again.replayed[i], payload_for(i)) << i;
}

TEST_F(log_no_space_test, StopWhileTheDiskIsFullReturnsAndTheLogReplaysWhatWasDurable) {
    opened o = open_log(log_dir());
    ASSERT_TRUE(o.log) << o.error;
    o.log->start();
    write_filler(filler(), free_bytes(dir_.path() / "tmpfs") - segment_bytes / 2);
    std::size_t appended = 0;
    const std::uint64_t pending_end = append_until_full(*o.log, appended);
    ASSERT_GT(pending_end, 0u);
    o.log->stop();  // must not wait for space: the pending record is given up, never acked
    EXPECT_LT(o.log->durable_pos(), pending_end);
    o.log.reset();
    for (const auto& e : std::filesystem::directory_iterator(log_dir())) {
        EXPECT_NE(e.path().extension(), ".tmp") << "a partial segment was left: " << e.path();
    }

    std::filesystem::remove(filler());
    opened again = open_log(log_dir());
    ASSERT_TRUE(again.log) << again.error;
    ASSERT_EQ(again.replayed.size(), appended - 1);  // all but the one that waited for space
    for (std::size_t i = 0; i + 1 < appended; ++i) EXPECT_EQ(again.replayed[i], payload_for(i));
    // And the log goes on: the next record rolls into a new segment.
    again.log->start();
    const storage::append_result r = again.log->append(1, payload_for(appended));
    ASSERT_EQ(r.status, storage::append_status::ok);
    ASSERT_TRUE(poll_until([&] { return again.log->durable_pos() >= r.end_pos; },
                           std::chrono::seconds(10)));
}

}  // namespace
}  // namespace fg::testing
