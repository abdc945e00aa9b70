#pragma once

// Order ids: 64-bit, rendered as "o" + 16 lower-case hex digits. The low byte is the index of
// the shard that created the order, which is also the shard that keeps it (its home), so any
// thread can route a lookup without asking anyone: home = (id & 0xff) % shard_count.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fg::matching {

inline constexpr std::size_t order_id_chars = 17;

std::string format_order_id(std::uint64_t id);
std::optional<std::uint64_t> parse_order_id(std::string_view text);

}  // namespace fg::matching
