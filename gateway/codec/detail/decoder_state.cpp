#include "gateway/codec/detail/decoder_state.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <string>

namespace fg::gateway::detail {
namespace {

constexpr std::size_t initial_capacity = 64 * 1024;
// The On-Demand parser's argument is its *maximum* document size; it grows to it on demand.
// The batch route takes up to 1 MiB, and the decoder refuses anything above 4 MiB itself.
constexpr std::size_t document_bytes_max = 4 * 1024 * 1024;

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// One past the end of the container that `text` starts with (after whitespace), found by
// bracket counting outside strings; npos if `text` does not start with one or never closes it.
// One step of a byte scan that must not look inside JSON strings: true when text[i] is a quote
// or string content (an escape's second byte is stepped over by advancing i).
bool skip_string_byte(const char* text, std::size_t& i, bool& in_string) {
    if (in_string) {
        if (text[i] == '\\') {
            ++i;
        } else if (text[i] == '"') {
            in_string = false;
        }
        return true;
    }
    if (text[i] != '"') return false;
    in_string = true;
    return true;
}

std::size_t end_of_first_container(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size() && is_json_space(text[i])) ++i;
    if (i == text.size() || (text[i] != '{' && text[i] != '[')) return std::string_view::npos;
    std::size_t depth = 0;
    bool in_string = false;
    for (; i < text.size(); ++i) {
        if (skip_string_byte(text.data(), i, in_string)) continue;
        const char c = text[i];
        if (c == '{' || c == '[') {
            ++depth;
        } else if ((c == '}' || c == ']') && --depth == 0) {
            return i + 1;
        }
    }
    return std::string_view::npos;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The JSON number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view t) {
    std::size_t i = 0;
    const auto digits = [&] {
        const std::size_t start = i;
        while (i < t.size() && is_digit(t[i])) ++i;
        return i - start;
    };
    if (i < t.size() && t[i] == '-') ++i;
    if (i < t.size() && t[i] == '0') {
        ++i;
    } else if (digits() == 0) {
        return false;
    }
    if (i < t.size() && t[i] == '.' && (++i, digits() == 0)) return false;
    if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
        ++i;
        if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
        if (digits() == 0) return false;
    }
    return i == t.size();
}

// Overwrites every well-formed number outside strings with "0" and spaces (same length), so the
// validator judges structure rather than range: simdjson refuses 1e400 and integers past 64 bits
// with the same NUMBER_ERROR as "01", though only the latter is malformed JSON.
void neutralize_numbers(char* text, std::size_t length) {
    const auto is_number_char = [](char c) {
        return is_digit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
    };
    bool in_string = false;
    for (std::size_t i = 0; i < length; ++i) {
        if (skip_string_byte(text, i, in_string)) continue;
        const char c = text[i];
        if (c != '-' && !is_digit(c)) continue;
        std::size_t end = i;
        while (end < length && is_number_char(text[end])) ++end;
        if (is_json_number(std::string_view(text + i, end - i))) {
            text[i] = '0';
            std::memset(text + i + 1, ' ', end - i - 1);
        }
        i = end - 1;
    }
}

decode_error body_error(std::uint16_t status, std::string_view reason, std::string detail) {
    return decode_error{status, status == 400 ? "malformed_json" : "invalid_request", reason, "",
                        std::move(detail)};
}

}  // namespace

decoder_state::decoder_state(std::size_t nesting_depth_max)
    : nesting_depth_max_(nesting_depth_max), parser_(document_bytes_max) {
    // simdjson counts the document itself as a level: depth N admits N - 1 nested containers.
    if (validator_.allocate(initial_capacity, nesting_depth_max_ + 1) != simdjson::SUCCESS) {
        throw std::bad_alloc();  // start-up only (STYLE: exceptions at start-up)
    }
}

decode_result decoder_state::open(std::string_view body, od::document& doc, od::object& root) {
    length_ = body.size();
    const std::size_t needed = length_ + simdjson::SIMDJSON_PADDING;
    if (needed > padded_capacity_) {
        padded_capacity_ = std::max(needed, 2 * padded_capacity_);
        padded_ = std::make_unique<char[]>(padded_capacity_);
    }
    if (length_ != 0) std::memcpy(padded_.get(), body.data(), length_);
    std::memset(padded_.get() + length_, 0, simdjson::SIMDJSON_PADDING);
    if (auto e = parser_.iterate(padded_.get(), length_, padded_capacity_).get(doc)) {
        return explain(malformed(e));
    }
    if (auto e = doc.get_object().get(root)) {
        if (e != simdjson::INCORRECT_TYPE) return explain(malformed(e));
        return explain(body_error(422, "not_an_object", "the body must be a JSON object"));
    }
    return std::nullopt;
}

decode_result decoder_state::finish(od::document& doc, decode_result found) {
    if (!found) {
        const char* rest = nullptr;
        // current_location() fails (OUT_OF_BOUNDS) exactly when the root object ended the body.
        if (doc.current_location().get(rest) == simdjson::SUCCESS) {
            found = body_error(400, "trailing_content", "the body has content after its object");
        }
    }
    if (!found) return std::nullopt;
    return explain(std::move(*found));
}

simdjson::error_code decoder_state::validate(std::size_t length) {
    simdjson::dom::element ignored;
    return validator_.parse(padded_.get(), length, false).get(ignored);
}

decode_error decoder_state::explain(decode_error found) {
    // On-Demand is done with the buffer: the schema's complaint already holds its own strings.
    neutralize_numbers(padded_.get(), length_);
    const simdjson::error_code e = validate(length_);
    if (e == simdjson::SUCCESS) return found;  // valid JSON: the schema's complaint stands
    if (e == simdjson::EMPTY) {
        return body_error(400, "empty", "the body is empty; a JSON object is required");
    }
    if (e == simdjson::DEPTH_ERROR) {
        return body_error(422, "too_deep",
                          "the body nests arrays and objects deeper than " +
                              std::to_string(nesting_depth_max_) + " levels");
    }
    const std::string_view body(padded_.get(), length_);
    const std::size_t end = end_of_first_container(body);
    if (end != std::string_view::npos && validate(end) == simdjson::SUCCESS) {
        return body_error(400, "trailing_content", "the body has content after its object");
    }
    return body_error(400, "malformed_json",
                      std::string("the body is not valid JSON: ") + simdjson::error_message(e));
}

}  // namespace fg::gateway::detail
