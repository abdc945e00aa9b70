#pragma once

// The run's catalogue through the admin API: created before the load with POST /v1/skus:batch
// (1,000 per request, the API's bound) and read back for the audit with GET /v1/skus/{id}.

#include <cstdint>
#include <string>
#include <vector>

#include "loadtest/admin_client.hpp"
#include "loadtest/audit.hpp"
#include "loadtest/workload.hpp"

namespace fg::loadtest {

inline constexpr std::uint64_t sku_batch_max = 1000;

// Empty on success, else what went wrong.
std::string create_skus(admin_client& admin, const workload& w, const std::string& sku_prefix);

// The state of each listed SKU; `error` set if the gateway could not be asked.
std::vector<sku_state> fetch_skus(admin_client& admin, const std::vector<std::uint32_t>& skus,
                                  const std::string& sku_prefix, std::string& error);

}  // namespace fg::loadtest
