#include "gateway/payment_signature.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <memory>

namespace fg::gateway {
namespace {

// OpenSSL failing to compute an HMAC-SHA256 means a broken installation, not a bad request:
// going on would either accept forged callbacks or refuse every real one.
[[noreturn]] void openssl_failed(const char* what) {
    std::fprintf(stderr, "flashgate: OpenSSL HMAC-SHA256 failed: %s\n", what);
    std::abort();
}

// Fetched once: a fetch walks the provider tables, and the fetched algorithm is immutable and
// may be shared by threads. Never freed (process lifetime).
EVP_MAC* hmac_algorithm() {
    static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
    if (mac == nullptr) openssl_failed("EVP_MAC_fetch(HMAC)");
    return mac;
}

struct mac_ctx_free {
    void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};

// HMAC over the concatenation of `parts`, without building the concatenation.
hmac_sha256_digest hmac_parts(std::string_view key, std::initializer_list<std::string_view> parts) {
    std::unique_ptr<EVP_MAC_CTX, mac_ctx_free> ctx(EVP_MAC_CTX_new(hmac_algorithm()));
    if (!ctx) openssl_failed("EVP_MAC_CTX_new");
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    // A null key means "keep the previous key" to OpenSSL, so an empty key gets a real pointer.
    static const unsigned char no_key = 0;
    const auto* key_bytes =
        key.empty() ? &no_key : reinterpret_cast<const unsigned char*>(key.data());
    if (EVP_MAC_init(ctx.get(), key_bytes, key.size(), params) != 1) {
        openssl_failed("EVP_MAC_init");
    }
    for (std::string_view part : parts) {
        if (EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(part.data()),
                           part.size()) != 1) {
            openssl_failed("EVP_MAC_update");
        }
    }
    hmac_sha256_digest out{};
    std::size_t out_len = 0;
    if (EVP_MAC_final(ctx.get(), out.data(), &out_len, out.size()) != 1 || out_len != out.size()) {
        openssl_failed("EVP_MAC_final");
    }
    return out;
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool decode_hex(std::string_view hex, hmac_sha256_digest& out) {
    if (hex.size() != 2 * out.size()) return false;
    for (std::size_t i = 0; i < out.size(); ++i) {
        const int hi = hex_value(hex[2 * i]);
        const int lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = static_cast<unsigned char>(hi * 16 + lo);
    }
    return true;
}

// 18 digits always fit in int64; a real timestamp has 10.
constexpr std::size_t t_digits_max = 18;

bool parse_seconds(std::string_view digits, std::int64_t& out) {
    if (digits.empty() || digits.size() > t_digits_max) return false;
    std::int64_t v = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    out = v;
    return true;
}

// A header of at most 1 KiB holds at most 15 v1 entries ("v1=" + 64 hex + ",").
constexpr std::size_t v1_entries_max = payment_signature_header_max / 68 + 1;

struct parsed_header {
    std::string_view t_text;
    std::int64_t t = 0;
    std::array<hmac_sha256_digest, v1_entries_max> v1{};
    std::size_t v1_count = 0;
};

// One key=value pair; false when the pair makes the header malformed.
bool parse_pair(std::string_view pair, parsed_header& out) {
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) return false;
    const std::string_view key = trim(pair.substr(0, eq));
    const std::string_view value = trim(pair.substr(eq + 1));
    if (key.empty()) return false;
    if (key == "t") {
        if (!out.t_text.empty()) return false;  // two timestamps: which one was signed?
        if (!parse_seconds(value, out.t)) return false;
        out.t_text = value;
    } else if (key == "v1") {
        if (out.v1_count == out.v1.size()) return false;
        if (!decode_hex(value, out.v1[out.v1_count])) return false;
        ++out.v1_count;
    }
    return true;  // unknown keys (v0, future schemes) are ignored
}

bool parse_header(std::string_view header, parsed_header& out) {
    while (!header.empty()) {
        const std::size_t comma = header.find(',');
        const std::string_view pair = trim(header.substr(0, comma));
        header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
        if (pair.empty()) continue;
        if (!parse_pair(pair, out)) return false;
    }
    return !out.t_text.empty() && out.v1_count > 0;
}

bool outside_window(std::int64_t now_s, std::int64_t t, std::int64_t window_s) {
    std::int64_t diff = 0;
    if (__builtin_sub_overflow(now_s, t, &diff)) return true;
    if (diff < 0) diff = -diff;  // cannot overflow: t >= 0, so diff > INT64_MIN
    return diff > window_s;
}

}  // namespace

hmac_sha256_digest hmac_sha256(std::string_view key, std::string_view data) {
    return hmac_parts(key, {data});
}

signature_check verify_payment_signature(std::string_view header, std::string_view raw_body,
                                         std::string_view secret, std::int64_t now_s,
                                         std::int64_t window_s) {
    if (header.size() > payment_signature_header_max) return signature_check::malformed;
    if (trim(header).empty()) return signature_check::missing;
    parsed_header parsed;
    if (!parse_header(header, parsed)) return signature_check::malformed;
    if (outside_window(now_s, parsed.t, window_s)) return signature_check::stale;
    if (secret.empty()) return signature_check::mismatch;

    const hmac_sha256_digest expected = hmac_parts(secret, {parsed.t_text, ".", raw_body});
    // Every entry is compared, so the time taken does not depend on which one matched.
    int matched = 0;
    for (std::size_t i = 0; i < parsed.v1_count; ++i) {
        matched |= static_cast<int>(
            CRYPTO_memcmp(expected.data(), parsed.v1[i].data(), expected.size()) == 0);
    }
    return matched != 0 ? signature_check::ok : signature_check::mismatch;
}

std::string sign_payment(std::string_view raw_body, std::string_view secret, std::int64_t t) {
    const std::string t_text = std::to_string(t);
    const hmac_sha256_digest mac = hmac_parts(secret, {t_text, ".", raw_body});
    static constexpr char digits[] = "0123456789abcdef";
    std::string out = "t=" + t_text + ",v1=";
    for (unsigned char b : mac) {
        out += digits[b >> 4];
        out += digits[b & 0xf];
    }
    return out;
}

std::string_view to_string(signature_check check) {
    switch (check) {
        case signature_check::ok:
            return "ok";
        case signature_check::missing:
            return "missing";
        case signature_check::malformed:
            return "malformed";
        case signature_check::stale:
            return "stale";
        case signature_check::mismatch:
            return "mismatch";
    }
    return "unknown";
}

}  // namespace fg::gateway
