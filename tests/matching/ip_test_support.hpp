#pragma once

// Parses test addresses and networks, failing the test (not crashing) on a typo.

#include <gtest/gtest.h>

#include <string_view>

#include "matching/ip_address.hpp"

namespace fg::matching::testing {

inline ip_address ip(std::string_view text) {
    auto parsed = parse_ip(text);
    EXPECT_TRUE(parsed.has_value()) << text;
    return parsed.value_or(ip_address{});
}

inline ip_network net(std::string_view text) {
    auto parsed = parse_network(text);
    EXPECT_TRUE(parsed.has_value()) << text;
    return parsed.value_or(ip_network{});
}

}  // namespace fg::matching::testing
