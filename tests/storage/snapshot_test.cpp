// Snapshot files (whole or refused, never half-loaded), and the log operations snapshots need:
// replay from a position, reading sealed segments, and deleting covered segments.

#include "storage/snapshot.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "log_test_support.hpp"
#include "storage/commit_log.hpp"
#include "storage/testing/fault_fs.hpp"

namespace fg::storage::test {
namespace {

std::vector<std::byte> read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> out(raw.size());
    std::memcpy(out.data(), raw.data(), raw.size());
    return out;
}

void write_file(const std::filesystem::path& p, std::span<const std::byte> bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
}

// Writes a committed snapshot at `pos` holding `count` records tagged from `tag0`.
std::filesystem::path write_snapshot(const std::filesystem::path& dir, std::uint64_t pos, int count,
                                     std::uint64_t tag0 = 0) {
    std::string error;
    auto w = snapshot_writer::create(dir, pos, error);
    EXPECT_NE(w, nullptr) << error;
    if (!w) return {};
    for (int i = 0; i < count; ++i) {
        const auto payload = make_payload(tag0 + static_cast<std::uint64_t>(i), 8 + (i * 37) % 300);
        EXPECT_TRUE(w->add(static_cast<std::uint16_t>(1 + i % 4), payload, error)) << error;
    }
    EXPECT_TRUE(w->commit(error)) << error;
    return w->path();
}

struct loaded {
    snapshot_load result;
    std::uint64_t pos = 0;
    std::uint64_t records = 0;
    std::vector<replayed_record> seen;
    std::string error;
};

loaded load(const std::filesystem::path& p) {
    loaded l;
    l.result = load_snapshot(p, collect_into(l.seen), l.pos, l.records, l.error);
    return l;
}

TEST(Snapshot, RoundTripsEveryRecordInOrder) {
    temp_dir dir;
    const auto path = write_snapshot(dir.path(), 123456, 500);
    std::vector<snapshot_file> found;
    std::string error;
    ASSERT_TRUE(list_snapshots(dir.path(), found, error)) << error;
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].path, path);
    EXPECT_EQ(found[0].log_pos, 123456u);

    const loaded l = load(path);
    ASSERT_EQ(l.result, snapshot_load::ok) << l.error;
    EXPECT_EQ(l.pos, 123456u);
    ASSERT_EQ(l.records, 500u);
    ASSERT_EQ(l.seen.size(), 500u);
    for (int i = 0; i < 500; ++i) {
        EXPECT_EQ(l.seen[i].type, 1 + i % 4);
        EXPECT_EQ(l.seen[i].payload,
                  make_payload(static_cast<std::uint64_t>(i), 8 + (i * 37) % 300));
    }
}

TEST(Snapshot, EmptyStateIsAValidSnapshot) {
    temp_dir dir;
    const loaded l = load(write_snapshot(dir.path(), 0, 0));
    ASSERT_EQ(l.result, snapshot_load::ok) << l.error;
    EXPECT_EQ(l.records, 0u);
    EXPECT_TRUE(l.seen.empty());
}

// A crash or a bad disk can leave any prefix of the file, or flip any bit: every such file is
// refused before a single record reaches the caller.
TEST(Snapshot, EveryTruncationAndEveryBitFlipIsRefusedWholesale) {
    temp_dir dir;
    const auto path = write_snapshot(dir.path(), 4096, 5);
    const std::vector<std::byte> good = read_file(path);
    ASSERT_GT(good.size(), 200u);
    const auto probe = dir.path() / "probe.snap";
    for (std::size_t cut = 0; cut < good.size(); ++cut) {
        write_file(probe, std::span(good).first(cut));
        const loaded l = load(probe);
        ASSERT_EQ(l.result, snapshot_load::invalid) << "cut at " << cut;
        ASSERT_TRUE(l.seen.empty()) << "cut at " << cut;
    }
    for (std::size_t at = 0; at < good.size(); ++at) {
        std::vector<std::byte> bad = good;
        bad[at] ^= std::byte{0x10};
        write_file(probe, bad);
        const loaded l = load(probe);
        // A flip in a frame's zero padding is outside every checksum and changes no record.
        if (l.result == snapshot_load::ok) {
            ASSERT_EQ(l.records, 5u);
            continue;
        }
        ASSERT_EQ(l.result, snapshot_load::invalid) << "flip at " << at;
        ASSERT_TRUE(l.seen.empty()) << "flip at " << at;
        EXPECT_NE(l.error.find("probe.snap"), std::string::npos) << l.error;
    }
    std::vector<std::byte> longer = good;
    longer.resize(good.size() + 8);
    write_file(probe, longer);
    EXPECT_EQ(load(probe).result, snapshot_load::invalid);
}

