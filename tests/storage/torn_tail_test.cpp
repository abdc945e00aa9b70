// Torn tails, exhaustively: the last segment of a known log is damaged at EVERY byte offset of
// its last two records (zeroed to the end of the file, really shortened, or overwritten with
// random bytes), and each time open() must cut back to the last whole record, report the cut,
// keep every earlier record and take new ones after it. And a single flipped bit anywhere in a
// record that is not at the tail must stop open() with the file and offset, touching nothing.
//
// Which records survive is decided here from first principles: a record is whole iff every
// byte its CRC and length cover is unchanged and the frame still fits in the file.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "log_test_support.hpp"
#include "storage/commit_log.hpp"
#include "storage/record_frame.hpp"

namespace fg::storage {
namespace {

using test::make_payload;
using test::replayed_record;
using test::temp_dir;

constexpr std::uint64_t header_bytes = 64;
using bytes = std::vector<std::byte>;

bytes read_file(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    const std::string s{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    const auto* b = reinterpret_cast<const std::byte*>(s.data());
    return {b, b + s.size()};
}

void write_file(const std::filesystem::path& p, const bytes& b) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    ASSERT_TRUE(f.good()) << p;
}

// Every file of a directory, by name, with its bytes.
std::map<std::string, bytes> snapshot(const std::filesystem::path& dir) {
    std::map<std::string, bytes> out;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        out[e.path().filename().string()] = read_file(e.path());
    }
    return out;
}

void restore(const std::filesystem::path& dir, const std::map<std::string, bytes>& files) {
    std::filesystem::create_directories(dir);
    for (const auto& [name, b] : files) write_file(dir / name, b);
}

// One record as the template log holds it: its payload and where its frame lies.
struct placed_record {
    std::uint64_t tag;
    std::size_t len;
    std::uint64_t lsn;
    std::size_t segment;  // index into the template's segment files
    std::uint64_t offset;
    std::uint64_t frame_len;
    std::uint64_t covered() const { return frame_header_bytes + len; }  // length + CRC'd bytes
};

// A log written once with the real file layer, kept in memory and restored for every case.
struct template_log {
    log_options opts;
    std::vector<std::string> segment_names;
    std::map<std::string, bytes> files;
    std::vector<placed_record> records;
};

// Appends records of the given payload sizes durably (payload i = make_payload(i, len)).
void append_all(const log_options& o, const std::vector<std::size_t>& lens, std::uint64_t tag0) {
    auto log = test::open_log(o);
    ASSERT_NE(log, nullptr);
    log->start();
    for (std::size_t i = 0; i < lens.size(); ++i) {
        while (true) {
            const append_result r = log->append(1, make_payload(tag0 + i, lens[i]));
            ASSERT_NE(r.status, append_status::failed);
            if (r.status == append_status::ok) break;
            std::this_thread::yield();
        }
    }
    log->stop();
}

// Locates every record's frame in the segment files (the frame lengths chain them).
void place_records(template_log& t, const std::vector<std::size_t>& lens) {
    std::vector<replayed_record> got;
    ASSERT_NE(test::open_log(t.opts, &got), nullptr);
    ASSERT_EQ(got.size(), lens.size());
    std::size_t seg = 0;
    std::uint64_t off = header_bytes;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const bytes* file = &t.files.at(t.segment_names[seg]);
        std::uint32_t frame_len = 0;
        std::memcpy(&frame_len, file->data() + off, sizeof frame_len);
        if (frame_len == 0) {  // the rest of this segment is zeros: next segment
            ++seg;
            off = header_bytes;
            file = &t.files.at(t.segment_names[seg]);
            std::memcpy(&frame_len, file->data() + off, sizeof frame_len);
        }
        ASSERT_EQ(frame_len, frame_bytes(lens[i]));
        t.records.push_back({i, lens[i], got[i].lsn, seg, off, frame_len});
        off += frame_len;
    }
}

template_log make_template(std::uint64_t segment_bytes, std::size_t batch_bytes_max,
                           const std::vector<std::size_t>& lens) {
    temp_dir dir;
    template_log t;
    t.opts = {.dir = dir.log_dir(),
              .segment_bytes = segment_bytes,
              .ring_bytes = 64u << 10,
              .batch_bytes_max = batch_bytes_max};
    append_all(t.opts, lens, 0);
    for (const auto& p : test::segment_files(t.opts.dir)) {
        t.segment_names.push_back(p.filename().string());
    }
    t.files = snapshot(t.opts.dir);
    place_records(t, lens);
    return t;
}

