#include "gateway/codec/rfc3339.hpp"

#include <array>

namespace fg::gateway {
namespace {

constexpr std::int64_t ms_per_day = 86'400'000;

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil): count
// in 400-year eras that start on March 1st, so the leap day is the last day of its year.
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto year_of_era = static_cast<unsigned>(y - era * 400);                 // [0, 399]
    const unsigned day_of_year = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
    const unsigned day_of_era =
        year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;  // [0, 146096]
    return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

struct civil_date {
    std::int64_t year;
    unsigned month;
    unsigned day;
};

// The inverse of days_from_civil.
constexpr civil_date civil_from_days(std::int64_t z) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto day_of_era = static_cast<unsigned>(z - era * 146097);
    const unsigned year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    const unsigned day_of_year =
        day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    const unsigned mp = (5 * day_of_year + 2) / 153;
    const unsigned day = day_of_year - (153 * mp + 2) / 5 + 1;
    const unsigned month = mp < 10 ? mp + 3 : mp - 9;
    return {static_cast<std::int64_t>(year_of_era) + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11017);
static_assert(civil_from_days(11017).year == 2000 && civil_from_days(11017).month == 3);

constexpr bool is_leap(std::int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

constexpr unsigned days_in_month(std::int64_t y, unsigned m) {
    constexpr std::array<unsigned, 12> days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

// A left-to-right reader of fixed-width digit fields; any mismatch poisons it.
class cursor {
 public:
    explicit cursor(std::string_view text) : text_(text) {}

    unsigned digits(std::size_t count) {
        unsigned value = 0;
        for (std::size_t i = 0; i < count; ++i) {
            if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9') {
                ok_ = false;
                return 0;
            }
            value = value * 10 + static_cast<unsigned>(text_[pos_++] - '0');
        }
        return value;
    }
    void expect(char c) { ok_ = ok_ && take_if(c); }
    bool take_if(char c) {
        if (pos_ < text_.size() && text_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    bool peek_digit() const {
        return pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9';
    }
    bool ok() const { return ok_; }
    bool done() const { return pos_ == text_.size(); }

 private:
    std::string_view text_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

// ".fraction" -> milliseconds, truncated; 1 to 9 digits.
std::optional<std::int64_t> read_fraction_ms(cursor& in) {
    if (!in.take_if('.')) return 0;
    std::int64_t ms = 0;
    std::size_t count = 0;
    for (; in.peek_digit(); ++count) {
        const unsigned digit = in.digits(1);
        if (count < 3) ms = ms * 10 + digit;
    }
    if (count == 0 || count > 9) return std::nullopt;
    for (; count < 3; ++count) ms *= 10;
    return ms;
}

// "Z" -> 0, "+hh:mm" / "-hh:mm" -> signed minutes east of UTC.
std::optional<std::int64_t> read_offset_minutes(cursor& in) {
    if (in.take_if('Z') || in.take_if('z')) return 0;
    int sign = 0;
    if (in.take_if('+'))
        sign = 1;
    else if (in.take_if('-'))
        sign = -1;
    else
        return std::nullopt;
    const unsigned hh = in.digits(2);
    in.expect(':');
    const unsigned mm = in.digits(2);
    if (!in.ok() || hh > 23 || mm > 59) return std::nullopt;
    return sign * static_cast<std::int64_t>(hh * 60 + mm);
}

}  // namespace

std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text) {
    cursor in(text);
    const unsigned year = in.digits(4);
    in.expect('-');
    const unsigned month = in.digits(2);
    in.expect('-');
    const unsigned day = in.digits(2);
    if (!in.take_if('T') && !in.take_if('t')) return std::nullopt;
    const unsigned hour = in.digits(2);
    in.expect(':');
    const unsigned minute = in.digits(2);
    in.expect(':');
    const unsigned second = in.digits(2);
    if (!in.ok() || year < 1970 || month < 1 || month > 12 || day < 1 ||
        day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 59) {
        return std::nullopt;
    }
    const auto fraction_ms = read_fraction_ms(in);
    const auto offset_minutes = read_offset_minutes(in);
    if (!fraction_ms || !offset_minutes || !in.done()) return std::nullopt;
    const std::int64_t local_ms = days_from_civil(year, month, day) * ms_per_day +
                                  (hour * 3600 + minute * 60 + second) * std::int64_t{1000} +
                                  *fraction_ms;
    const std::int64_t utc_ms = local_ms - *offset_minutes * 60'000;
    if (utc_ms < 0) return std::nullopt;
    return utc_ms;
}

void append_rfc3339_ms(std::string& out, std::int64_t ms) {
    // Floor division, so that a (never expected) negative input still renders a valid date.
    std::int64_t days = ms / ms_per_day;
    std::int64_t ms_of_day = ms % ms_per_day;
    if (ms_of_day < 0) {
        ms_of_day += ms_per_day;
        --days;
    }
    const civil_date date = civil_from_days(days);
    // Built in a local buffer and appended once: this runs several times per response.
    std::array<char, 48> buf{};
    char* p = buf.data();
    const auto put = [&p](std::uint64_t value, int width) {
        char* end = p + width;
        for (char* q = end; q != p;) {
            *--q = static_cast<char>('0' + value % 10);
            value /= 10;
        }
        p = end;
    };
    std::int64_t year = date.year;
    if (year < 0) {
        *p++ = '-';
        year = -year;
    }
    put(static_cast<std::uint64_t>(year), year > 9999 ? 12 : 4);
    *p++ = '-';
    put(date.month, 2);
    *p++ = '-';
    put(date.day, 2);
    *p++ = 'T';
    put(static_cast<std::uint64_t>(ms_of_day / 3'600'000), 2);
    *p++ = ':';
    put(static_cast<std::uint64_t>(ms_of_day / 60'000 % 60), 2);
    *p++ = ':';
    put(static_cast<std::uint64_t>(ms_of_day / 1000 % 60), 2);
    if (ms_of_day % 1000 != 0) {
        *p++ = '.';
        put(static_cast<std::uint64_t>(ms_of_day % 1000), 3);
    }
    *p++ = 'Z';
    out.append(buf.data(), p);
}

std::string format_rfc3339_ms(std::int64_t ms) {
    std::string out;
    append_rfc3339_ms(out, ms);
    return out;
}

}  // namespace fg::gateway