TEST(Snapshot, PaddingFlipsAreTheOnlyOnesAccepted) {
    // The walk above accepts a flip only if it lands in padding; make sure that is rare, i.e.
    // the checks really cover header, frames and trailer.
    temp_dir dir;
    const auto path = write_snapshot(dir.path(), 8, 3);
    const std::vector<std::byte> good = read_file(path);
    std::size_t accepted = 0;
    for (std::size_t at = 0; at < good.size(); ++at) {
        std::vector<std::byte> bad = good;
        bad[at] ^= std::byte{0x01};
        const auto probe = dir.path() / "p.snap";
        write_file(probe, bad);
        if (load(probe).result == snapshot_load::ok) ++accepted;
    }
    // Header bytes 24..59 are reserved and unchecked only if outside the CRC: they are inside.
    EXPECT_LT(accepted, 8u * 4) << "of " << good.size();
}

TEST(Snapshot, RefusedRecordIsReportedAsRefused) {
    temp_dir dir;
    const auto path = write_snapshot(dir.path(), 64, 10);
    std::uint64_t pos = 0, records = 0;
    std::string error;
    int calls = 0;
    const snapshot_load r = load_snapshot(
        path,
        [&](std::uint16_t, std::uint64_t, std::span<const std::byte>) {
            if (++calls == 4) {
                error = "no such SKU";
                return false;
            }
            return true;
        },
        pos, records, error);
    EXPECT_EQ(r, snapshot_load::refused);
    EXPECT_NE(error.find("no such SKU"), std::string::npos) << error;
}

TEST(Snapshot, AbandonedWriterAndCrashLeftoversAreIgnoredThenPruned) {
    temp_dir dir;
    std::string error;
    {
        auto w = snapshot_writer::create(dir.path(), 999, error);
        ASSERT_NE(w, nullptr) << error;
        ASSERT_TRUE(w->add(1, make_payload(1, 100), error));
    }  // destroyed without commit
    EXPECT_FALSE(std::filesystem::exists(dir.path() / (snapshot_file_name(999) + ".tmp")));

    // What a crash between writing and renaming leaves: a .tmp that no one reads.
    const auto good = write_snapshot(dir.path(), 100, 5);
    const auto torn = dir.path() / (snapshot_file_name(200) + ".tmp");
    const std::vector<std::byte> good_bytes = read_file(good);
    write_file(torn, std::span(good_bytes).first(50));
    std::vector<snapshot_file> found;
    ASSERT_TRUE(list_snapshots(dir.path(), found, error)) << error;
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].log_pos, 100u);

    ASSERT_TRUE(prune_snapshots(dir.path(), 1, error)) << error;
    EXPECT_FALSE(std::filesystem::exists(torn));
    EXPECT_TRUE(std::filesystem::exists(good));
}

TEST(Snapshot, PruneKeepsTheNewest) {
    temp_dir dir;
    for (std::uint64_t pos : {8u, 800u, 80u, 8000u}) write_snapshot(dir.path(), pos, 2);
    std::string error;
    ASSERT_TRUE(prune_snapshots(dir.path(), 2, error)) << error;
    std::vector<snapshot_file> found;
    ASSERT_TRUE(list_snapshots(dir.path(), found, error)) << error;
    ASSERT_EQ(found.size(), 2u);
    EXPECT_EQ(found[0].log_pos, 8000u);
    EXPECT_EQ(found[1].log_pos, 800u);
}

TEST(Snapshot, MissingDirectoryHasNoSnapshots) {
    temp_dir dir;
    std::vector<snapshot_file> found;
    std::string error;
    EXPECT_TRUE(list_snapshots(dir.path() / "nope", found, error)) << error;
    EXPECT_TRUE(found.empty());
}

