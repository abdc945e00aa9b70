#include "storage/detail/segment_file.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "storage/crc32c.hpp"
#include "storage/detail/le_bytes.hpp"

namespace fg::storage::detail {
namespace {

constexpr std::array<char, 8> segment_magic = {'F', 'G', 'L', 'O', 'G', '0', '0', '1'};
constexpr std::size_t header_crc_offset = 60;
constexpr std::size_t index_digits = 20;

}  // namespace

void encode_segment_header(const segment_header& h,
                           std::span<std::byte, segment_header_bytes> out) {
    std::byte* p = out.data();
    std::memset(p, 0, segment_header_bytes);
    std::memcpy(p, segment_magic.data(), segment_magic.size());
    store_le<std::uint32_t>(p + 8, segment_version);
    store_le<std::uint64_t>(p + 16, h.index);
    store_le<std::uint64_t>(p + 24, h.first_lsn);
    store_le<std::uint64_t>(p + 32, h.segment_bytes);
    store_le<std::uint32_t>(p + header_crc_offset, crc32c({p, header_crc_offset}));
}

bool decode_segment_header(std::span<const std::byte> in, segment_header& h) {
    if (in.size() < segment_header_bytes) return false;
    const std::byte* p = in.data();
    if (std::memcmp(p, segment_magic.data(), segment_magic.size()) != 0) return false;
    if (load_le<std::uint32_t>(p + 8) != segment_version) return false;
    if (load_le<std::uint32_t>(p + header_crc_offset) != crc32c({p, header_crc_offset}))
        return false;
    h.index = load_le<std::uint64_t>(p + 16);
    h.first_lsn = load_le<std::uint64_t>(p + 24);
    h.segment_bytes = load_le<std::uint64_t>(p + 32);
    return true;
}

std::string segment_file_name(std::uint64_t index) {
    char buf[index_digits + 8];
    std::snprintf(buf, sizeof buf, "%020llu.seg", static_cast<unsigned long long>(index));
    return buf;
}

bool parse_segment_file_name(const std::string& name, std::uint64_t& index) {
    if (name.size() != index_digits + 4 || name.compare(index_digits, 4, ".seg") != 0) return false;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < index_digits; ++i) {
        const char c = name[i];
        if (c < '0' || c > '9') return false;
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (v > (UINT64_MAX - digit) / 10) return false;
        v = v * 10 + digit;
    }
    index = v;
    return true;
}

bool list_segments(const std::filesystem::path& dir, std::vector<segment_entry>& out,
                   std::string& error) {
    out.clear();
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::uint64_t index = 0;
        if (!parse_segment_file_name(it->path().filename().string(), index)) continue;
        out.push_back({index, it->path()});
    }
    if (ec) {
        error = "list " + dir.string() + ": " + ec.message();
        return false;
    }
    std::sort(out.begin(), out.end(),
              [](const segment_entry& a, const segment_entry& b) { return a.index < b.index; });
    for (std::size_t i = 1; i < out.size(); ++i) {
        if (out[i].index != out[i - 1].index + 1) {
            error = "missing log segment between " + out[i - 1].path.string() + " and " +
                    out[i].path.string();
            return false;
        }
    }
    return true;
}

bool is_no_space_error(const std::string& error) {
    // posix_file turns errno into text at the failing call; matching that text here keeps the
    // errno of the call itself, which later allocations could not clobber.
    for (const int err : {ENOSPC, EDQUOT}) {
        if (error.find(std::string(": ") + std::strerror(err)) != std::string::npos) return true;
    }
    return false;
}

segment_create create_segment(const std::filesystem::path& dir, const segment_header& h,
                              posix_file& out, std::string& error) {
    const std::filesystem::path final_path = dir / segment_file_name(h.index);
    std::filesystem::path tmp_path = final_path;
    tmp_path += ".tmp";
    posix_file tmp;
    std::array<std::byte, segment_header_bytes> header{};
    encode_segment_header(h, header);
    // Zeros are written, not fallocate'd: fdatasync of a later pwrite into blocks that already
    // exist need not update the file size or extent map, which makes every batch's sync cheaper.
    const bool built =
        tmp.open(tmp_path, posix_file::mode::create_truncate, error) &&
        tmp.pwrite_all(header, 0, error) &&
        tmp.write_zeros(segment_header_bytes, h.segment_bytes - segment_header_bytes, error) &&
        tmp.sync(error);
    tmp.close();
    if (!built || !rename_file(tmp_path, final_path, error)) {
        // Give the blocks of a partial .tmp back at once: on a full disk they are exactly what
        // the next attempt (or anything else on the file system) needs. A failed unlink only
        // leaves a stray .tmp, which start-up ignores and the next attempt truncates.
        std::string ignored;  // ENOENT when open() itself failed: nothing to give back
        (void)remove_file(tmp_path, ignored);
        return is_no_space_error(error) ? segment_create::no_space : segment_create::failed;
    }
    if (!sync_directory(dir, error)) return segment_create::failed;
    return out.open(final_path, posix_file::mode::read_write, error) ? segment_create::ok
                                                                     : segment_create::failed;
}

}  // namespace fg::storage::detail
