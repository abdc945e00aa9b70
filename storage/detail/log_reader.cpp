#include "storage/detail/log_reader.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <vector>

#include "storage/detail/mapped_file.hpp"
#include "storage/kept_mappings.hpp"
#include "storage/record_frame.hpp"

namespace fg::storage::detail {
namespace {

// The unwritten rest of a preallocated segment is tens of MiB: compare it with itself shifted
// by one byte, which runs at memcmp's vector speed instead of a byte at a time.
bool all_zero(std::span<const std::byte> bytes) {
    return bytes.empty() || (bytes[0] == std::byte{0} &&
                             std::memcmp(bytes.data(), bytes.data() + 1, bytes.size() - 1) == 0);
}

std::string where(const std::filesystem::path& path, std::uint64_t offset) {
    return path.string() + " at byte offset " + std::to_string(offset);
}

// Maps one whole segment, read-only and prefaulted in one call (cheaper than a page fault per
// page, and than copying into a buffer), and opens it for the torn-tail repair and the writer.
bool read_segment(const segment_entry& e, posix_file& file, mapped_file& map, std::string& error) {
    return file.open(e.path, posix_file::mode::read_write, error) &&
           map.open(e.path, error, mapped_file::populate::yes);
}

// A bad frame in the last segment is a torn tail only if nothing valid follows it beyond what
// one unsynced batch could cover: only the last batch can be partly on disk, it is at most
// batch_bytes_max long, and it began at or before the bad frame. A valid record further on was
// acknowledged after a record that is now bad, which is corruption (S7).
bool find_record_beyond_last_batch(std::span<const std::byte> seg, std::uint64_t bad_offset,
                                   std::uint64_t batch_bytes_max, std::uint64_t lsn_min,
                                   std::uint64_t& found) {
    for (std::uint64_t o = align8(bad_offset + batch_bytes_max);
         o + frame_header_bytes <= seg.size(); o += frame_align) {
        if (decode_frame(seg.subspan(o), lsn_min).status == frame_status::ok) {
            found = o;
            return true;
        }
    }
    return false;
}

// Cuts the torn tail at `cut`: zeroes up to the last non-zero byte, so that the writer's later
// frames are followed by zeros again (a zero frame_len ends the segment).
bool cut_tail(posix_file& file, std::span<const std::byte> seg, std::uint64_t cut,
              std::uint64_t& truncated_bytes, std::string& error) {
    std::uint64_t last = seg.size();
    while (last > cut && seg[last - 1] == std::byte{0}) --last;
    truncated_bytes = last - cut;
    return truncated_bytes == 0 || file.write_zeros(cut, truncated_bytes, error);
}

struct segment_scan {
    std::uint64_t end_offset = segment_header_bytes;  // just past the last good record
    std::uint64_t bad_offset = 0;
    frame_status bad_status = frame_status::ok;
    bool bad = false;
    bool refused = false;
};

// Hands every good record of one segment to `on_record`, stopping at the first bad frame.
// Records below `replay_from` are checked but only counted as skipped: a snapshot holds them.
segment_scan scan_frames(std::span<const std::byte> seg, const replay_fn& on_record,
                         std::uint64_t replay_from, std::uint64_t& lsn_min, replay_stats& stats) {
    segment_scan s;
    std::uint64_t off = segment_header_bytes;
    while (true) {
        const frame_view f =
            decode_frame(seg.subspan(std::min<std::uint64_t>(off, seg.size())), lsn_min);
        if (f.status == frame_status::end &&
            all_zero(seg.subspan(std::min<std::uint64_t>(off, seg.size())))) {
            break;  // zeros to the end: the writer stopped here
        }
        if (f.status != frame_status::ok) {
            s.bad = true;
            s.bad_offset = off;
            s.bad_status = f.status;
            break;
        }
        if (f.lsn < replay_from) {
            ++stats.skipped_records;
        } else if (!on_record(f.type, f.lsn, f.payload)) {
            s.refused = true;
            s.bad_offset = off;
            break;
        } else {
            ++stats.records;
        }
        stats.bytes += f.frame_len;
        stats.last_lsn = f.lsn;
        lsn_min = f.lsn + f.frame_len;
        off += f.frame_len;
        s.end_offset = off;
    }
    return s;
}

bool read_header(const segment_entry& e, segment_header& h, std::string& error) {
    posix_file file;
    std::array<std::byte, segment_header_bytes> buf{};
    if (!file.open(e.path, posix_file::mode::read_write, error) || !file.pread_all(buf, 0, error)) {
        return false;
    }
    if (!decode_segment_header(buf, h) || h.index != e.index) {
        error = "corrupt log: bad segment header in " + e.path.string();
        return false;
    }
    return true;
}

// The first segment that holds a record at or after `pos`: every earlier one lies wholly below
// it, because its successor starts at or before `pos`.
bool first_needed(const std::vector<segment_entry>& segments, std::uint64_t pos, std::size_t& first,
                  std::string& error) {
    first = 0;
    if (pos == 0) return true;
    for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
        segment_header next;
        if (!read_header(segments[i + 1], next, error)) return false;
        if (next.first_lsn > pos) break;
        first = i + 1;
    }
    return true;
}

}  // namespace

