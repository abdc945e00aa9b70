#pragma once

// A tiny append-only JSON writer. Responses are built into a caller-owned string that the caller
// reuses from one response to the next, so writing allocates nothing after warm-up.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "matching/money.hpp"

namespace fg::gateway {

// Connection-local: used by one thread to build one body at a time; appends to `out`, never
// clears it. Commas are inserted automatically; misuse (a value where a key is due, unbalanced
// ends, nesting past depth_max) is a bug and aborts (C1).
class json_writer {
 public:
    static constexpr std::size_t depth_max = 16;

    explicit json_writer(std::string& out) : out_(out) {}

    json_writer& begin_object();
    json_writer& end_object();
    json_writer& begin_array();
    json_writer& end_array();
    json_writer& key(std::string_view name);

    json_writer& string(std::string_view text);
    // One string value made of two pieces ("/problems/" + code), without a temporary string.
    json_writer& string_concat(std::string_view head, std::string_view tail);
    json_writer& integer(std::int64_t value);
    json_writer& boolean(bool value);
    json_writer& null_value();
    // {"amount_minor":N,"currency":"CNY"}
    json_writer& money(const matching::money& amount);
    // An RFC 3339 string (gateway/codec/rfc3339.hpp).
    json_writer& time_ms(std::int64_t ms);
    // As time_ms, but 0 ("no bound", "never") is written as null.
    json_writer& time_ms_or_null(std::int64_t ms);

    // True once exactly one top-level value has been written and every container closed.
    bool complete() const { return depth_ == 0 && wrote_top_level_; }

 private:
    enum class frame : std::uint8_t { object, array };

    void before_value();
    void open(frame kind, char bracket);
    void close(frame kind, char bracket);
    void append_quoted(std::string_view text);
    void append_escaped(std::string_view text);

    std::string& out_;
    std::array<frame, depth_max> frames_{};
    std::array<bool, depth_max> has_members_{};
    std::size_t depth_ = 0;
    bool key_pending_ = false;  // a key was written and its value is due
    bool wrote_top_level_ = false;
};

}  // namespace fg::gateway
