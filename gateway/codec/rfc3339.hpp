#pragma once

// RFC 3339 timestamps <-> milliseconds since the Unix epoch (UTC). The API speaks RFC 3339; the
// domain keeps integer milliseconds (matching/sku.hpp), so this is the only place that converts.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fg::gateway {

// Accepts "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)", with 't' and 'z' allowed in lower
// case, a fraction of 1 to 9 digits (truncated to milliseconds) and years 1970..9999. Refuses
// impossible dates (2026-02-29), leap seconds (":60", which an epoch count cannot represent) and
// instants before the epoch (1970-01-01T00:30:00+01:00).
std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text);

// "2026-11-23T12:00:00Z", or "2026-11-23T12:00:00.123Z" when ms is not a whole second.
std::string format_rfc3339_ms(std::int64_t ms);

// Appends the same text to `out`: the response writer's path, which reuses its buffer.
void append_rfc3339_ms(std::string& out, std::int64_t ms);

}  // namespace fg::gateway
