#include "loadtest/response_parser.hpp"

#include <charconv>

namespace fg::loadtest {

namespace {

bool iequals_prefix(std::string_view line, std::string_view name) {
    if (line.size() < name.size()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        char c = line[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != name[i]) return false;
    }
    return true;
}

std::string_view trim(std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
}

struct head_fields {
    std::size_t content_length = 0;
    bool has_length = false;
    bool chunked = false;
    bool close = false;
};

// Header lines only (the status line is already consumed); names compared lower-case.
head_fields scan_headers(std::string_view headers) {
    head_fields f;
    while (!headers.empty()) {
        const std::size_t eol = headers.find("\r\n");
        const std::string_view line = headers.substr(0, eol);
        headers.remove_prefix(eol == std::string_view::npos ? headers.size() : eol + 2);
        if (iequals_prefix(line, "content-length:")) {
            const std::string_view v = trim(line.substr(15));
            f.has_length =
                std::from_chars(v.data(), v.data() + v.size(), f.content_length).ec == std::errc{};
        } else if (iequals_prefix(line, "connection:")) {
            f.close = iequals_prefix(trim(line.substr(11)), "close");
        } else if (iequals_prefix(line, "transfer-encoding:")) {
            f.chunked = true;
        }
    }
    return f;
}

}  // namespace

response_view parse_response(std::string_view data) {
    response_view r;
    const std::size_t head_end = data.find("\r\n\r\n");
    if (head_end == std::string_view::npos) {
        // 8 KiB of head without an end is not an answer we can frame.
        if (data.size() > 8192) r.result = response_view::state::malformed;
        return r;
    }
    if (data.size() < 12 || data.substr(0, 7) != "HTTP/1." ||
        std::from_chars(data.data() + 9, data.data() + 12, r.status).ec != std::errc{}) {
        r.result = response_view::state::malformed;
        return r;
    }
    const std::size_t first_eol = data.find("\r\n");
    const head_fields f = scan_headers(data.substr(first_eol + 2, head_end - first_eol));
    if (f.chunked || (!f.has_length && r.status != 204 && r.status != 304)) {
        r.result = response_view::state::malformed;
        return r;
    }
    const std::size_t body_start = head_end + 4;
    if (data.size() - body_start < f.content_length) return r;
    r.result = response_view::state::complete;
    r.connection_close = f.close;
    r.size = body_start + f.content_length;
    r.body = data.substr(body_start, f.content_length);
    return r;
}

std::string_view find_json_string(std::string_view body, std::string_view quoted_name_colon_quote) {
    const std::size_t at = body.find(quoted_name_colon_quote);
    if (at == std::string_view::npos) return {};
    const std::size_t start = at + quoted_name_colon_quote.size();
    const std::size_t end = body.find('"', start);
    if (end == std::string_view::npos) return {};
    return body.substr(start, end - start);
}

}  // namespace fg::loadtest
