// Payloads handed out by a replay that keeps its mappings stay readable, byte for byte, after
// the call returns, after the log is closed and after the files are deleted (segment retention
// and snapshot pruning unlink files that a started gateway still points into).

#include "storage/kept_mappings.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <span>
#include <thread>
#include <vector>

#include "log_test_support.hpp"
#include "storage/commit_log.hpp"
#include "storage/snapshot.hpp"

namespace fg::storage {
namespace {

using test::make_payload;
using test::temp_dir;

void write_log(const log_options& o, int count) {
    std::string error;
    auto log = commit_log::open(
        o, [](std::uint16_t, std::uint64_t, std::span<const std::byte>) { return true; }, error);
    ASSERT_NE(log, nullptr) << error;
    log->start();
    for (int i = 0; i < count; ++i) {
        while (log->append(3, make_payload(i, 100 + i % 300)).status == append_status::full) {
            std::this_thread::yield();
        }
    }
    log->stop();
}

TEST(KeptMappings, LogPayloadsOutliveOpenTheLogAndTheirDeletedSegments) {
    temp_dir t;
    const log_options o{.dir = t.log_dir(),
                        .segment_bytes = 64u << 10,
                        .ring_bytes = 64u << 10,
                        .batch_bytes_max = 16u << 10};
    constexpr int count = 2000;
    write_log(o, count);
    const auto files = test::segment_files(t.log_dir());
    ASSERT_GE(files.size(), 5u);

    kept_mappings kept;
    std::vector<std::span<const std::byte>> seen;
    {
        log_options with_keep = o;
        with_keep.keep = &kept;
        std::string error;
        auto log = commit_log::open(
            with_keep,
            [&](std::uint16_t, std::uint64_t, std::span<const std::byte> payload) {
                seen.push_back(payload);
                return true;
            },
            error);
        ASSERT_NE(log, nullptr) << error;
    }
    EXPECT_EQ(kept.files(), files.size());
    EXPECT_GE(kept.bytes(), files.size() * (64u << 10));
    for (const auto& f : files) std::filesystem::remove(f);

    ASSERT_EQ(seen.size(), std::size_t{count});
    for (int i = 0; i < count; ++i) {
        const auto want = make_payload(i, 100 + i % 300);
        ASSERT_EQ(std::vector<std::byte>(seen[i].begin(), seen[i].end()), want) << "record " << i;
    }
}

TEST(KeptMappings, WithoutKeepNothingIsHeld) {
    temp_dir t;
    const log_options o{.dir = t.log_dir(), .segment_bytes = 64u << 10};
    write_log(o, 100);
    kept_mappings kept;  // not given to open()
    std::string error;
    auto log = commit_log::open(
        o, [](std::uint16_t, std::uint64_t, std::span<const std::byte>) { return true; }, error);
    ASSERT_NE(log, nullptr) << error;
    EXPECT_EQ(kept.files(), 0u);
}

TEST(KeptMappings, SnapshotPayloadsOutliveTheLoadAndThePrunedFile) {
    temp_dir dir;
    std::string error;
    auto w = snapshot_writer::create(dir.path(), 77, error);
    ASSERT_NE(w, nullptr) << error;
    for (int i = 0; i < 300; ++i) ASSERT_TRUE(w->add(2, make_payload(i, 50 + i), error)) << error;
    ASSERT_TRUE(w->commit(error)) << error;

    kept_mappings kept;
    std::vector<std::span<const std::byte>> seen;
    std::uint64_t pos = 0, records = 0;
    ASSERT_EQ(load_snapshot(
                  w->path(),
                  [&](std::uint16_t, std::uint64_t, std::span<const std::byte> payload) {
                      seen.push_back(payload);
                      return true;
                  },
                  pos, records, error, &kept),
              snapshot_load::ok)
        << error;
    EXPECT_EQ(kept.files(), 1u);
    std::filesystem::remove(w->path());
    ASSERT_EQ(seen.size(), 300u);
    for (int i = 0; i < 300; ++i) {
        ASSERT_EQ(std::vector<std::byte>(seen[i].begin(), seen[i].end()), make_payload(i, 50 + i))
            << "record " << i;
    }
}

TEST(KeptMappings, AnInvalidSnapshotIsNotKept) {
    temp_dir dir;
    std::string error;
    auto w = snapshot_writer::create(dir.path(), 5, error);
    ASSERT_NE(w, nullptr) << error;
    ASSERT_TRUE(w->add(2, make_payload(1, 40), error)) << error;
    ASSERT_TRUE(w->commit(error)) << error;
    std::filesystem::resize_file(w->path(), std::filesystem::file_size(w->path()) - 1);

    kept_mappings kept;
    std::uint64_t pos = 0, records = 0;
    EXPECT_EQ(load_snapshot(
                  w->path(),
                  [](std::uint16_t, std::uint64_t, std::span<const std::byte>) { return true; },
                  pos, records, error, &kept),
              snapshot_load::invalid);
    EXPECT_EQ(kept.files(), 0u);
}

}  // namespace
}  // namespace fg::storage
