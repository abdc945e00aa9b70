#include "storage/snapshot.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "storage/crc32c.hpp"
#include "storage/detail/assert.hpp"
#include "storage/detail/le_bytes.hpp"
#include "storage/detail/mapped_file.hpp"
#include "storage/kept_mappings.hpp"
#include "storage/record_frame.hpp"

namespace fg::storage {
namespace {

constexpr std::array<char, 8> snapshot_magic = {'F', 'G', 'S', 'N', 'A', 'P', '0', '1'};
constexpr std::uint32_t snapshot_version = 1;
constexpr std::size_t snapshot_header_bytes = 64;
constexpr std::size_t header_crc_offset = 60;
constexpr std::size_t trailer_payload_bytes = 16;  // u64 records, u64 log_pos
constexpr std::size_t flush_bytes = 1u << 20;
constexpr std::string_view name_prefix = "snapshot-";
constexpr std::string_view name_suffix = ".snap";
constexpr std::string_view tmp_suffix = ".snap.tmp";
constexpr std::size_t pos_digits = 20;

bool parse_name(const std::string& name, std::uint64_t& log_pos) {
    if (name.size() != name_prefix.size() + pos_digits + name_suffix.size() ||
        !name.starts_with(name_prefix) || !name.ends_with(name_suffix)) {
        return false;
    }
    std::uint64_t v = 0;
    for (std::size_t i = name_prefix.size(); i < name_prefix.size() + pos_digits; ++i) {
        const char c = name[i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    log_pos = v;
    return true;
}

// Walks every frame after the header. Returns false with a message naming the byte offset at
// the first thing that does not check; `fn` sees each record only if `fn` is given.
template <class Fn>
bool walk(std::span<const std::byte> file, const std::filesystem::path& path,
          std::uint64_t& log_pos, std::uint64_t& records, std::string& error, Fn&& fn) {
    auto bad = [&](std::uint64_t offset, std::string_view what) {
        error = "invalid snapshot " + path.string() + ": " + std::string(what) +
                " at byte offset " + std::to_string(offset);
        return false;
    };
    if (file.size() < snapshot_header_bytes) return bad(0, "short header");
    const std::byte* h = file.data();
    if (std::memcmp(h, snapshot_magic.data(), snapshot_magic.size()) != 0 ||
        detail::load_le<std::uint32_t>(h + 8) != snapshot_version ||
        detail::load_le<std::uint32_t>(h + header_crc_offset) != crc32c({h, header_crc_offset})) {
        return bad(0, "bad header");
    }
    log_pos = detail::load_le<std::uint64_t>(h + 16);
    records = 0;
    std::uint64_t off = snapshot_header_bytes;
    while (true) {
        const frame_view f = decode_frame(file.subspan(off), off);
        if (f.status != frame_status::ok || f.lsn != off) {
            return bad(off, f.status == frame_status::ok ? "misplaced frame" : to_string(f.status));
        }
        if (f.type == snapshot_trailer_type) {
            if (f.payload.size() != trailer_payload_bytes ||
                detail::load_le<std::uint64_t>(f.payload.data()) != records ||
                detail::load_le<std::uint64_t>(f.payload.data() + 8) != log_pos) {
                return bad(off, "trailer does not match the records");
            }
            if (off + f.frame_len != file.size())
                return bad(off + f.frame_len, "bytes after trailer");
            return true;
        }
        if (!fn(f.type, log_pos, f.payload)) {
            const std::string why = error;
            bad(off, "record refused");
            if (!why.empty()) error += ": " + why;
            return false;
        }
        ++records;
        off += f.frame_len;
    }
}

}  // namespace

std::string snapshot_file_name(std::uint64_t log_pos) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "snapshot-%020llu.snap",
                  static_cast<unsigned long long>(log_pos));
    return buf;
}

std::unique_ptr<snapshot_writer> snapshot_writer::create(const std::filesystem::path& dir,
                                                         std::uint64_t log_pos,
                                                         std::string& error) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        error = "create directory " + dir.string() + ": " + ec.message();
        return nullptr;
    }
    std::unique_ptr<snapshot_writer> w(new snapshot_writer());
    w->dir_ = dir;
    w->final_path_ = dir / snapshot_file_name(log_pos);
    w->tmp_path_ = w->final_path_;
    w->tmp_path_ += ".tmp";
    w->log_pos_ = log_pos;
    if (!w->file_.open(w->tmp_path_, detail::posix_file::mode::create_truncate, error)) {
        return nullptr;
    }
    w->buffer_.resize(snapshot_header_bytes);
    std::byte* h = w->buffer_.data();
    std::memcpy(h, snapshot_magic.data(), snapshot_magic.size());
    detail::store_le<std::uint32_t>(h + 8, snapshot_version);
    detail::store_le<std::uint64_t>(h + 16, log_pos);
    detail::store_le<std::uint32_t>(h + header_crc_offset, crc32c({h, header_crc_offset}));
    w->buffer_.reserve(flush_bytes + 4096);
    return w;
}

