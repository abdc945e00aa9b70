#include "storage/commit_log.hpp"

#include <algorithm>
#include <bit>
#include <system_error>

#include "storage/detail/assert.hpp"
#include "storage/detail/log_reader.hpp"
#include "storage/detail/log_ring.hpp"
#include "storage/detail/log_writer.hpp"
#include "storage/detail/segment_file.hpp"
#include "storage/record_frame.hpp"

namespace fg::storage {
namespace {

constexpr std::size_t ring_bytes_min = 4096;
constexpr std::size_t ring_bytes_max = std::size_t{1} << 31;  // frame_len is a u32
constexpr std::uint64_t segment_bytes_min = 4096;
constexpr std::size_t batch_bytes_min = 64;

bool check_options(const log_options& o, std::string& error) {
    if (o.dir.empty()) {
        error = "log directory is empty";
    } else if (!std::has_single_bit(o.ring_bytes) || o.ring_bytes < ring_bytes_min ||
               o.ring_bytes > ring_bytes_max) {
        error = "ring_bytes must be a power of two in [4 KiB, 2 GiB]";
    } else if (o.segment_bytes < segment_bytes_min || o.segment_bytes % frame_align != 0) {
        error = "segment_bytes must be a multiple of 8 and at least 4 KiB";
    } else if (o.batch_bytes_max < batch_bytes_min) {
        error = "batch_bytes_max must be at least 64";
    } else if (o.no_space_retry_ms == 0) {
        error = "no_space_retry_ms must be at least 1";  // 0 would spin on a full disk
    } else {
        return true;
    }
    return false;
}

// The largest frame that fits half the ring (so it always fits an empty ring with its padding),
// one batch and one segment.
std::size_t max_payload_for(const log_options& o) {
    const std::uint64_t frame_max = std::min<std::uint64_t>(
        {o.ring_bytes / 2, o.batch_bytes_max, o.segment_bytes - detail::segment_header_bytes});
    return static_cast<std::size_t>((frame_max & ~std::uint64_t{frame_align - 1}) -
                                    frame_header_bytes);
}

bool make_directory(const std::filesystem::path& dir, std::string& error) {
    std::error_code ec;
    if (std::filesystem::create_directories(dir, ec)) {
        // A new directory entry must itself survive a crash before segments go in it.
        const std::filesystem::path parent = dir.has_parent_path() ? dir.parent_path() : ".";
        return detail::sync_directory(parent, error);
    }
    if (ec) {
        error = "create directory " + dir.string() + ": " + ec.message();
        return false;
    }
    return true;
}

}  // namespace

std::unique_ptr<commit_log> commit_log::open(const log_options& opts, const replay_fn& on_record,
                                             std::string& error) {
    error.clear();
    if (!check_options(opts, error) || !make_directory(opts.dir, error)) return nullptr;
    detail::replay_outcome r;
    if (!detail::replay_log(opts, on_record, r, error)) return nullptr;
    if (!r.has_segment) {
        const detail::segment_header h{.index = r.next_segment_index,
                                       .first_lsn = r.next_pos,
                                       .segment_bytes = opts.segment_bytes};
        if (detail::create_segment(opts.dir, h, r.cursor.file, error) !=
            detail::segment_create::ok) {
            return nullptr;  // a full disk at start-up is an error like any other
        }
        r.cursor.index = h.index;
        r.cursor.write_offset = detail::segment_header_bytes;
        r.cursor.capacity = h.segment_bytes;
    }
    // Positions are multiples of 8 (S8); a header's first lsn is the only outside input here.
    r.next_pos = align8(r.next_pos);
    if (r.next_pos < opts.replay_from) {
        error = "the snapshot loaded covers the log up to position " +
                std::to_string(opts.replay_from) + ", but the log ends at " +
                std::to_string(r.next_pos);
        return nullptr;
    }
    std::unique_ptr<commit_log> log(new commit_log());
    log->replayed_ = r.stats;
    log->max_payload_bytes_ = max_payload_for(opts);
    log->ring_ = std::make_unique<detail::log_ring>(opts.ring_bytes, r.next_pos);
    log->writer_ = std::make_unique<detail::log_writer>(
        *log->ring_,
        detail::writer_options{.dir = opts.dir,
                               .segment_bytes = opts.segment_bytes,
                               .batch_bytes_max = opts.batch_bytes_max,
                               .no_space_retry_ms = opts.no_space_retry_ms},
        std::move(r.cursor), r.next_pos);
    return log;
}

commit_log::~commit_log() = default;  // the writer's destructor stops it if it runs

void commit_log::set_on_durable(std::function<void()> fn) {
    writer_->set_on_durable(std::move(fn));
}

void commit_log::start() { writer_->start(); }

void commit_log::stop() { writer_->stop(); }

append_result commit_log::append(std::uint16_t type, std::span<const std::byte> payload) {
    FG_STORAGE_ASSERT(type != frame_type_padding, "S5");
    FG_STORAGE_ASSERT(payload.size() <= max_payload_bytes_, "S9");
    if (writer_->failed()) return {append_status::failed, 0, 0};
    // Refused rather than queued: records already in the ring are enough to wait for space.
    if (writer_->no_space()) return {append_status::no_space, 0, 0};
    std::uint64_t lsn = 0;
    if (ring_->try_append(type, payload, lsn) == detail::log_ring::reserve_status::full) {
        return {append_status::full, 0, 0};
    }
    return {append_status::ok, lsn, lsn + frame_bytes(payload.size())};
}

std::uint64_t commit_log::durable_pos() const { return writer_->durable_pos(); }

std::uint64_t commit_log::active_segment() const { return writer_->active_segment(); }

bool commit_log::failed() const { return writer_->failed(); }

bool commit_log::no_space() const { return writer_->no_space(); }

const std::string& commit_log::failure_message() const {
    static const std::string none;
    return writer_->failed() ? writer_->error() : none;
}

commit_log::counters commit_log::stats() const {
    const detail::log_writer::counters w = writer_->stats();
    return {w.batches,         w.records,           w.bytes,
            w.fsync_ns_total,  w.fsync_ns_max,      ring_->used_bytes(),
            w.no_space_events, writer_->no_space(), writer_->failed()};
}

bool read_sealed_segments(const std::filesystem::path& dir, std::uint64_t from_pos,
                          std::uint64_t below_index, const replay_fn& on_record,
                          std::uint64_t& next_pos, std::string& error) {
    return detail::read_sealed(dir, from_pos, below_index, on_record, next_pos, error);
}

std::uint64_t segment_bytes_on_disk(const std::filesystem::path& dir) {
    std::vector<detail::segment_entry> segments;
    std::string error;
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec) || !detail::list_segments(dir, segments, error)) {
        return 0;
    }
    std::uint64_t bytes = 0;
    for (const detail::segment_entry& s : segments) {
        const std::uintmax_t size = std::filesystem::file_size(s.path, ec);
        if (!ec) bytes += size;
    }
    return bytes;
}

bool remove_segments_before(const std::filesystem::path& dir, std::uint64_t pos,
                            std::uint64_t below_index, std::size_t& removed, std::string& error) {
    return detail::remove_before(dir, pos, below_index, removed, error);
}

}  // namespace fg::storage