// Power fails at every state-changing step of writing a second snapshot (create, each write,
// fsync, rename, directory fsync), under random fates for what was not synced. Recovery then
// loads the newest snapshot that checks, and that is always the old one or the new one, whole.
TEST(Snapshot, PowerLossAtEveryStepLeavesTheOldOrTheNewSnapshot) {
    const std::uint64_t seed0 = test_seed();
    std::uint64_t calls_total = 0;
    for (std::uint64_t n = 1;; ++n) {
        bool completed = false;
        for (std::uint64_t s = 0; s < 4; ++s) {
            temp_dir dir;
            write_snapshot(dir.path(), 100, 3, 1000);  // the old one, synced
            testing::fault_options fo;
            fo.seed = seed0 + n * 16 + s;
            testing::fault_fs disk(fo);
            disk.install();
            disk.crash_at_call(n);
            std::string error;
            {
                auto w = snapshot_writer::create(dir.path(), 200, error);
                bool ok = w != nullptr;
                for (int i = 0; ok && i < 40; ++i) {
                    ok =
                        w->add(2, make_payload(2000 + static_cast<std::uint64_t>(i), 50000), error);
                }
                ok = ok && w->commit(error);
                completed = ok && !disk.powered_off();
                calls_total = std::max(calls_total, disk.state_changing_calls());
            }
            disk.lose_power();
            disk.uninstall();

            std::vector<snapshot_file> found;
            ASSERT_TRUE(list_snapshots(dir.path(), found, error)) << error;
            bool loaded_one = false;
            for (const snapshot_file& f : found) {
                const loaded l = load(f.path);
                if (l.result != snapshot_load::ok) {
                    ASSERT_EQ(f.log_pos, 200u) << "only the new one may be torn; call " << n;
                    continue;
                }
                if (l.pos == 100) {
                    ASSERT_EQ(l.records, 3u);
                } else {
                    ASSERT_EQ(l.pos, 200u);
                    ASSERT_EQ(l.records, 40u);
                    ASSERT_EQ(l.seen.back().payload, make_payload(2039, 50000));
                }
                loaded_one = true;
                break;
            }
            ASSERT_TRUE(loaded_one) << "no usable snapshot after a crash at call " << n;
            if (completed) {
                ASSERT_EQ(found.front().log_pos, 200u) << "a committed snapshot must survive";
                ASSERT_EQ(load(found.front().path).result, snapshot_load::ok);
            }
        }
        if (completed) break;
        ASSERT_LT(n, 10'000u) << "the writer never completed";
    }
    EXPECT_GT(calls_total, 5u);
}

// ---- the log side -------------------------------------------------------------------------

struct written_log {
    std::vector<std::uint64_t> lsns;  // of every record appended, in order
    std::uint64_t active = 0;         // the writer's segment when it stopped
};

// Appends `count` records of ~200 bytes to a log with 4 KiB segments (many segments).
written_log fill_log(const log_options& opts, int count) {
    written_log w;
    auto log = open_log(opts);
    if (!log) return w;
    durable_waiter waiter;
    waiter.attach(*log);
    log->start();
    std::uint64_t end = 0;
    for (int i = 0; i < count; ++i) {
        const auto r = log->append(7, make_payload(static_cast<std::uint64_t>(i), 200));
        EXPECT_EQ(r.status, append_status::ok);
        w.lsns.push_back(r.lsn);
        end = r.end_pos;
    }
    EXPECT_TRUE(waiter.wait_for(*log, end));
    w.active = log->active_segment();
    log->stop();
    return w;
}

log_options small_segments(const temp_dir& dir) {
    return {.dir = dir.log_dir(),
            .segment_bytes = 4096,
            .ring_bytes = 1u << 16,
            .batch_bytes_max = 2048};
}

TEST(SnapshotLog, SealedSegmentsReadBackAndCoveredOnesAreRemoved) {
    temp_dir dir;
    const log_options opts = small_segments(dir);
    const written_log w = fill_log(opts, 200);
    ASSERT_GE(w.active, 5u);

    // Everything sealed, from the start: a prefix of the records, in order, ending before the
    // first position of the active segment.
    std::vector<replayed_record> sealed;
    std::uint64_t next = 0;
    std::string error;
    ASSERT_TRUE(read_sealed_segments(opts.dir, 0, w.active, collect_into(sealed), next, error))
        << error;
    ASSERT_FALSE(sealed.empty());
    ASSERT_LT(sealed.size(), w.lsns.size());
    for (std::size_t i = 0; i < sealed.size(); ++i) {
        ASSERT_EQ(sealed[i].lsn, w.lsns[i]);
        ASSERT_EQ(sealed[i].payload, make_payload(i, 200));
    }
    EXPECT_EQ(next, w.lsns[sealed.size()]) << "the next record starts the active segment";

    // Reading on from a position in the middle hands out only what follows it.
    const std::uint64_t mid = w.lsns[sealed.size() / 2];
    std::vector<replayed_record> rest;
    std::uint64_t next2 = 0;
    ASSERT_TRUE(read_sealed_segments(opts.dir, mid, w.active, collect_into(rest), next2, error));
    ASSERT_EQ(rest.size(), sealed.size() - sealed.size() / 2);
    EXPECT_EQ(rest.front().lsn, mid);
    EXPECT_EQ(next2, next);

    // Remove what a snapshot at `mid` covers: only whole segments below it, oldest first.
    const auto before = segment_files(opts.dir);
    std::size_t removed = 0;
    ASSERT_TRUE(remove_segments_before(opts.dir, mid, w.active, removed, error)) << error;
    ASSERT_GT(removed, 0u);
    const auto after = segment_files(opts.dir);
    EXPECT_EQ(after.size(), before.size() - removed);
    EXPECT_EQ(after.front(), before[removed]) << "a contiguous suffix remains";

    // Recovery with a snapshot at `mid`: records from `mid` on, nothing before.
    log_options from_mid = opts;
    from_mid.replay_from = mid;
    std::vector<replayed_record> replayed;
    {
        auto log = open_log(from_mid, &replayed);
        ASSERT_NE(log, nullptr);
        EXPECT_EQ(log->replayed().records, replayed.size());
    }
    const auto first = std::find(w.lsns.begin(), w.lsns.end(), mid) - w.lsns.begin();
    ASSERT_EQ(replayed.size(), w.lsns.size() - static_cast<std::size_t>(first));
    for (std::size_t i = 0; i < replayed.size(); ++i) {
        ASSERT_EQ(replayed[i].lsn, w.lsns[static_cast<std::size_t>(first) + i]);
    }

    // Without a snapshot that reaches the first remaining segment, the log is incomplete.
    log_options from_zero = opts;
    std::string open_error;
    EXPECT_EQ(commit_log::open(from_zero, collect_into(replayed), open_error), nullptr);
    EXPECT_NE(open_error.find("no snapshot covers them"), std::string::npos) << open_error;
}

TEST(SnapshotLog, SnapshotBeyondTheEndOfTheLogIsRefused) {
    temp_dir dir;
    log_options opts = small_segments(dir);
    const written_log w = fill_log(opts, 30);
    opts.replay_from = w.lsns.back() + (1u << 20);
    std::vector<replayed_record> replayed;
    std::string error;
    EXPECT_EQ(commit_log::open(opts, collect_into(replayed), error), nullptr);
    EXPECT_NE(error.find("log ends at"), std::string::npos) << error;
}

TEST(SnapshotLog, ReplayFromSkipsWholeSegmentsWithoutReadingThem) {
    temp_dir dir;
    log_options opts = small_segments(dir);
    const written_log w = fill_log(opts, 200);
    // Garble the first segment's records: a replay from the last record must not read it.
    const auto segs = segment_files(opts.dir);
    ASSERT_GT(segs.size(), 3u);
    std::vector<std::byte> first = read_file(segs.front());
    for (std::size_t i = 100; i < first.size(); ++i) first[i] ^= std::byte{0x5a};
    write_file(segs.front(), first);

    opts.replay_from = w.lsns.back();
    std::vector<replayed_record> replayed;
    auto log = open_log(opts, &replayed);
    ASSERT_NE(log, nullptr);
    ASSERT_EQ(replayed.size(), 1u);
    EXPECT_EQ(replayed[0].lsn, w.lsns.back());
    EXPECT_LT(log->replayed().segments, segs.size());
}

}  // namespace
}  // namespace fg::storage::test
