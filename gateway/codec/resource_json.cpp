#include "gateway/codec/resource_json.hpp"

#include "matching/order_id.hpp"

namespace fg::gateway {

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
    w.key("hold_expires_at").time_ms(o.hold_expires_at_ms);
    w.key("updated_at").time_ms(o.updated_at_ms);
    w.end_object();
}

}  // namespace fg::gateway
