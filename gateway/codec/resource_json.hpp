#pragma once

// Response bodies for the gateway's resources. The field names here are the public API: change
// them only together with the OpenAPI document and the load generator's client.

#include "gateway/codec/json_writer.hpp"
#include "matching/order.hpp"
#include "matching/sku.hpp"

namespace fg::gateway {

// {"sku_id","name","price":{money},"stock","available","held","sold","per_buyer_limit",
//  "sale":{"starts_at","ends_at"},"low_stock_threshold","status","updated_at"}
// Sale bounds of 0 ("no bound") are written as null.
void write_sku(json_writer& w, const matching::sku_state& sku);

// {"order_id","status","buyer_id","items":[{"sku_id","qty","unit_price"}],"total","payment_method",
//  "contact":{"name","phone","address"},"created_at","hold_expires_at","updated_at"}
void write_order(json_writer& w, const matching::order& o);

}  // namespace fg::gateway
