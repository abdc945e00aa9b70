#pragma once

// The decoder's building blocks: typed reads of one JSON member with the bounds of
// matching/limits.hpp, and strict iteration of objects (no unknown or repeated members) and
// arrays (bounded length). Private to gateway/codec: request_decoder.cpp composes them into the
// schemas of the API's bodies.

#include <simdjson.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "gateway/codec/decode_error.hpp"
#include "gateway/codec/detail/json_path.hpp"

namespace fg::gateway::detail {

namespace od = simdjson::ondemand;
using decode_result = std::optional<decode_error>;

// 422 invalid_request: "<dotted path> <what>", e.g. "items[3].qty must be an integer ...".
decode_error invalid(std::string_view reason, const json_path& at, std::string_view what);
// 400 malformed_json from a simdjson error. request_decoder re-checks the body as a whole before
// answering, so this is provisional (the real cause may be depth or trailing content).
decode_error malformed(simdjson::error_code e);

using byte_set = std::array<bool, 256>;

template <typename Predicate>
constexpr byte_set make_byte_set(Predicate allowed) {
    byte_set set{};
    for (unsigned c = 0; c < 256; ++c) set[c] = allowed(c);
    return set;
}

// A string member: 1..bytes_max bytes, each in `allowed`; `allowed_text` says which in English.
struct text_rule {
    std::size_t bytes_max;
    const byte_set* allowed;
    std::string_view allowed_text;  // e.g. "must not contain control characters"
};

struct int_range {
    std::int64_t min;
    std::int64_t max;
};

decode_result read_string(od::value v, const json_path& at, const text_rule& rule,
                          std::string& out);
// The length and byte checks of read_string on text already read, without refusing "": for
// members where an empty string is a value.
decode_result check_text(std::string_view text, const json_path& at, const text_rule& rule);
// Any string, checked only for type: the caller validates (currency codes, times, enums).
decode_result read_raw_string(od::value v, const json_path& at, std::string_view expected,
                              std::string_view& out);
// A JSON integer (1.0, 1e3 and "1" are wrong_type) within `range`, else out_of_range.
decode_result read_int(od::value v, const json_path& at, int_range range, std::int64_t& out);
// true or false; anything else is wrong_type.
decode_result read_bool(od::value v, const json_path& at, bool& out);
decode_result read_object(od::value v, const json_path& at, std::string_view expected,
                          od::object& out);
decode_result read_array(od::value v, const json_path& at, od::array& out);
// Consumes a null and sets `is_null`; leaves any other value for the caller to read.
decode_result read_null(od::value& v, bool& is_null);

// The members an object may have (at most 32) and which of them it must have.
struct field_table {
    std::span<const std::string_view> names;
    std::uint32_t required_mask;
};

// Index of `key` in `fields.names`, or fields.names.size() if it is not there.
std::size_t find_field(const field_table& fields, std::string_view key);

// Calls on_field(index, value, path) for each member in document order. Refuses unknown members,
// repeated members (simdjson would accept them; compared after unescaping, so "na\u006de" is
// "name") and, at the end, missing required ones.
template <typename OnField>
decode_result for_each_field(od::object& object, const json_path& at, const field_table& fields,
                             OnField&& on_field) {
    std::uint32_t seen = 0;
    for (auto field : object) {
        std::string_view key;
        if (auto e = field.unescaped_key().get(key)) return malformed(e);
        const std::size_t index = find_field(fields, key);
        if (index == fields.names.size()) {
            return invalid("unknown_field", json_path(at, key), "is not a known member");
        }
        const json_path member_at(at, fields.names[index]);
        const std::uint32_t bit = std::uint32_t{1} << index;
        if ((seen & bit) != 0) return invalid("duplicate_key", member_at, "appears more than once");
        seen |= bit;
        od::value value;
        if (auto e = field.value().get(value)) return malformed(e);
        if (auto error = on_field(index, value, member_at)) return error;
    }
    for (std::size_t i = 0; i < fields.names.size(); ++i) {
        if ((fields.required_mask & ~seen & (std::uint32_t{1} << i)) != 0) {
            return invalid("missing_field", json_path(at, fields.names[i]), "is required");
        }
    }
    return std::nullopt;
}

decode_error too_many_items(const json_path& at, std::size_t count_max);

// Calls on_element(index, value, path) for each element; 1..count_max elements.
template <typename OnElement>
decode_result for_each_element(od::array& array, const json_path& at, std::size_t count_max,
                               OnElement&& on_element) {
    std::size_t index = 0;
    for (auto element : array) {
        if (index == count_max) return too_many_items(at, count_max);
        od::value value;
        if (auto e = element.get(value)) return malformed(e);
        if (auto error = on_element(index, value, json_path(at, index))) return error;
        ++index;
    }
    if (index == 0) return invalid("empty", at, "must not be empty");
    return std::nullopt;
}

}  // namespace fg::gateway::detail
