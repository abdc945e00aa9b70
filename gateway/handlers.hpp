#pragma once

// The route handlers. Each decodes its input, calls its worker's shard, and answers through
// the session when the shard replies (on the same thread).

#include <memory>
#include <string_view>

#include "gateway/session.hpp"

namespace fg::gateway {

void handle_livez(const std::shared_ptr<session>& s);
void handle_readyz(const std::shared_ptr<session>& s);
void handle_metrics(const std::shared_ptr<session>& s);
void handle_sku_put(const std::shared_ptr<session>& s, std::string_view sku_id,
                    std::string_view body);
void handle_sku_get(const std::shared_ptr<session>& s, std::string_view sku_id);
void handle_sku_batch(const std::shared_ptr<session>& s, std::string_view body);
void handle_sku_stock(const std::shared_ptr<session>& s, std::string_view sku_id,
                      std::string_view body);
void handle_order_create(const std::shared_ptr<session>& s, const http_request& req);
void handle_order_get(const std::shared_ptr<session>& s, std::string_view order_id);
// POST /v1/orders/{id}/{action}: cancel, ship, deliver, complete, request-refund, refund,
// approve, reject. The admin token moves as the merchant, a storefront token as the buyer.
void handle_order_move(const std::shared_ptr<session>& s, std::string_view order_id,
                       std::string_view action, std::string_view body);
void handle_payment_callback(const std::shared_ptr<session>& s, const http_request& req);
void handle_blocklist_get(const std::shared_ptr<session>& s);
void handle_blocklist_post(const std::shared_ptr<session>& s, std::string_view body);
// gateway/event_handlers.cpp: GET /v1/events (Server-Sent Events).
void handle_events(const std::shared_ptr<session>& s, const http_request& req);

}  // namespace fg::gateway
