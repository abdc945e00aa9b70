#include "storage/log_tail.hpp"

#include <algorithm>
#include <array>
#include <system_error>

#include "storage/detail/segment_file.hpp"
#include "storage/record_frame.hpp"

namespace fg::storage {
namespace {

// One pread covers at most this much: a catch-up over a long log reads it in pieces, and a
// tail that is nearly level with the writer reads only the few new bytes.
constexpr std::uint64_t read_chunk_bytes_max = 1u << 20;

bool read_header(const std::filesystem::path& path, std::uint64_t index, detail::posix_file& file,
                 detail::segment_header& h, std::string& error) {
    std::array<std::byte, detail::segment_header_bytes> buf{};
    if (!file.open(path, detail::posix_file::mode::read_write, error) ||
        !file.pread_all(buf, 0, error)) {
        return false;
    }
    if (!detail::decode_segment_header(buf, h) || h.index != index) {
        error = "corrupt log: bad segment header in " + path.string();
        return false;
    }
    return true;
}

}  // namespace

bool log_tail::open_segment(std::uint64_t index, bool& missing, std::string& error) {
    const std::filesystem::path path = dir_ / detail::segment_file_name(index);
    missing = false;
    detail::posix_file file;
    detail::segment_header h;
    if (!read_header(path, index, file, h, error)) {
        std::error_code ec;
        missing = !std::filesystem::exists(path, ec);
        return false;
    }
    std::uint64_t size = 0;
    if (!file.size(size, error)) return false;
    file_ = std::move(file);
    index_ = index;
    segment_bytes_ = std::min(size, h.segment_bytes);
    offset_ = detail::segment_header_bytes;
    lsn_min_ = std::max(lsn_min_, h.first_lsn);
    buf_.clear();
    buf_offset_ = offset_;
    return true;
}

bool log_tail::seek(std::uint64_t pos, tail_seek& where, std::string& error) {
    // Retention may delete the segment chosen between the listing and the open: list again.
    constexpr int attempts_max = 4;
    for (int attempt = 0; attempt < attempts_max; ++attempt) {
        std::vector<detail::segment_entry> segments;
        if (!detail::list_segments(dir_, segments, error)) return false;
        if (segments.empty()) {
            error = "no log segment in " + dir_.string();
            return false;
        }
        // The last segment that starts at or before pos holds it (or the gap after its records).
        std::size_t chosen = 0;
        std::uint64_t first_lsn = 0;
        bool vanished = false;
        for (std::size_t i = 0; i < segments.size(); ++i) {
            detail::posix_file file;
            detail::segment_header h;
            if (!read_header(segments[i].path, segments[i].index, file, h, error)) {
                std::error_code ec;
                vanished = !std::filesystem::exists(segments[i].path, ec);
                break;
            }
            if (i == 0) first_lsn = h.first_lsn;
            if (i > 0 && h.first_lsn > pos) break;
            chosen = i;
        }
        if (vanished) continue;
        where.gap = segments.front().index > 0 && first_lsn > pos;
        where.first_pos = std::max(pos, first_lsn);
        lsn_min_ = 0;
        bool missing = false;
        if (!open_segment(segments[chosen].index, missing, error)) {
            if (missing) continue;
            return false;
        }
        from_ = where.first_pos;
        return true;
    }
    error = "log segments in " + dir_.string() + " kept disappearing while seeking";
    return false;
}

bool log_tail::fill(std::uint64_t want, std::string& error) {
    want = std::min(want, segment_bytes_ - offset_);
    if (offset_ >= buf_offset_ && offset_ + want <= buf_offset_ + buf_.size()) return true;
    buf_.resize(want);
    buf_offset_ = offset_;
    return file_.pread_all(buf_, offset_, error);
}

bool log_tail::next_segment_exists() const {
    std::error_code ec;
    return std::filesystem::exists(dir_ / detail::segment_file_name(index_ + 1), ec);
}

bool log_tail::read(std::uint64_t limit, const replay_fn& on_record, std::string& error,
                    std::uint64_t bytes_max, bool* more) {
    if (more != nullptr) *more = false;
    if (!file_.is_open()) {
        error = "log_tail::read before seek";
        return false;
    }
    buf_.clear();  // bytes past the last limit may have been written since: read them afresh
    std::uint64_t handed_bytes = 0;
    bool refreshed = false;
    while (lsn_min_ < limit) {
        const std::uint64_t room = segment_bytes_ - offset_;
        frame_view f;
        if (room >= frame_header_bytes) {
            // Frames on disk are back to back and ring padding is not written, so the records
            // below `limit` take at most limit - lsn_min_ bytes of this file.
            if (!fill(std::clamp<std::uint64_t>(limit - lsn_min_, frame_header_bytes,
                                                read_chunk_bytes_max),
                      error)) {
                return false;
            }
            const auto at = static_cast<std::size_t>(offset_ - buf_offset_);
            f = decode_frame(std::span<const std::byte>(buf_).subspan(at), lsn_min_);
            if (f.status == frame_status::truncated && f.frame_len <= room &&
                offset_ + f.frame_len > buf_offset_ + buf_.size()) {
                if (!fill(f.frame_len, error)) return false;  // a frame longer than the chunk
                f = decode_frame(std::span<const std::byte>(buf_).subspan(0), lsn_min_);
            }
        }
        if (f.status == frame_status::ok) {
            refreshed = false;
            if (f.lsn + f.frame_len > limit) return true;  // not durable yet
            if (f.lsn >= from_ && !on_record(f.type, f.lsn, f.payload)) {
                error = "record at " + std::to_string(f.lsn) + " refused" +
                        (error.empty() ? "" : ": " + error);
                return false;
            }
            lsn_min_ = f.lsn + f.frame_len;
            offset_ += f.frame_len;
            handed_bytes += f.frame_len;
            if (handed_bytes >= bytes_max) {
                if (more != nullptr) *more = lsn_min_ < limit;
                return true;
            }
            continue;
        }
        // No record here. While this is the active segment, what follows is not written yet
        // (or is ring padding's gap). Once the next segment exists, this one is final: read it
        // once more (the first look may have raced the writer's last batch), then it must end.
        if (!next_segment_exists()) return true;
        if (!refreshed && room >= frame_header_bytes && f.status != frame_status::end) {
            buf_.clear();
            refreshed = true;
            continue;
        }
        if (room >= frame_header_bytes && f.status != frame_status::end) {
            error = "corrupt log: " + std::string(to_string(f.status)) + " in segment " +
                    detail::segment_file_name(index_) + " at byte offset " +
                    std::to_string(offset_);
            return false;
        }
        refreshed = false;
        bool missing = false;
        if (!open_segment(index_ + 1, missing, error)) {
            if (missing) {
                error = "log segment " + detail::segment_file_name(index_ + 1) +
                        " was deleted before the tail read it";
            }
            return false;
        }
    }
    return true;
}

}  // namespace fg::storage
