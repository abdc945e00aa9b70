#include "gateway/codec/resource_json.hpp"

#include "matching/order_id.hpp"

namespace fg::gateway {
namespace {

// Members that do not apply to a step are empty and left out, so each entry says only what
// happened in it.
void write_transition(json_writer& w, const matching::transition& step) {
    w.begin_object();
    w.key("status").string(matching::to_string(step.to));
    w.key("at").time_ms(step.at_ms);
    w.key("by").string(matching::to_string(step.by));
    if (!step.carrier().empty()) w.key("carrier").string(step.carrier());
    if (!step.tracking_no().empty()) w.key("tracking_no").string(step.tracking_no());
    if (!step.provider_txn_id().empty()) w.key("provider_txn_id").string(step.provider_txn_id());
    if (!step.reason().empty()) w.key("reason").string(step.reason());
    if (step.restock) w.key("restock").boolean(true);
    if (step.hold_expires_at_ms != 0) w.key("hold_expires_at").time_ms(step.hold_expires_at_ms);
    w.end_object();
}

void write_block_values(json_writer& w, std::string_view name, matching::block_kind kind,
                        const std::vector<matching::block_changed>& entries) {
    w.key(name).begin_array();
    for (const matching::block_changed& entry : entries) {
        if (entry.kind == kind && entry.blocked) w.string(entry.value);
    }
    w.end_array();
}

}  // namespace

void write_sku(json_writer& w, const matching::sku_state& sku) {
    w.begin_object();
    w.key("sku_id").string(sku.id);
    w.key("name").string(sku.name);
    w.key("price").money(sku.price);
    w.key("stock").integer(sku.stock);
    w.key("available").integer(sku.available());
    w.key("held").integer(sku.held);
    w.key("sold").integer(sku.sold);
    w.key("per_buyer_limit").integer(sku.per_buyer_limit);
    w.key("sale").begin_object();
    w.key("starts_at").time_ms_or_null(sku.sale.starts_at_ms);
    w.key("ends_at").time_ms_or_null(sku.sale.ends_at_ms);
    w.end_object();
    w.key("low_stock_threshold").integer(sku.low_stock_threshold);
    w.key("status").string(sku.status == matching::sku_status::listed ? "listed" : "delisted");
    w.key("updated_at").time_ms(sku.updated_at_ms);
    w.end_object();
}

void write_order(json_writer& w, const matching::order& o) {
    w.begin_object();
    w.key("order_id").string(matching::format_order_id(o.id));
    w.key("status").string(matching::to_string(o.status));
    w.key("buyer_id").string(o.buyer_id);
    w.key("items").begin_array();
    for (const matching::order_item& item : o.items) {
        w.begin_object();
        w.key("sku_id").string(item.sku_id);
        w.key("qty").integer(item.qty);
        w.key("unit_price").money(item.unit_price);
        w.end_object();
    }
    w.end_array();
    w.key("total").money(o.total);
    w.key("payment_method").string(o.payment_method);
    w.key("contact").begin_object();
    w.key("name").string(o.buyer_contact.name);
    w.key("phone").string(o.buyer_contact.phone);
    w.key("address").string(o.buyer_contact.address);
    w.end_object();
    w.key("created_at").time_ms(o.created_at_ms);
    w.key("hold_expires_at").time_ms_or_null(o.hold_expires_at_ms);
    w.key("updated_at").time_ms(o.updated_at_ms);
    w.key("history").begin_array();
    for (const matching::transition& step : o.history) write_transition(w, step);
    w.end_array();
    w.end_object();
}

void write_block_list(json_writer& w, const std::vector<matching::block_changed>& entries) {
    w.begin_object();
    write_block_values(w, "buyers", matching::block_kind::buyer, entries);
    write_block_values(w, "networks", matching::block_kind::network, entries);
    w.end_object();
}

}  // namespace fg::gateway