snapshot_writer::~snapshot_writer() {
    if (committed_) return;
    file_.close();
    std::string ignored;
    (void)detail::remove_file(tmp_path_, ignored);
}

bool snapshot_writer::add(std::uint16_t type, std::span<const std::byte> payload,
                          std::string& error) {
    FG_STORAGE_ASSERT(type != frame_type_padding && !committed_, "snapshot record");
    const std::uint64_t at = offset_ + buffer_.size();
    const std::size_t n = static_cast<std::size_t>(frame_bytes(payload.size()));
    const std::size_t old = buffer_.size();
    buffer_.resize(old + n);
    encode_frame({buffer_.data() + old, n}, at, type, payload);
    if (type != snapshot_trailer_type) ++records_;
    return buffer_.size() < flush_bytes || flush(error);
}

bool snapshot_writer::flush(std::string& error) {
    if (buffer_.empty()) return true;
    if (!file_.pwrite_all(buffer_, offset_, error)) return false;
    offset_ += buffer_.size();
    buffer_.clear();
    return true;
}

bool snapshot_writer::commit(std::string& error) {
    std::array<std::byte, trailer_payload_bytes> trailer{};
    detail::store_le<std::uint64_t>(trailer.data(), records_);
    detail::store_le<std::uint64_t>(trailer.data() + 8, log_pos_);
    if (!add(snapshot_trailer_type, trailer, error) || !flush(error) || !file_.sync(error)) {
        return false;
    }
    file_.close();
    // The rename publishes the whole file at once; the directory fsync makes the new name
    // survive a crash. Until it returns, recovery still finds the previous snapshot.
    if (!detail::rename_file(tmp_path_, final_path_, error) ||
        !detail::sync_directory(dir_, error)) {
        return false;
    }
    committed_ = true;
    return true;
}

bool list_snapshots(const std::filesystem::path& dir, std::vector<snapshot_file>& out,
                    std::string& error) {
    out.clear();
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec)) return true;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::uint64_t pos = 0;
        if (parse_name(it->path().filename().string(), pos)) out.push_back({it->path(), pos});
    }
    if (ec) {
        error = "list " + dir.string() + ": " + ec.message();
        return false;
    }
    std::sort(out.begin(), out.end(),
              [](const snapshot_file& a, const snapshot_file& b) { return a.log_pos > b.log_pos; });
    return true;
}

snapshot_load load_snapshot(const std::filesystem::path& path, const replay_fn& on_record,
                            std::uint64_t& log_pos, std::uint64_t& records, std::string& error,
                            kept_mappings* keep) {
    auto file = std::make_unique<detail::mapped_file>();
    if (!file->open(path, error)) return snapshot_load::invalid;
    const std::span<const std::byte> bytes = file->bytes();
    // Pass 1 checks everything, so that a bad file changes nothing in the caller's state.
    if (!walk(bytes, path, log_pos, records, error,
              [](std::uint16_t, std::uint64_t, std::span<const std::byte>) { return true; })) {
        return snapshot_load::invalid;
    }
    if (keep != nullptr) keep->keep(std::move(file));
    std::uint64_t again = 0;
    return walk(bytes, path, log_pos, again, error, on_record) ? snapshot_load::ok
                                                               : snapshot_load::refused;
}

bool prune_snapshots(const std::filesystem::path& dir, std::size_t keep, std::string& error) {
    FG_STORAGE_ASSERT(keep >= 1, "keep at least one snapshot");
    std::vector<snapshot_file> all;
    if (!list_snapshots(dir, all, error)) return false;
    bool removed = false;
    for (std::size_t i = keep; i < all.size(); ++i) {
        if (!detail::remove_file(all[i].path, error)) return false;
        removed = true;
    }
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->path().filename().string().ends_with(tmp_suffix)) {
            if (!detail::remove_file(it->path(), error)) return false;
            removed = true;
        }
    }
    return !removed || detail::sync_directory(dir, error);
}

}  // namespace fg::storage
