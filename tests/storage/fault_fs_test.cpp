// The fault-injecting disk itself: what survives a power loss, driven through the real
// posix_file code that the log uses, on real files.

#include "storage/testing/fault_fs.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "log_test_support.hpp"
#include "storage/detail/posix_file.hpp"

namespace fg::storage {
namespace {

using detail::posix_file;
using testing::fault_fs;
using testing::fault_options;
using testing::name_fate;
using testing::write_fate_weights;

std::string contents(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::span<const std::byte> bytes_of(const std::string& s) {
    return std::as_bytes(std::span(s.data(), s.size()));
}

// Writes `s` at `offset`; the test fails if posix_file reports an error.
void put(posix_file& f, const std::string& s, std::uint64_t offset) {
    std::string error;
    ASSERT_TRUE(f.pwrite_all(bytes_of(s), offset, error)) << error;
}

// A file whose name and first bytes are synced: the starting point of most cases below.
void create_synced(const std::filesystem::path& p, const std::string& s, posix_file& f) {
    std::string error;
    ASSERT_TRUE(f.open(p, posix_file::mode::create_truncate, error)) << error;
    put(f, s, 0);
    ASSERT_TRUE(f.datasync(error)) << error;
    ASSERT_TRUE(detail::sync_directory(p.parent_path(), error)) << error;
}

fault_options only(write_fate_weights w, name_fate names = name_fate::random_prefix) {
    return {.seed = 7, .fates = w, .names = names};
}

TEST(FaultFs, UnsyncedWritesAreDroppedAndSyncedBytesStay) {
    test::temp_dir t;
    fault_fs fs(only({.drop = 1, .keep = 0, .garble = 0, .torn = 0}));
    fs.install();
    const auto p = t.path() / "f";
    {
        posix_file f;
        create_synced(p, "AAAA", f);
        put(f, "BBBB", 4);                   // extends the file, never synced
        put(f, "CC", 1);                     // overwrites synced bytes, never synced
        EXPECT_EQ(contents(p), "ACCABBBB");  // before the crash the page cache shows everything
    }
    const auto r = fs.lose_power();
    fs.uninstall();
    EXPECT_EQ(contents(p), "AAAA");
    EXPECT_EQ(r.writes_unsynced, 2u);
    EXPECT_EQ(r.dropped, 2u);
}

TEST(FaultFs, KeptWritesStayInTheirOrder) {
    test::temp_dir t;
    fault_fs fs(only({.drop = 0, .keep = 1, .garble = 0, .torn = 0}));
    fs.install();
    const auto p = t.path() / "f";
    {
        posix_file f;
        create_synced(p, "AAAA", f);
        put(f, "BBBB", 2);
        put(f, "C", 3);
    }
    EXPECT_EQ(fs.lose_power().kept, 2u);
    fs.uninstall();
    EXPECT_EQ(contents(p), "AABCBB");
}

TEST(FaultFs, TornWriteKeepsOnlyAPrefix) {
    test::temp_dir t;
    fault_fs fs(only({.drop = 0, .keep = 0, .garble = 0, .torn = 1}));
    fs.install();
    const auto p = t.path() / "f";
    const std::string big(4096, 'x');
    {
        posix_file f;
        create_synced(p, "", f);
        put(f, big, 0);
    }
    EXPECT_EQ(fs.lose_power().torn, 1u);
    fs.uninstall();
    const std::string after = contents(p);
    EXPECT_LT(after.size(), big.size());
    EXPECT_EQ(after, big.substr(0, after.size()));
}

TEST(FaultFs, GarbledWriteChangesOnlyTheBytesItCovers) {
    test::temp_dir t;
    fault_fs fs(only({.drop = 0, .keep = 0, .garble = 1, .torn = 0}));
    fs.install();
    const auto p = t.path() / "f";
    const std::string synced(8192, 'a');
    {
        posix_file f;
        create_synced(p, synced, f);
        put(f, std::string(100, 'b'), 1000);
    }
    EXPECT_EQ(fs.lose_power().garbled, 1u);
    fs.uninstall();
    const std::string after = contents(p);
    ASSERT_EQ(after.size(), synced.size());
    EXPECT_EQ(after.substr(0, 1000), synced.substr(0, 1000));
    EXPECT_EQ(after.substr(1100), synced.substr(1100));
    EXPECT_NE(after.substr(1000, 100), std::string(100, 'b'));
    EXPECT_NE(after.substr(1000, 100), std::string(100, 'a'));
}

TEST(FaultFs, RenameWithoutDirectorySyncIsLostAndWithItStays) {
    test::temp_dir t;
    fault_fs fs(only({}, name_fate::all_lost));
    fs.install();
    const auto tmp = t.path() / "a.tmp";
    const auto lost = t.path() / "a.seg";
    const auto tmp2 = t.path() / "b.tmp";
    const auto kept = t.path() / "b.seg";
    std::string error;
    {
        posix_file a;
        posix_file b;
        create_synced(tmp, "first", a);
        create_synced(tmp2, "second", b);
    }
    ASSERT_TRUE(detail::rename_file(tmp2, kept, error)) << error;
    ASSERT_TRUE(detail::sync_directory(t.path(), error)) << error;
    ASSERT_TRUE(detail::rename_file(tmp, lost, error)) << error;  // the directory is not synced
    const auto r = fs.lose_power();
    fs.uninstall();
    EXPECT_EQ(r.names_undone, 1u);
    EXPECT_FALSE(std::filesystem::exists(lost));
    EXPECT_EQ(contents(tmp), "first");  // it keeps its old name
    EXPECT_EQ(contents(kept), "second");
    EXPECT_FALSE(std::filesystem::exists(tmp2));
}

TEST(FaultFs, CreatedFileWithoutDirectorySyncVanishesEvenIfItsDataWasSynced) {
    test::temp_dir t;
    fault_fs fs(only({}, name_fate::all_lost));
    fs.install();
    const auto p = t.path() / "new";
    std::string error;
    {
        posix_file f;
        ASSERT_TRUE(f.open(p, posix_file::mode::create_truncate, error)) << error;
        put(f, "data", 0);
        ASSERT_TRUE(f.sync(error)) << error;
    }
    fs.lose_power();
    fs.uninstall();
    EXPECT_FALSE(std::filesystem::exists(p));
}

TEST(FaultFs, UnlinkWithoutDirectorySyncIsUndone) {
    test::temp_dir t;
    fault_fs fs(only({}, name_fate::all_lost));
    fs.install();
    const auto p = t.path() / "old";
    std::string error;
    {
        posix_file f;
        create_synced(p, "still here", f);
    }
    ASSERT_TRUE(detail::remove_file(p, error)) << error;
    EXPECT_FALSE(std::filesystem::exists(p));
    fs.lose_power();
    fs.uninstall();
    EXPECT_EQ(contents(p), "still here");
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(t.path()), {}), 1);  // no leftovers
}

TEST(FaultFs, EveryCallFailsWithEioFromTheCrashPointOn) {
    test::temp_dir t;
    fault_fs fs(only({.drop = 1, .keep = 0, .garble = 0, .torn = 0}));
    fs.install();
    const auto p = t.path() / "f";
    std::string error;
    {
        posix_file f;
        create_synced(p, "AAAA", f);
        fs.crash_at_call(2);  // the write passes, the sync after it loses the power
        put(f, "BBBB", 4);
        EXPECT_FALSE(f.datasync(error));
        EXPECT_NE(error.find("fdatasync " + p.string() + ": Input/output error"), std::string::npos)
            << error;
        EXPECT_TRUE(fs.powered_off());
        EXPECT_FALSE(f.pwrite_all(bytes_of("CCCC"), 8, error));
        EXPECT_FALSE(f.sync(error));
    }
    EXPECT_FALSE(detail::sync_directory(t.path(), error));
    fs.lose_power();
    EXPECT_FALSE(fs.powered_off());  // the power is back, the layer works again
    fs.uninstall();
    EXPECT_EQ(contents(p), "AAAA");
}

TEST(FaultFs, ShortWritesAreCompletedByPosixFile) {
    test::temp_dir t;
    fault_options o = only({.drop = 0, .keep = 1, .garble = 0, .torn = 0});
    o.partial_writes = testing::short_writes::sometimes;
    fault_fs fs(o);
    fs.install();
    const auto p = t.path() / "f";
    std::string big;
    for (int i = 0; i < 20000; ++i) big += static_cast<char>('a' + i % 26);
    {
        posix_file f;
        create_synced(p, "", f);
        for (int i = 0; i < 20; ++i) put(f, big, 0);
    }
    EXPECT_GT(fs.state_changing_calls(), 20u + 3u);  // some writes took more than one call
    fs.lose_power();
    fs.uninstall();
    EXPECT_EQ(contents(p), big);
}

}  // namespace
}  // namespace fg::storage
