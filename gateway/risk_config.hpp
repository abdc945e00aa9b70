#pragma once

// Parsing of the risk-rule flags (--rate-buyer, --rate-ip, --velocity-buyer, --velocity-ip,
// --new-location, --ip-prefix-v4, --ip-prefix-v6) into matching::risk_options.

#include <string>
#include <string_view>

#include "matching/risk.hpp"

namespace fg::gateway {

// Applies one option by name (without the leading "--"). False with `message` set for an
// unknown name or a bad value; `options` is then unchanged.
bool apply_risk_option(matching::risk_options& options, std::string_view name,
                       std::string_view value, std::string& message);

}  // namespace fg::gateway
