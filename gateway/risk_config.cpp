#include "gateway/risk_config.hpp"

#include <charconv>
#include <cmath>
#include <optional>

namespace fg::gateway {
namespace {

namespace rl = matching::risk_limits;

template <class T>
std::optional<T> number(std::string_view text) {
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// Seconds in one "s", "m" or "h".
std::optional<std::int64_t> unit_seconds(std::string_view unit) {
    if (unit == "s") return 1;
    if (unit == "m") return 60;
    if (unit == "h") return 3600;
    return std::nullopt;
}

std::optional<matching::risk_action> action(std::string_view text) {
    if (text == "allow") return matching::risk_action::allow;
    if (text == "review") return matching::risk_action::review;
    if (text == "reject") return matching::risk_action::reject;
    return std::nullopt;
}

// "off", or "N/s", "N/m", "N/h" with an optional ":BURST"; N may have a fraction.
std::optional<matching::rate_limit> rate(std::string_view text) {
    if (text == "off") return matching::rate_limit{};
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    const auto colon = text.find(':', slash);
    auto count = number<double>(text.substr(0, slash));
    auto per = unit_seconds(text.substr(
        slash + 1, colon == std::string_view::npos ? std::string_view::npos : colon - slash - 1));
    if (!count || !per || !std::isfinite(*count) || *count <= 0) return std::nullopt;
    matching::rate_limit r{*count / static_cast<double>(*per), 0};
    if (r.per_second < rl::rate_per_second_min || r.per_second > rl::rate_per_second_max) {
        return std::nullopt;
    }
    if (colon != std::string_view::npos) {
        auto burst = number<std::uint32_t>(text.substr(colon + 1));
        if (!burst || *burst < 1 || *burst > rl::burst_max) return std::nullopt;
        r.burst = *burst;
    }
    return r;
}

// "off", or "N/T{s,m,h}:ACTION", e.g. "3/10s:review".
std::optional<matching::velocity_rule> velocity(std::string_view text) {
    if (text == "off") return matching::velocity_rule{};
    const auto slash = text.find('/');
    const auto colon = text.find(':');
    if (slash == std::string_view::npos || colon == std::string_view::npos || colon < slash + 3) {
        return std::nullopt;
    }
    auto orders = number<std::uint32_t>(text.substr(0, slash));
    const std::string_view window = text.substr(slash + 1, colon - slash - 1);
    auto span = number<std::int64_t>(window.substr(0, window.size() - 1));
    auto per = unit_seconds(window.substr(window.size() - 1));
    auto act = action(text.substr(colon + 1));
    if (!orders || *orders < 1 || *orders > rl::velocity_orders_max || !span || !per || !act) {
        return std::nullopt;
    }
    if (*span < 1 || *span > rl::velocity_window_ms_max / 1000 / *per) return std::nullopt;
    return matching::velocity_rule{*orders, *span * *per * 1000, *act};
}

std::optional<std::uint8_t> prefix_bits(std::string_view text, unsigned max) {
    auto bits = number<unsigned>(text);
    if (!bits || *bits < 1 || *bits > max) return std::nullopt;
    return static_cast<std::uint8_t>(*bits);
}

// What a value should look like, for the error message.
std::string_view expected(std::string_view name) {
    if (name.starts_with("rate-"))
        return "N/s, N/m or N/h, optionally :BURST (e.g. 5/s:10), or off";
    if (name.starts_with("velocity-"))
        return "N/T{s,m,h}:allow|review|reject (e.g. 3/10s:review), or off";
    if (name == "new-location") return "allow, review or reject";
    if (name == "ip-prefix-v4") return "1..32";
    return "1..128";
}

}  // namespace

bool apply_risk_option(matching::risk_options& options, std::string_view name,
                       std::string_view value, std::string& message) {
    bool ok = false;
    if (name == "rate-buyer" || name == "rate-ip") {
        if (auto r = rate(value)) {
            (name == "rate-buyer" ? options.buyer_rate : options.ip_rate) = *r;
            ok = true;
        }
    } else if (name == "velocity-buyer" || name == "velocity-ip") {
        if (auto v = velocity(value)) {
            (name == "velocity-buyer" ? options.buyer_velocity : options.ip_velocity) = *v;
            ok = true;
        }
    } else if (name == "new-location") {
        if (auto a = action(value)) {
            options.new_location = *a;
            ok = true;
        }
    } else if (name == "ip-prefix-v4" || name == "ip-prefix-v6") {
        const bool v4 = name == "ip-prefix-v4";
        if (auto bits = prefix_bits(value, v4 ? 32 : 128)) {
            (v4 ? options.ipv4_prefix_bits : options.ipv6_prefix_bits) = *bits;
            ok = true;
        }
    } else {
        message = "unknown option --" + std::string(name) + " (see --help)";
        return false;
    }
    if (!ok) {
        message = "invalid value '" + std::string(value) + "' for --" + std::string(name) +
                  " (expected " + std::string(expected(name)) + ")";
    }
    return ok;
}

}  // namespace fg::gateway
