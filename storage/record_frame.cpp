#include "storage/record_frame.hpp"

#include <cstring>

#include "storage/crc32c.hpp"

namespace fg::storage {
namespace {

template <class T>
void store(std::byte* p, T v) noexcept {
    std::memcpy(p, &v, sizeof v);
}

template <class T>
T load(const std::byte* p) noexcept {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

}  // namespace

std::uint32_t encode_frame_body(std::span<std::byte> dst, std::uint64_t lsn, std::uint16_t type,
                                std::span<const std::byte> payload) noexcept {
    const auto frame_len = static_cast<std::uint32_t>(frame_bytes(payload.size()));
    std::byte* p = dst.data();
    store<std::uint64_t>(p + frame_lsn_offset, lsn);
    store<std::uint16_t>(p + frame_type_offset, type);
    store<std::uint16_t>(p + frame_type_offset + 2, 0);
    store<std::uint32_t>(p + frame_payload_len_offset, static_cast<std::uint32_t>(payload.size()));
    if (!payload.empty()) std::memcpy(p + frame_header_bytes, payload.data(), payload.size());
    const std::size_t used = frame_header_bytes + payload.size();
    std::memset(p + used, 0, frame_len - used);
    const std::uint32_t crc = crc32c({p + frame_lsn_offset, used - frame_lsn_offset});
    store<std::uint32_t>(p + frame_crc_offset, crc);
    return frame_len;
}

std::uint32_t encode_frame(std::span<std::byte> dst, std::uint64_t lsn, std::uint16_t type,
                           std::span<const std::byte> payload) noexcept {
    const std::uint32_t frame_len = encode_frame_body(dst, lsn, type, payload);
    store<std::uint32_t>(dst.data() + frame_len_offset, frame_len);
    return frame_len;
}

std::string_view to_string(frame_status s) noexcept {
    switch (s) {
        case frame_status::ok:
            return "ok";
        case frame_status::end:
            return "zero frame length";
        case frame_status::truncated:
            return "frame runs past the end of the segment";
        case frame_status::bad_length:
            return "impossible frame length";
        case frame_status::bad_crc:
            return "CRC32C mismatch";
        case frame_status::bad_type:
            return "record type 0";
        case frame_status::bad_lsn:
            return "LSN not increasing";
    }
    return "unknown";
}

frame_view decode_frame(std::span<const std::byte> src, std::uint64_t lsn_min) noexcept {
    frame_view f;
    if (src.size() < sizeof(std::uint32_t)) return f;  // no room for a frame: end
    f.frame_len = load<std::uint32_t>(src.data() + frame_len_offset);
    if (f.frame_len == 0) return f;
    if (src.size() < frame_header_bytes) {
        f.status = frame_status::truncated;
        return f;
    }
    const std::byte* p = src.data();
    const auto payload_len = load<std::uint32_t>(p + frame_payload_len_offset);
    if (f.frame_len % frame_align != 0 || f.frame_len != frame_bytes(payload_len)) {
        f.status = frame_status::bad_length;
        return f;
    }
    if (f.frame_len > src.size()) {
        f.status = frame_status::truncated;
        return f;
    }
    const std::uint32_t crc = load<std::uint32_t>(p + frame_crc_offset);
    const std::size_t covered = frame_header_bytes + payload_len - frame_lsn_offset;
    if (crc != crc32c({p + frame_lsn_offset, covered})) {
        f.status = frame_status::bad_crc;
        return f;
    }
    f.lsn = load<std::uint64_t>(p + frame_lsn_offset);
    f.type = load<std::uint16_t>(p + frame_type_offset);
    if (f.type == frame_type_padding) {
        f.status = frame_status::bad_type;
        return f;
    }
    if (f.lsn < lsn_min) {
        f.status = frame_status::bad_lsn;
        return f;
    }
    f.payload = src.subspan(frame_header_bytes, payload_len);
    f.status = frame_status::ok;
    return f;
}

}  // namespace fg::storage
