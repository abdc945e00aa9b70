#include "gateway/codec/json_writer.hpp"

#include <charconv>

#include "gateway/codec/rfc3339.hpp"
#include "matching/assert.hpp"

namespace fg::gateway {
namespace {

// Length of the valid UTF-8 sequence starting at text[i] (1 to 4), or 0 if it is not one
// (overlong forms, surrogates and code points past U+10FFFF included).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) low = 0xA0;
        if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) low = 0x90;
        if (lead == 0xF4) high = 0x8F;
    } else {
        return 0;
    }
    if (i + length > text.size()) return 0;
    if (byte(i + 1) < low || byte(i + 1) > high) return 0;
    for (std::size_t k = 2; k < length; ++k) {
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
    }
    return length;
}

// Bytes copied as they are without further thought: printable ASCII except '"' and '\\'.
constexpr std::array<bool, 256> plain_bytes = [] {
    std::array<bool, 256> plain{};
    for (unsigned c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
    return plain;
}();

}  // namespace

void json_writer::before_value() {
    if (depth_ == 0) {
        FG_ASSERT(!wrote_top_level_, "C1");
        wrote_top_level_ = true;
        return;
    }
    if (frames_[depth_ - 1] == frame::object) {
        FG_ASSERT(key_pending_, "C1");
        key_pending_ = false;
        return;
    }
    if (has_members_[depth_ - 1]) out_.push_back(',');
    has_members_[depth_ - 1] = true;
}

void json_writer::open(frame kind, char bracket) {
    before_value();
    FG_ASSERT(depth_ < depth_max, "C1");
    frames_[depth_] = kind;
    has_members_[depth_] = false;
    ++depth_;
    out_.push_back(bracket);
}

void json_writer::close(frame kind, char bracket) {
    FG_ASSERT(depth_ > 0 && frames_[depth_ - 1] == kind && !key_pending_, "C1");
    --depth_;
    out_.push_back(bracket);
}

json_writer& json_writer::begin_object() {
    open(frame::object, '{');
    return *this;
}

json_writer& json_writer::end_object() {
    close(frame::object, '}');
    return *this;
}

json_writer& json_writer::begin_array() {
    open(frame::array, '[');
    return *this;
}

json_writer& json_writer::end_array() {
    close(frame::array, ']');
    return *this;
}

json_writer& json_writer::key(std::string_view name) {
    FG_ASSERT(depth_ > 0 && frames_[depth_ - 1] == frame::object && !key_pending_, "C1");
    if (has_members_[depth_ - 1]) out_.push_back(',');
    has_members_[depth_ - 1] = true;
    append_quoted(name);
    out_.push_back(':');
    key_pending_ = true;
    return *this;
}

json_writer& json_writer::string(std::string_view text) {
    before_value();
    append_quoted(text);
    return *this;
}

json_writer& json_writer::string_concat(std::string_view head, std::string_view tail) {
    before_value();
    out_.push_back('"');
    append_escaped(head);
    append_escaped(tail);
    out_.push_back('"');
    return *this;
}

json_writer& json_writer::integer(std::int64_t value) {
    before_value();
    char buf[24];
    const auto result = std::to_chars(buf, buf + sizeof buf, value);
    out_.append(buf, result.ptr);
    return *this;
}

json_writer& json_writer::boolean(bool value) {
    before_value();
    out_.append(value ? "true" : "false");
    return *this;
}

json_writer& json_writer::null_value() {
    before_value();
    out_.append("null");
    return *this;
}

json_writer& json_writer::money(const matching::money& amount) {
    return begin_object()
        .key("amount_minor")
        .integer(amount.amount_minor)
        .key("currency")
        .string(amount.currency.empty() ? std::string_view{} : amount.currency.view())
        .end_object();
}

json_writer& json_writer::time_ms(std::int64_t ms) {
    before_value();
    out_.push_back('"');
    append_rfc3339_ms(out_, ms);
    out_.push_back('"');
    return *this;
}

json_writer& json_writer::time_ms_or_null(std::int64_t ms) {
    return ms == 0 ? null_value() : time_ms(ms);
}

void json_writer::append_quoted(std::string_view text) {
    out_.push_back('"');
    append_escaped(text);
    out_.push_back('"');
}

// Escapes `text` (without quotes). Runs of bytes that need no escaping are appended in one go;
// control characters become \u00XX; invalid UTF-8 (which the decoder never lets in, but a replayed
// record might carry) becomes U+FFFD so that the output is always valid JSON.
void json_writer::append_escaped(std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    std::size_t run_start = 0;
    std::size_t i = 0;
    const auto flush = [&] { out_.append(text.data() + run_start, i - run_start); };
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (plain_bytes[c]) {
            ++i;
            continue;
        }
        if (c >= 0x80) {
            if (const std::size_t n = utf8_sequence_length(text, i); n != 0) {
                i += n;
                continue;
            }
        }
        flush();
        if (c == '"' || c == '\\') {
            out_.push_back('\\');
            out_.push_back(static_cast<char>(c));
        } else if (c < 0x20) {
            out_.append("\\u00");
            out_.push_back(hex[c >> 4]);
            out_.push_back(hex[c & 0xf]);
        } else {
            out_.append("\\ufffd");
        }
        run_start = ++i;
    }
    flush();
}

}  // namespace fg::gateway
