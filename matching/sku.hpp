#pragma once

// A stock-keeping unit as a merchant defines it (sku_spec) and as a shard holds it (sku_state).

#include <cstdint>
#include <optional>
#include <string>

#include "matching/money.hpp"

namespace fg::matching {

enum class sku_status : std::uint8_t { listed = 0, delisted = 1 };

// Times are milliseconds since the Unix epoch, UTC. Zero means "no bound on that side".
struct sale_window {
    std::int64_t starts_at_ms = 0;
    std::int64_t ends_at_ms = 0;
    friend bool operator==(const sale_window&, const sale_window&) = default;
};

// What a merchant sends in PUT /v1/skus/{id}: every field is optional so that an update names
// only what changes. Creating a SKU needs name, price and stock.
struct sku_spec {
    std::optional<std::string> name;
    std::optional<money> price;
    std::optional<std::int64_t> stock;            // the total ever set: available + held + sold
    std::optional<std::int64_t> per_buyer_limit;  // 0 = no limit
    std::optional<sale_window> sale;
    std::optional<std::int64_t> low_stock_threshold;
    std::optional<sku_status> status;
};

// Shard-local: owned by the shard that owns the SKU id (see shard_map).
struct sku_state {
    std::string id;
    std::string name;
    money price;
    std::int64_t stock = 0;  // M1: stock == available + held + sold
    std::int64_t held = 0;
    std::int64_t sold = 0;
    std::int64_t per_buyer_limit = 0;
    sale_window sale;
    std::int64_t low_stock_threshold = 0;
    sku_status status = sku_status::listed;
    std::int64_t updated_at_ms = 0;

    std::int64_t available() const { return stock - held - sold; }
};

}  // namespace fg::matching
