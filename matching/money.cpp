#include "matching/money.hpp"

#include <algorithm>
#include <array>

namespace fg::matching {
namespace {

struct currency_entry {
    std::string_view code;
    std::uint8_t minor_digits;
};

// ISO 4217 currencies a storefront is likely to settle in, with their minor-unit exponent.
// Zero-decimal (JPY, KRW, VND, CLP, ...) and three-decimal (KWD, BHD, ...) codes are listed on
// purpose: they are where a "cents" assumption breaks. Sorted for binary search.
constexpr currency_entry currencies[] = {
    {"AED", 2}, {"AUD", 2}, {"BHD", 3}, {"BRL", 2}, {"CAD", 2}, {"CHF", 2}, {"CLP", 0}, {"CNY", 2},
    {"CZK", 2}, {"DKK", 2}, {"EUR", 2}, {"GBP", 2}, {"HKD", 2}, {"HUF", 2}, {"IDR", 2}, {"ILS", 2},
    {"INR", 2}, {"IQD", 3}, {"ISK", 0}, {"JOD", 3}, {"JPY", 0}, {"KRW", 0}, {"KWD", 3}, {"LYD", 3},
    {"MOP", 2}, {"MXN", 2}, {"MYR", 2}, {"NOK", 2}, {"NZD", 2}, {"OMR", 3}, {"PHP", 2}, {"PLN", 2},
    {"RUB", 2}, {"SAR", 2}, {"SEK", 2}, {"SGD", 2}, {"THB", 2}, {"TND", 3}, {"TRY", 2}, {"TWD", 2},
    {"UGX", 0}, {"USD", 2}, {"VND", 0}, {"XAF", 0}, {"XOF", 0}, {"ZAR", 2},
};

static_assert(std::is_sorted(std::begin(currencies), std::end(currencies),
                             [](const currency_entry& a, const currency_entry& b) {
                                 return a.code < b.code;
                             }));

// A three-letter code as one number, ordered as the letters are: every order placed or
// replayed parses a code per line, and comparing numbers is cheaper than comparing strings.
constexpr std::uint32_t packed(std::string_view code) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(code[0])) << 16 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(code[1])) << 8 |
           static_cast<unsigned char>(code[2]);
}

constexpr auto packed_codes = [] {
    std::array<std::uint32_t, std::size(currencies)> out{};
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = packed(currencies[i].code);
    return out;
}();

}  // namespace

std::optional<currency_code> currency_code::parse(std::string_view code) {
    if (code.size() != 3) return std::nullopt;
    const std::uint32_t key = packed(code);
    const auto it = std::lower_bound(packed_codes.begin(), packed_codes.end(), key);
    if (it == packed_codes.end() || *it != key) return std::nullopt;
    const currency_entry* entry = &currencies[it - packed_codes.begin()];
    currency_code out;
    std::copy_n(code.data(), 3, out.letters_.begin());
    out.minor_digits_ = entry->minor_digits;
    return out;
}

}  // namespace fg::matching
