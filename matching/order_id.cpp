#include "matching/order_id.hpp"

namespace fg::matching {

std::string format_order_id(std::uint64_t id) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(order_id_chars, 'o');
    for (std::size_t i = 0; i < 16; ++i) {
        out[order_id_chars - 1 - i] = digits[(id >> (4 * i)) & 0xf];
    }
    return out;
}

std::optional<std::uint64_t> parse_order_id(std::string_view text) {
    if (text.size() != order_id_chars || text[0] != 'o') return std::nullopt;
    std::uint64_t id = 0;
    for (char c : text.substr(1)) {
        std::uint64_t nibble;
        if (c >= '0' && c <= '9') {
            nibble = static_cast<std::uint64_t>(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            nibble = static_cast<std::uint64_t>(c - 'a' + 10);
        } else {
            return std::nullopt;
        }
        id = (id << 4) | nibble;
    }
    if (id == 0) return std::nullopt;
    return id;
}

}  // namespace fg::matching
