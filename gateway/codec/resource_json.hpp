#pragma once

// Response bodies for the gateway's resources. The field names here are the public API: change
// them only together with the OpenAPI document and the load generator's client.

#include <vector>

#include "gateway/codec/json_writer.hpp"
#include "matching/event_codec.hpp"
#include "matching/order.hpp"
#include "matching/sku.hpp"

namespace fg::gateway {

// {"sku_id","name","price":{money},"stock","available","held","sold","per_buyer_limit",
//  "sale":{"starts_at","ends_at"},"low_stock_threshold","status","updated_at"}
// Sale bounds of 0 ("no bound") are written as null.
void write_sku(json_writer& w, const matching::sku_state& sku);

// {"order_id","status","buyer_id","items":[{"sku_id","qty","unit_price"}],"total","payment_method",
//  "contact":{"name","phone","address"},"created_at","hold_expires_at","updated_at",
//  "history":[{"status","at","by", and only when set: "carrier","tracking_no","provider_txn_id",
//              "reason","restock" (only ever true),"hold_expires_at"}]}
// hold_expires_at is null while the order has no hold (0: a risk_review order before approval).
void write_order(json_writer& w, const matching::order& o);

// {"buyers":[buyer ids],"networks":[IP networks]}, in the order given. Entries whose `blocked`
// is false (an unblock record) are left out, so a caller may pass the records as they are.
void write_block_list(json_writer& w, const std::vector<matching::block_changed>& entries);

}  // namespace fg::gateway
