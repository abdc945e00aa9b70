#include "storage/detail/log_reader.hpp"

#include <algorithm>
#include <vector>

#include "storage/record_frame.hpp"

namespace fg::storage::detail {
namespace {

bool all_zero(std::span<const std::byte> bytes) {
    return std::all_of(bytes.begin(), bytes.end(), [](std::byte b) { return b == std::byte{0}; });
}

std::string where(const std::filesystem::path& path, std::uint64_t offset) {
    return path.string() + " at byte offset " + std::to_string(offset);
}

// Reads one whole segment into memory. Segments are bounded by segment_bytes (64 MiB by
// default), and this runs once, at start-up.
bool read_segment(const segment_entry& e, posix_file& file, std::vector<std::byte>& buf,
                  std::string& error) {
    std::uint64_t size = 0;
    if (!file.open(e.path, posix_file::mode::read_write, error) || !file.size(size, error)) {
        return false;
    }
    buf.assign(static_cast<std::size_t>(size), std::byte{0});
    return file.pread_all(buf, 0, error);
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
segment_scan scan_frames(std::span<const std::byte> seg, const replay_fn& on_record,
                         std::uint64_t& lsn_min, replay_stats& stats) {
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
        if (!on_record(f.type, f.lsn, f.payload)) {
            s.refused = true;
            s.bad_offset = off;
            break;
        }
        ++stats.records;
        stats.bytes += f.frame_len;
        stats.last_lsn = f.lsn;
        lsn_min = f.lsn + f.frame_len;
        off += f.frame_len;
        s.end_offset = off;
    }
    return s;
}

}  // namespace

bool replay_log(const log_options& opts, const replay_fn& on_record, replay_outcome& out,
                std::string& error) {
    std::vector<segment_entry> segments;
    if (!list_segments(opts.dir, segments, error)) return false;
    std::uint64_t lsn_min = 0;
    std::vector<std::byte> buf;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const segment_entry& e = segments[i];
        const bool last = i + 1 == segments.size();
        posix_file file;
        if (!read_segment(e, file, buf, error)) return false;
        const std::span<const std::byte> seg(buf);
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
        lsn_min = std::max(lsn_min, h.first_lsn);
        ++out.stats.segments;
        const segment_scan s = scan_frames(seg, on_record, lsn_min, out.stats);
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

}  // namespace fg::storage::detail