bool replay_log(const log_options& opts, const replay_fn& on_record, replay_outcome& out,
                std::string& error) {
    std::vector<segment_entry> segments;
    if (!list_segments(opts.dir, segments, error)) return false;
    std::size_t first = 0;
    if (!first_needed(segments, opts.replay_from, first, error)) return false;
    std::uint64_t lsn_min = 0;
    for (std::size_t i = first; i < segments.size(); ++i) {
        const segment_entry& e = segments[i];
        const bool last = i + 1 == segments.size();
        posix_file file;
        auto map = std::make_unique<mapped_file>();
        if (!read_segment(e, file, *map, error)) return false;
        const std::span<const std::byte> seg = map->bytes();
        // Kept before any record is handed out: a reader holding one may outlive this call.
        if (opts.keep != nullptr) opts.keep->keep(std::move(map));
        segment_header h;
        if (!decode_segment_header(seg, h) || h.index != e.index) {
            // A last segment that holds nothing but a bad header never held a record: drop it.
            if (last && all_zero(seg.subspan(std::min(seg.size(), segment_header_bytes)))) {
                file.close();
                if (!remove_file(e.path, error) || !sync_directory(opts.dir, error)) return false;
                if (!out.has_segment) out.next_segment_index = e.index;
                break;
            }
            error = "corrupt log: bad segment header in " + e.path.string();
            return false;
        }
        if (i == first && e.index > 0 && h.first_lsn > opts.replay_from) {
            // Older segments were deleted; only a snapshot reaching this far may stand for them.
            error = "log segments before " + e.path.string() + " (first position " +
                    std::to_string(h.first_lsn) + ") are gone, and no snapshot covers them" +
                    (opts.replay_from > 0
                         ? " (the snapshot loaded ends at " + std::to_string(opts.replay_from) + ")"
                         : "");
            return false;
        }
        lsn_min = std::max(lsn_min, h.first_lsn);
        ++out.stats.segments;
        const segment_scan s = scan_frames(seg, on_record, opts.replay_from, lsn_min, out.stats);
        if (s.refused) {
            error = "replay callback refused record at " + e.path.string() + ":" +
                    std::to_string(s.bad_offset) + (error.empty() ? "" : ": " + error);
            return false;
        }
        bool dirty = false;
        if (s.bad) {
            const std::string what = "corrupt log: " + std::string(to_string(s.bad_status)) +
                                     " in segment " + where(e.path, s.bad_offset);
            std::uint64_t found = 0;
            if (!last) {
                error = what;
                return false;
            }
            if (find_record_beyond_last_batch(seg, s.bad_offset, opts.batch_bytes_max, lsn_min,
                                              found)) {
                error = what + " (a valid record follows at byte offset " + std::to_string(found) +
                        ", beyond any unsynced batch)";
                return false;
            }
            if (!cut_tail(file, seg, s.bad_offset, out.stats.truncated_bytes, error)) return false;
            dirty = out.stats.truncated_bytes > 0;
        }
        std::uint64_t capacity = seg.size();
        if (last && capacity < h.segment_bytes) {  // shortened file: restore its zeros
            if (!file.write_zeros(capacity, h.segment_bytes - capacity, error)) return false;
            capacity = h.segment_bytes;
            dirty = true;
        }
        if (dirty && !file.datasync(error)) return false;
        out.has_segment = true;
        out.cursor = segment_cursor{std::move(file), e.index, s.end_offset, capacity};
    }
    out.next_pos = lsn_min;
    return true;
}

bool read_sealed(const std::filesystem::path& dir, std::uint64_t from_pos,
                 std::uint64_t below_index, const replay_fn& on_record, std::uint64_t& next_pos,
                 std::string& error) {
    std::vector<segment_entry> segments;
    if (!list_segments(dir, segments, error)) return false;
    auto end = std::find_if(segments.begin(), segments.end(),
                            [&](const segment_entry& e) { return e.index == below_index; });
    if (end == segments.end()) {
        error = "log segment " + segment_file_name(below_index) + " not found in " + dir.string();
        return false;
    }
    segment_header stop;
    if (!read_header(*end, stop, error)) return false;
    segments.erase(end + 1, segments.end());  // keep `below_index` last, for first_needed()
    std::size_t first = 0;
    if (!first_needed(segments, from_pos, first, error)) return false;
    replay_stats stats;
    for (std::size_t i = first; i + 1 < segments.size(); ++i) {
        const segment_entry& e = segments[i];
        posix_file file;
        mapped_file map;
        if (!read_segment(e, file, map, error)) return false;
        const std::span<const std::byte> seg = map.bytes();
        segment_header h;
        if (!decode_segment_header(seg, h) || h.index != e.index) {
            error = "corrupt log: bad segment header in " + e.path.string();
            return false;
        }
        std::uint64_t lsn_min = h.first_lsn;
        const segment_scan s = scan_frames(seg, on_record, from_pos, lsn_min, stats);
        if (s.refused) {
            error = "record refused at " + where(e.path, s.bad_offset) +
                    (error.empty() ? "" : ": " + error);
            return false;
        }
        if (s.bad) {
            error = "corrupt log: " + std::string(to_string(s.bad_status)) + " in sealed segment " +
                    where(e.path, s.bad_offset);
            return false;
        }
    }
    next_pos = std::max(from_pos, stop.first_lsn);
    return true;
}

bool remove_before(const std::filesystem::path& dir, std::uint64_t pos, std::uint64_t below_index,
                   std::size_t& removed, std::string& error) {
    removed = 0;
    std::vector<segment_entry> segments;
    if (!list_segments(dir, segments, error)) return false;
    for (std::size_t i = 0; i + 1 < segments.size() && segments[i].index < below_index; ++i) {
        segment_header next;
        if (!read_header(segments[i + 1], next, error)) return false;
        if (next.first_lsn > pos) break;
        if (!remove_file(segments[i].path, error)) return false;
        ++removed;
    }
    return removed == 0 || sync_directory(dir, error);
}

}  // namespace fg::storage::detail
