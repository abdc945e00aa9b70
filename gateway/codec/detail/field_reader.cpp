#include "gateway/codec/detail/field_reader.hpp"

namespace fg::gateway::detail {
namespace {

// "-123" and "123" but not "1.0", "1e3", "-" or "": the spelling of a JSON integer, which
// tells an integer too large for int64 (out_of_range) from a fraction (wrong_type).
bool is_integer_spelling(std::string_view token) {
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t' || token.back() == '\r' ||
                              token.back() == '\n')) {
        token.remove_suffix(1);
    }
    if (!token.empty() && token.front() == '-') token.remove_prefix(1);
    if (token.empty()) return false;
    for (char c : token) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

decode_error int_error(std::string_view reason, const json_path& at, int_range range) {
    return invalid(reason, at,
                   "must be an integer from " + std::to_string(range.min) + " to " +
                       std::to_string(range.max));
}

}  // namespace

decode_error invalid(std::string_view reason, const json_path& at, std::string_view what) {
    std::string detail = at.dotted();
    detail.append(" ").append(what);
    return decode_error{422, "invalid_request", reason, at.pointer(), std::move(detail)};
}

decode_error malformed(simdjson::error_code e) {
    return decode_error{400, "malformed_json", "malformed_json", "",
                        std::string("the body is not valid JSON: ") + simdjson::error_message(e)};
}

decode_error too_many_items(const json_path& at, std::size_t count_max) {
    return invalid("too_many_items", at,
                   "must have at most " + std::to_string(count_max) + " entries");
}

std::size_t find_field(const field_table& fields, std::string_view key) {
    std::size_t i = 0;
    while (i < fields.names.size() && fields.names[i] != key) ++i;
    return i;
}

decode_result read_raw_string(od::value v, const json_path& at, std::string_view expected,
                              std::string_view& out) {
    if (auto e = v.get_string().get(out)) {
        return e == simdjson::INCORRECT_TYPE ? invalid("wrong_type", at, expected) : malformed(e);
    }
    return std::nullopt;
}

decode_result read_string(od::value v, const json_path& at, const text_rule& rule,
                          std::string& out) {
    std::string_view text;
    if (auto error = read_raw_string(v, at, "must be a string", text)) return error;
    if (text.empty()) return invalid("empty", at, "must not be empty");
    if (auto error = check_text(text, at, rule)) return error;
    out.assign(text);
    return std::nullopt;
}

decode_result check_text(std::string_view text, const json_path& at, const text_rule& rule) {
    if (text.size() > rule.bytes_max) {
        return invalid("too_long", at,
                       "must be at most " + std::to_string(rule.bytes_max) + " bytes long");
    }
    for (char c : text) {
        if (!(*rule.allowed)[static_cast<unsigned char>(c)]) {
            return invalid("invalid_value", at, rule.allowed_text);
        }
    }
    return std::nullopt;
}

decode_result read_bool(od::value v, const json_path& at, bool& out) {
    if (auto e = v.get_bool().get(out)) {
        return e == simdjson::INCORRECT_TYPE ? invalid("wrong_type", at, "must be true or false")
                                             : malformed(e);
    }
    return std::nullopt;
}

decode_result read_int(od::value v, const json_path& at, int_range range, std::int64_t& out) {
    od::json_type type{};
    if (auto e = v.type().get(type)) return malformed(e);
    if (type != od::json_type::number) return int_error("wrong_type", at, range);
    const std::string_view token = v.raw_json_token();
    if (auto e = v.get_int64().get(out)) {
        if (e != simdjson::INCORRECT_TYPE && e != simdjson::NUMBER_OUT_OF_RANGE)
            return malformed(e);
        return int_error(is_integer_spelling(token) ? "out_of_range" : "wrong_type", at, range);
    }
    if (out < range.min || out > range.max) return int_error("out_of_range", at, range);
    return std::nullopt;
}

decode_result read_object(od::value v, const json_path& at, std::string_view expected,
                          od::object& out) {
    if (auto e = v.get_object().get(out)) {
        return e == simdjson::INCORRECT_TYPE ? invalid("wrong_type", at, expected) : malformed(e);
    }
    return std::nullopt;
}

decode_result read_array(od::value v, const json_path& at, od::array& out) {
    if (auto e = v.get_array().get(out)) {
        return e == simdjson::INCORRECT_TYPE ? invalid("wrong_type", at, "must be an array")
                                             : malformed(e);
    }
    return std::nullopt;
}

decode_result read_null(od::value& v, bool& is_null) {
    if (auto e = v.is_null().get(is_null)) return malformed(e);
    return std::nullopt;
}

}  // namespace fg::gateway::detail