// A log of several 4 KiB segments whose last segment ends in records of 13 and 35 payload
// bytes (frames of 40 and 64 bytes, 3 and 5 bytes of padding).
const template_log& torn_tail_template() {
    static const template_log t = [] {
        std::vector<std::size_t> lens;
        for (int i = 0; i < 90; ++i) lens.push_back(static_cast<std::size_t>(7 + (i * 29) % 90));
        lens.push_back(13);
        lens.push_back(35);
        return make_template(4096, 1024, lens);
    }();
    return t;
}

enum class damage : std::uint8_t { zero_to_end, shorten, random_bytes };

// The last segment after the damage at `at`.
bytes damaged(const bytes& seg, damage d, std::uint64_t at, std::mt19937_64& rng) {
    bytes out = seg;
    if (d == damage::zero_to_end) {
        std::fill(out.begin() + static_cast<std::ptrdiff_t>(at), out.end(), std::byte{0});
    } else if (d == damage::shorten) {
        out.resize(at);
    } else {
        const std::uint64_t len = 1 + rng() % 200;
        for (std::uint64_t i = at; i < at + len && i < out.size(); ++i) {
            out[i] = static_cast<std::byte>(rng());
        }
        out[at] = seg[at] ^ std::byte{0x5A};  // the damage begins exactly at `at`
    }
    return out;
}

// Whether record r is whole in the damaged last segment.
bool whole(const placed_record& r, const bytes& before, const bytes& after) {
    if (r.offset + r.frame_len > after.size()) return false;
    return std::equal(before.begin() + static_cast<std::ptrdiff_t>(r.offset),
                      before.begin() + static_cast<std::ptrdiff_t>(r.offset + r.covered()),
                      after.begin() + static_cast<std::ptrdiff_t>(r.offset));
}

// Opens the damaged log, checks the cut, appends after it and checks a second reopen.
void expect_cut_and_continue(const template_log& t, damage d, std::uint64_t at,
                             std::mt19937_64& rng) {
    SCOPED_TRACE("damage " + std::to_string(static_cast<int>(d)) + " at byte offset " +
                 std::to_string(at));
    temp_dir dir;
    log_options o = t.opts;
    o.dir = dir.log_dir();
    restore(o.dir, t.files);
    const std::string last_name = t.segment_names.back();
    const bytes& before = t.files.at(last_name);
    const bytes after = damaged(before, d, at, rng);
    write_file(o.dir / last_name, after);

    std::size_t keep = 0;  // the leading whole records
    const std::size_t last_seg = t.segment_names.size() - 1;
    while (keep < t.records.size() &&
           (t.records[keep].segment != last_seg || whole(t.records[keep], before, after))) {
        ++keep;
    }
    ASSERT_GE(keep, 1u);
    const placed_record& last_kept = t.records[keep - 1];
    ASSERT_EQ(last_kept.segment, last_seg);
    const std::uint64_t cut = last_kept.offset + last_kept.frame_len;
    std::uint64_t end = after.size();
    while (end > cut && after[end - 1] == std::byte{0}) --end;
    const std::uint64_t expected_cut_bytes = end - cut;  // to the last non-zero byte

    std::vector<replayed_record> got;
    auto log = test::open_log(o, &got);
    ASSERT_NE(log, nullptr);
    ASSERT_EQ(got.size(), keep);
    for (std::size_t i = 0; i < keep; ++i) {
        ASSERT_EQ(got[i].lsn, t.records[i].lsn);
        ASSERT_EQ(got[i].payload, make_payload(t.records[i].tag, t.records[i].len)) << i;
    }
    EXPECT_EQ(log->replayed().truncated_bytes, expected_cut_bytes);
    if (keep < t.records.size() && at > t.records[keep].offset) {
        EXPECT_GT(log->replayed().truncated_bytes, 0u);  // part of a record was cut
    }
    log.reset();
    const bytes repaired = read_file(o.dir / last_name);
    ASSERT_EQ(repaired.size(), o.segment_bytes);  // a shortened file is whole again
    EXPECT_TRUE(std::all_of(repaired.begin() + static_cast<std::ptrdiff_t>(cut), repaired.end(),
                            [](std::byte b) { return b == std::byte{0}; }));

    append_all(o, {21, 3}, 1000);
    got.clear();
    log = test::open_log(o, &got);
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(log->replayed().truncated_bytes, 0u);
    ASSERT_EQ(got.size(), keep + 2);
    EXPECT_EQ(got[keep].lsn, last_kept.lsn + last_kept.frame_len);  // right after the cut
    EXPECT_EQ(got[keep].payload, make_payload(1000, 21));
    EXPECT_EQ(got[keep + 1].payload, make_payload(1001, 3));
    std::uint64_t lsn_at_cut = 0;
    std::memcpy(&lsn_at_cut, read_file(o.dir / last_name).data() + cut + frame_lsn_offset, 8);
    EXPECT_EQ(lsn_at_cut, got[keep].lsn);  // and written where the cut was
}

