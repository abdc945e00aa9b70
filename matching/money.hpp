#pragma once

// Money as integer minor units with an ISO 4217 code. Never a float: a yen has no cents and a
// dinar has three decimals, so the code decides how many minor digits an amount carries.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace fg::matching {

// Immutable: three upper-case ASCII letters.
class currency_code {
 public:
    constexpr currency_code() = default;
    // Returns nothing unless `code` is a currency flashgate knows (see money.cpp).
    static std::optional<currency_code> parse(std::string_view code);

    std::string_view view() const { return {letters_.data(), 3}; }
    std::uint8_t minor_digits() const { return minor_digits_; }
    bool empty() const { return letters_[0] == '\0'; }
    friend bool operator==(const currency_code&, const currency_code&) = default;

 private:
    std::array<char, 3> letters_{};
    std::uint8_t minor_digits_ = 0;
};

struct money {
    std::int64_t amount_minor = 0;
    currency_code currency;
    friend bool operator==(const money&, const money&) = default;
};

}  // namespace fg::matching
