#include "gateway/codec/request_decoder.hpp"

#include <algorithm>
#include <numeric>

#include "gateway/codec/detail/decoder_state.hpp"
#include "gateway/codec/detail/field_reader.hpp"
#include "gateway/codec/rfc3339.hpp"
#include "matching/limits.hpp"
#include "matching/order_id.hpp"

namespace fg::gateway {
namespace {

using detail::decode_result;
using detail::field_table;
using detail::int_range;
using detail::invalid;
using detail::json_path;
using detail::text_rule;
namespace od = detail::od;
namespace limits = matching::limits;

constexpr bool is_alnum(unsigned c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Byte classes. UTF-8 validity is simdjson's check; these only keep out control characters and,
// for identifiers, anything outside their alphabet.
constexpr detail::byte_set text_bytes = detail::make_byte_set([](unsigned c) { return c >= 0x20; });
constexpr detail::byte_set visible_ascii_bytes =
    detail::make_byte_set([](unsigned c) { return c >= 0x21 && c <= 0x7e; });
constexpr detail::byte_set sku_id_bytes = detail::make_byte_set(
    [](unsigned c) { return is_alnum(c) || c == '.' || c == '_' || c == '~' || c == '-'; });
constexpr detail::byte_set payment_method_bytes = detail::make_byte_set(
    [](unsigned c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
constexpr detail::byte_set phone_bytes = detail::make_byte_set([](unsigned c) {
    return (c >= '0' && c <= '9') || c == ' ' || c == '+' || c == '(' || c == ')' || c == '-';
});
// An IP address or network in text: its parser is the handler's, this only bounds the alphabet.
constexpr detail::byte_set ip_bytes = detail::make_byte_set([](unsigned c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' ||
           c == ':' || c == '/';
});

constexpr std::string_view no_control = "must not contain control characters";
constexpr std::string_view visible_ascii_only = "must contain only visible ASCII characters";
constexpr text_rule buyer_id_rule{limits::buyer_id_chars_max, &visible_ascii_bytes,
                                  "must contain only visible ASCII characters"};
constexpr text_rule sku_id_rule{limits::sku_id_chars_max, &sku_id_bytes,
                                "must contain only letters, digits and . _ ~ -"};
constexpr text_rule payment_method_rule{limits::payment_method_chars_max, &payment_method_bytes,
                                        "must contain only a-z, 0-9 and _"};
constexpr text_rule contact_name_rule{limits::contact_name_chars_max, &text_bytes, no_control};
constexpr text_rule contact_phone_rule{limits::contact_phone_chars_max, &phone_bytes,
                                       "must contain only digits, spaces and + ( ) -"};
constexpr text_rule contact_address_rule{limits::contact_address_chars_max, &text_bytes,
                                         no_control};
constexpr text_rule sku_name_rule{limits::sku_name_chars_max, &text_bytes, no_control};
// Longer than any order id is too_long here; a wrong one of the right length is the handler's.
constexpr text_rule order_id_rule{matching::order_id_chars, &visible_ascii_bytes,
                                  visible_ascii_only};
constexpr text_rule provider_txn_id_rule{limits::provider_txn_id_chars_max, &visible_ascii_bytes,
                                         visible_ascii_only};
constexpr text_rule carrier_rule{limits::carrier_chars_max, &text_bytes, no_control};
constexpr text_rule tracking_no_rule{limits::tracking_no_chars_max, &visible_ascii_bytes,
                                     visible_ascii_only};
constexpr text_rule reason_rule{limits::reason_chars_max, &text_bytes, no_control};
constexpr text_rule ip_rule{limits::blocked_value_chars_max, &ip_bytes,
                            "must contain only hex digits and . : /"};
// A blocked buyer id is any buyer id an order could carry.
static_assert(limits::buyer_id_chars_max <= limits::blocked_value_chars_max);

constexpr int_range qty_range{1, limits::item_qty_max};
constexpr int_range amount_range{0, limits::price_minor_max};
constexpr int_range stock_range{0, limits::stock_max};
constexpr int_range per_buyer_limit_range{0, 1'000'000};
constexpr int_range threshold_range{0, limits::stock_max};
constexpr int_range delta_range{-limits::stock_delta_max, limits::stock_delta_max};

// Member tables; the enums index them.
namespace order_member {
enum : std::size_t { buyer_id, items, payment_method, contact };
constexpr std::string_view names[] = {"buyer_id", "items", "payment_method", "contact"};
}  // namespace order_member
namespace item_member {
enum : std::size_t { sku_id, qty };
constexpr std::string_view names[] = {"sku_id", "qty"};
}  // namespace item_member
namespace contact_member {
enum : std::size_t { name, phone, address };
constexpr std::string_view names[] = {"name", "phone", "address"};
}  // namespace contact_member
namespace spec_member {
// sku_id comes last: only a batch entry has it.
enum : std::size_t {
    name,
    price,
    stock,
    per_buyer_limit,
    sale,
    low_stock_threshold,
    status,
    sku_id
};
constexpr std::string_view names[] = {
    "name", "price", "stock", "per_buyer_limit", "sale", "low_stock_threshold", "status", "sku_id"};
}  // namespace spec_member
namespace price_member {
enum : std::size_t { amount_minor, currency };
constexpr std::string_view names[] = {"amount_minor", "currency"};
}  // namespace price_member
namespace sale_member {
enum : std::size_t { starts_at, ends_at };
constexpr std::string_view names[] = {"starts_at", "ends_at"};
}  // namespace sale_member
namespace payment_member {
enum : std::size_t { order_id, provider_txn_id, status, amount };
constexpr std::string_view names[] = {"order_id", "provider_txn_id", "status", "amount"};
}  // namespace payment_member
namespace move_member {
enum : std::size_t { carrier, tracking_no, reason, restock };
constexpr std::string_view names[] = {"carrier", "tracking_no", "reason", "restock"};
}  // namespace move_member
// The public move_field bits are the member indices' bits, so `required` is a required_mask.
static_assert(move_field::carrier == 1u << move_member::carrier);
static_assert(move_field::tracking_no == 1u << move_member::tracking_no);
static_assert(move_field::reason == 1u << move_member::reason);
static_assert(move_field::restock == 1u << move_member::restock);
namespace block_member {
enum : std::size_t { buyer_id, ip, blocked };
constexpr std::string_view names[] = {"buyer_id", "ip", "blocked"};
}  // namespace block_member
constexpr std::string_view batch_names[] = {"skus"};
constexpr std::string_view delta_names[] = {"delta"};

constexpr field_table order_table{order_member::names, 0b1111};
constexpr field_table item_table{item_member::names, 0b11};
constexpr field_table contact_table{contact_member::names, 0b111};
constexpr field_table spec_table{std::span(spec_member::names).first<spec_member::sku_id>(), 0};
constexpr field_table batch_entry_table{spec_member::names, 1u << spec_member::sku_id};
constexpr field_table price_table{price_member::names, 0b11};
constexpr field_table sale_table{sale_member::names, 0};
constexpr field_table batch_table{batch_names, 1};
constexpr field_table delta_table{delta_names, 1};
constexpr field_table payment_table{payment_member::names, 0b1111};
constexpr field_table block_table{block_member::names, 1u << block_member::blocked};

decode_result read_item(od::value v, const json_path& at, matching::order_item_request& item) {
    od::object object;
    if (auto error = detail::read_object(v, at, "must be an object", object)) return error;
    return detail::for_each_field(
        object, at, item_table, [&](std::size_t member, od::value m, const json_path& m_at) {
            return member == item_member::sku_id
                       ? detail::read_string(m, m_at, sku_id_rule, item.sku_id)
                       : detail::read_int(m, m_at, qty_range, item.qty);
        });
}

decode_result read_items(od::value v, const json_path& at,
                         std::vector<matching::order_item_request>& items) {
    od::array array;
    if (auto error = detail::read_array(v, at, array)) return error;
    items.clear();
    return detail::for_each_element(
        array, at, limits::order_items_max,
        [&](std::size_t index, od::value element, const json_path& item_at) -> decode_result {
            matching::order_item_request& item = items.emplace_back();
            if (auto error = read_item(element, item_at, item)) return error;
            // At most 32 items: a quadratic scan beats any set, and allocates nothing.
            for (std::size_t earlier = 0; earlier < index; ++earlier) {
                if (items[earlier].sku_id == item.sku_id) {
                    return invalid(
                        "duplicate_sku", json_path(item_at, "sku_id"),
                        "repeats an earlier item's sku_id; order the total qty in one item");
                }
            }
            return std::nullopt;
        });
}

decode_result read_contact(od::value v, const json_path& at, matching::contact& out) {
    od::object object;
    if (auto error = detail::read_object(v, at, "must be an object", object)) return error;
    return detail::for_each_field(
        object, at, contact_table, [&](std::size_t member, od::value m, const json_path& m_at) {
            switch (member) {
                case contact_member::name:
                    return detail::read_string(m, m_at, contact_name_rule, out.name);
                case contact_member::phone:
                    return detail::read_string(m, m_at, contact_phone_rule, out.phone);
                default:
                    return detail::read_string(m, m_at, contact_address_rule, out.address);
            }
        });
}

decode_result read_order(od::object& root, matching::order_request& out) {
    return detail::for_each_field(
        root, json_path{}, order_table, [&](std::size_t member, od::value v, const json_path& at) {
            switch (member) {
                case order_member::buyer_id:
                    return detail::read_string(v, at, buyer_id_rule, out.buyer_id);
                case order_member::items:
                    return read_items(v, at, out.items);
                case order_member::payment_method:
                    return detail::read_string(v, at, payment_method_rule, out.payment_method);
                default:
                    return read_contact(v, at, out.buyer_contact);
            }
        });
}

decode_result read_currency(od::value v, const json_path& at, matching::currency_code& out) {
    std::string_view code;
    if (auto error = detail::read_raw_string(v, at, "must be a string", code)) return error;
    const auto parsed = matching::currency_code::parse(code);
    if (!parsed) {
        return invalid("unknown_currency", at,
                       "must be an ISO 4217 code flashgate knows, e.g. CNY");
    }
    out = *parsed;
    return std::nullopt;
}

decode_result read_price(od::value v, const json_path& at, matching::money& out) {
    od::object object;
    if (auto error = detail::read_object(v, at, "must be an object", object)) return error;
    return detail::for_each_field(
        object, at, price_table, [&](std::size_t member, od::value m, const json_path& m_at) {
            return member == price_member::amount_minor
                       ? detail::read_int(m, m_at, amount_range, out.amount_minor)
                       : read_currency(m, m_at, out.currency);
        });
}

// An RFC 3339 string, or null for "no bound" (0).
decode_result read_time_or_null(od::value v, const json_path& at, std::int64_t& out_ms) {
    bool is_null = false;
    if (auto error = detail::read_null(v, is_null)) return error;
    out_ms = 0;
    if (is_null) return std::nullopt;
    std::string_view text;
    if (auto error = detail::read_raw_string(v, at, "must be an RFC 3339 time or null", text)) {
        return error;
    }
    const auto ms = parse_rfc3339_ms(text);
    if (!ms || *ms == 0) {
        return invalid("invalid_time", at,
                       "must be an RFC 3339 time after 1970, e.g. 2026-11-11T00:00:00+08:00");
    }
    out_ms = *ms;
    return std::nullopt;
}

// null clears the window; an object sets both bounds, an absent one meaning "no bound".
decode_result read_sale(od::value v, const json_path& at, matching::sale_window& out) {
    out = {};
    bool is_null = false;
    if (auto error = detail::read_null(v, is_null)) return error;
    if (is_null) return std::nullopt;
    od::object object;
    if (auto error = detail::read_object(v, at, "must be an object or null", object)) return error;
    auto error = detail::for_each_field(
        object, at, sale_table, [&](std::size_t member, od::value m, const json_path& m_at) {
            return read_time_or_null(
                m, m_at, member == sale_member::starts_at ? out.starts_at_ms : out.ends_at_ms);
        });
    if (error) return error;
    if (out.starts_at_ms != 0 && out.ends_at_ms != 0 && out.ends_at_ms <= out.starts_at_ms) {
        return invalid("invalid_value", json_path(at, "ends_at"), "must be after sale.starts_at");
    }
    return std::nullopt;
}

decode_result read_status(od::value v, const json_path& at, matching::sku_status& out) {
    std::string_view text;
    if (auto error = detail::read_raw_string(v, at, "must be a string", text)) return error;
    if (text == "listed") {
        out = matching::sku_status::listed;
    } else if (text == "delisted") {
        out = matching::sku_status::delisted;
    } else {
        return invalid("invalid_value", at, "must be \"listed\" or \"delisted\"");
    }
    return std::nullopt;
}

// One member of a SKU spec, or a batch entry's sku_id (then `sku_id` is not null).
decode_result read_spec_member(std::size_t member, od::value v, const json_path& at,
                               matching::sku_spec& out, std::string* sku_id) {
    switch (member) {
        case spec_member::name:
            return detail::read_string(v, at, sku_name_rule, out.name.emplace());
        case spec_member::price:
            return read_price(v, at, out.price.emplace());
        case spec_member::stock:
            return detail::read_int(v, at, stock_range, out.stock.emplace());
        case spec_member::per_buyer_limit:
            return detail::read_int(v, at, per_buyer_limit_range, out.per_buyer_limit.emplace());
        case spec_member::sale:
            return read_sale(v, at, out.sale.emplace());
        case spec_member::low_stock_threshold:
            return detail::read_int(v, at, threshold_range, out.low_stock_threshold.emplace());
        case spec_member::status:
            return read_status(v, at, out.status.emplace());
        default:
            return detail::read_string(v, at, sku_id_rule, *sku_id);
    }
}

decode_result read_spec(od::object& object, const json_path& at, const field_table& fields,
                        matching::sku_spec& out, std::string* sku_id) {
    return detail::for_each_field(object, at, fields,
                                  [&](std::size_t member, od::value v, const json_path& m_at) {
                                      return read_spec_member(member, v, m_at, out, sku_id);
                                  });
}

using batch_entries = std::vector<std::pair<std::string, matching::sku_spec>>;

// Up to 1,000 entries: sort indices by sku_id (ties by index) and compare neighbours, reporting
// the earliest entry that repeats an id seen before it.
decode_result find_duplicate_sku(const batch_entries& entries, std::vector<std::uint32_t>& order) {
    order.resize(entries.size());
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
        return std::tie(entries[a].first, a) < std::tie(entries[b].first, b);
    });
    std::uint32_t repeat = static_cast<std::uint32_t>(entries.size());
    for (std::size_t k = 1; k < order.size(); ++k) {
        if (entries[order[k]].first == entries[order[k - 1]].first)
            repeat = std::min(repeat, order[k]);
    }
    if (repeat == entries.size()) return std::nullopt;
    const json_path root;
    const json_path skus(root, "skus");
    const json_path entry(skus, std::size_t{repeat});
    return invalid("duplicate_sku", json_path(entry, "sku_id"),
                   "repeats an earlier entry's sku_id");
}

decode_result read_batch(od::object& root, batch_entries& out) {
    out.clear();
    return detail::for_each_field(
        root, json_path{}, batch_table,
        [&](std::size_t, od::value v, const json_path& at) -> decode_result {
            od::array array;
            if (auto error = detail::read_array(v, at, array)) return error;
            return detail::for_each_element(
                array, at, limits::batch_skus_max,
                [&](std::size_t, od::value element, const json_path& entry_at) -> decode_result {
                    od::object object;
                    if (auto error =
                            detail::read_object(element, entry_at, "must be an object", object)) {
                        return error;
                    }
                    auto& [sku_id, spec] = out.emplace_back();
                    return read_spec(object, entry_at, batch_entry_table, spec, &sku_id);
                });
        });
}

decode_result read_delta(od::object& root, std::int64_t& delta) {
    return detail::for_each_field(
        root, json_path{}, delta_table,
        [&](std::size_t, od::value v, const json_path& at) -> decode_result {
            if (auto error = detail::read_int(v, at, delta_range, delta)) return error;
            if (delta == 0) return invalid("invalid_value", at, "must not be zero");
            return std::nullopt;
        });
}

decode_result read_payment_status(od::value v, const json_path& at, bool& succeeded) {
    std::string_view text;
    if (auto error = detail::read_raw_string(v, at, "must be a string", text)) return error;
    if (text == "succeeded") {
        succeeded = true;
    } else if (text == "failed") {
        succeeded = false;
    } else {
        return invalid("invalid_value", at, "must be \"succeeded\" or \"failed\"");
    }
    return std::nullopt;
}

decode_result read_payment(od::object& root, payment_body& out) {
    return detail::for_each_field(
        root, json_path{}, payment_table,
        [&](std::size_t member, od::value v, const json_path& at) {
            switch (member) {
                case payment_member::order_id:
                    return detail::read_string(v, at, order_id_rule, out.order_id);
                case payment_member::provider_txn_id:
                    return detail::read_string(v, at, provider_txn_id_rule, out.provider_txn_id);
                case payment_member::status:
                    return read_payment_status(v, at, out.succeeded);
                default:
                    return read_price(v, at, out.amount);
            }
        });
}

// A note that may be empty ("" says "no reason given" as well as an absent member does).
decode_result read_reason(od::value v, const json_path& at, std::string& out) {
    std::string_view text;
    if (auto error = detail::read_raw_string(v, at, "must be a string", text)) return error;
    if (auto error = detail::check_text(text, at, reason_rule)) return error;
    out.assign(text);
    return std::nullopt;
}

decode_result read_move(od::object& root, unsigned allowed, unsigned required, move_body& out) {
    // A member the action requires is one it takes, whatever `allowed` says.
    allowed |= required;
    const field_table fields{move_member::names, required};
    return detail::for_each_field(
        root, json_path{}, fields,
        [&](std::size_t member, od::value v, const json_path& at) -> decode_result {
            if ((allowed & (1u << member)) == 0) {
                return invalid("unknown_field", at, "is not a member this action takes");
            }
            switch (member) {
                case move_member::carrier:
                    return detail::read_string(v, at, carrier_rule, out.carrier);
                case move_member::tracking_no:
                    return detail::read_string(v, at, tracking_no_rule, out.tracking_no);
                case move_member::reason:
                    return read_reason(v, at, out.reason);
                default:
                    return detail::read_bool(v, at, out.restock.emplace());
            }
        });
}

decode_result read_block_change(od::object& root, matching::block_changed& out) {
    const json_path root_at;
    bool has_subject = false;  // buyer_id or ip seen
    auto error = detail::for_each_field(
        root, root_at, block_table,
        [&](std::size_t member, od::value v, const json_path& at) -> decode_result {
            if (member == block_member::blocked) return detail::read_bool(v, at, out.blocked);
            if (has_subject) {
                return invalid("invalid_value", at,
                               member == block_member::ip ? "must not be given with buyer_id"
                                                          : "must not be given with ip");
            }
            has_subject = true;
            if (member == block_member::buyer_id) {
                out.kind = matching::block_kind::buyer;
                return detail::read_string(v, at, buyer_id_rule, out.value);
            }
            out.kind = matching::block_kind::network;
            return detail::read_string(v, at, ip_rule, out.value);
        });
    if (error) return error;
    if (!has_subject) return invalid("missing_field", root_at, "must have buyer_id or ip");
    return std::nullopt;
}

// Opens the body, lets `read_root` decode the root object, and has the state classify any
// refusal against the whole body.
template <typename ReadRoot>
decode_result decode_body(detail::decoder_state& state, std::string_view body,
                          ReadRoot&& read_root) {
    if (body.size() > request_decoder::body_bytes_max) {
        return decode_error{422, "invalid_request", "too_long", "",
                            "the body is longer than " +
                                std::to_string(request_decoder::body_bytes_max) + " bytes"};
    }
    od::document doc;
    od::object root;
    if (auto error = state.open(body, doc, root)) return error;
    return state.finish(doc, read_root(root));
}

bool all_in(std::string_view text, const detail::byte_set& allowed) {
    return std::all_of(text.begin(), text.end(),
                       [&](char c) { return allowed[static_cast<unsigned char>(c)]; });
}

}  // namespace

request_decoder::request_decoder()
    : state_(std::make_unique<detail::decoder_state>(nesting_depth_max)) {}
request_decoder::~request_decoder() = default;
request_decoder::request_decoder(request_decoder&&) noexcept = default;
request_decoder& request_decoder::operator=(request_decoder&&) noexcept = default;

std::optional<decode_error> request_decoder::decode_order(std::string_view body,
                                                          matching::order_request& out) {
    return decode_body(*state_, body, [&](od::object& root) { return read_order(root, out); });
}

std::optional<decode_error> request_decoder::decode_sku_spec(std::string_view body,
                                                             matching::sku_spec& out) {
    out = {};
    return decode_body(*state_, body, [&](od::object& root) {
        return read_spec(root, json_path{}, spec_table, out, nullptr);
    });
}

std::optional<decode_error> request_decoder::decode_sku_batch(std::string_view body,
                                                              batch_entries& out) {
    return decode_body(*state_, body, [&](od::object& root) -> decode_result {
        if (auto error = read_batch(root, out)) return error;
        return find_duplicate_sku(out, state_->scratch());
    });
}

std::optional<decode_error> request_decoder::decode_stock_delta(std::string_view body,
                                                                std::int64_t& delta) {
    return decode_body(*state_, body, [&](od::object& root) { return read_delta(root, delta); });
}

std::optional<decode_error> request_decoder::decode_payment(std::string_view body,
                                                            payment_body& out) {
    out = {};
    return decode_body(*state_, body, [&](od::object& root) { return read_payment(root, out); });
}

std::optional<decode_error> request_decoder::decode_move(std::string_view body, unsigned allowed,
                                                         unsigned required, move_body& out) {
    out = {};
    // Most actions need no body, and clients send none: read it as the empty object.
    if (body.empty()) body = "{}";
    return decode_body(*state_, body,
                       [&](od::object& root) { return read_move(root, allowed, required, out); });
}

std::optional<decode_error> request_decoder::decode_block_change(std::string_view body,
                                                                 matching::block_changed& out) {
    out = {};
    return decode_body(*state_, body,
                       [&](od::object& root) { return read_block_change(root, out); });
}

bool valid_sku_id(std::string_view text) {
    return !text.empty() && text.size() <= limits::sku_id_chars_max && all_in(text, sku_id_bytes);
}

bool valid_idempotency_key(std::string_view text) {
    return !text.empty() && text.size() <= limits::idempotency_key_chars_max &&
           all_in(text, visible_ascii_bytes);
}

}  // namespace fg::gateway