void damage_every_offset_of_the_last_two_records(damage d) {
    const template_log& t = torn_tail_template();
    ASSERT_GE(t.segment_names.size(), 2u);
    const placed_record& a = t.records[t.records.size() - 2];
    const placed_record& b = t.records.back();
    ASSERT_EQ(a.segment, t.segment_names.size() - 1);
    ASSERT_GT(a.offset, header_bytes);  // an earlier record of the last segment must survive
    std::mt19937_64 rng(test::test_seed());
    for (std::uint64_t at = a.offset; at < b.offset + b.frame_len; ++at) {
        expect_cut_and_continue(t, d, at, rng);
        if (::testing::Test::HasFatalFailure()) return;
    }
}

TEST(TornTail, ZeroedFromAnyOffsetOfTheLastTwoRecordsIsCutToTheLastWholeRecord) {
    damage_every_offset_of_the_last_two_records(damage::zero_to_end);
}

TEST(TornTail, FileShortenedAtAnyOffsetOfTheLastTwoRecordsIsCutAndRestoredToFullSize) {
    damage_every_offset_of_the_last_two_records(damage::shorten);
}

TEST(TornTail, RandomBytesFromAnyOffsetOfTheLastTwoRecordsAreCut) {
    damage_every_offset_of_the_last_two_records(damage::random_bytes);
}

// Corruption that is not a torn tail: open() must refuse, name the file and the record's
// offset, and leave every file exactly as it was.
void expect_refused_untouched(const template_log& t, const placed_record& r,
                              std::uint64_t byte_in_record, int bit) {
    SCOPED_TRACE("bit " + std::to_string(bit) + " of byte " + std::to_string(byte_in_record) +
                 " of the record at offset " + std::to_string(r.offset));
    temp_dir dir;
    log_options o = t.opts;
    o.dir = dir.log_dir();
    restore(o.dir, t.files);
    const std::filesystem::path seg = o.dir / t.segment_names[r.segment];
    bytes b = t.files.at(t.segment_names[r.segment]);
    b[r.offset + byte_in_record] ^= static_cast<std::byte>(1u << bit);
    write_file(seg, b);
    const auto before = snapshot(o.dir);
    std::string error;
    std::vector<replayed_record> got;
    EXPECT_EQ(commit_log::open(o, test::collect_into(got), error), nullptr);
    EXPECT_NE(error.find("corrupt log"), std::string::npos) << error;
    EXPECT_NE(error.find(seg.string() + " at byte offset " + std::to_string(r.offset)),
              std::string::npos)
        << error;
    EXPECT_TRUE(snapshot(o.dir) == before) << "the failed open changed the log's files";
}

TEST(Corruption, FlippedBitAnywhereInARecordOfAnEarlierSegmentFailsOpenAndTouchesNothing) {
    const template_log& t = torn_tail_template();
    const placed_record& r = t.records[3];
    ASSERT_EQ(r.segment, 0u);
    std::mt19937_64 rng(test::test_seed());
    for (std::uint64_t i = 0; i < r.covered(); ++i) {
        expect_refused_untouched(t, r, i, static_cast<int>(rng() % 8));
        if (::testing::Test::HasFatalFailure()) return;
    }
}

TEST(Corruption, FlippedBitAnywhereInARecordFollowedByMoreThanABatchFailsOpenAndTouchesNothing) {
    // batch_bytes_max 256: a record is followed, in the last segment, by valid records further
    // than one unsynced batch could reach, so it was acknowledged and its damage is corruption.
    static const template_log t = [] {
        std::vector<std::size_t> lens;
        for (int i = 0; i < 60; ++i) lens.push_back(static_cast<std::size_t>(5 + (i * 37) % 100));
        return make_template(4096, 256, lens);
    }();
    const std::size_t last_seg = t.segment_names.size() - 1;
    const auto first_in_last =
        std::find_if(t.records.begin(), t.records.end(),
                     [&](const placed_record& p) { return p.segment == last_seg; });
    ASSERT_NE(first_in_last, t.records.end());
    const placed_record& r = *std::next(first_in_last);  // not the segment's first record
    ASSERT_GT(t.records.back().offset, r.offset + 256 + r.frame_len);
    std::mt19937_64 rng(test::test_seed());
    for (std::uint64_t i = 0; i < r.covered(); ++i) {
        expect_refused_untouched(t, r, i, static_cast<int>(rng() % 8));
        if (::testing::Test::HasFatalFailure()) return;
    }
}

}  // namespace
}  // namespace fg::storage
