// Request decoding and response encoding, in process: the parse stage of every order. The
// nlohmann variant is the peer for the ratio in BENCHMARKS.md: it decodes the same bytes into
// the same order_request with the same checks, except duplicate keys (nlohmann keeps the last
// one silently and does not report it, so it cannot refuse them).

#include <benchmark/benchmark.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <string>

#include "gateway/codec/json_writer.hpp"
#include "gateway/codec/request_decoder.hpp"
#include "gateway/codec/resource_json.hpp"
#include "matching/limits.hpp"

namespace fg::gateway {
namespace {

namespace limits = matching::limits;

// 218 bytes: a typical storefront order of two items.
const std::string order_body =
    R"({"buyer_id":"buyer-0042","items":[{"sku_id":"lipstick-42","qty":2},)"
    R"({"sku_id":"mascara-7","qty":1}],"payment_method":"alipay","contact":)"
    R"({"name":"张三","phone":"+86 138 0000 0000","address":"1 Nanjing Road, Shanghai"}})";

void BM_gateway_decode_order_simdjson(benchmark::State& state) {
    request_decoder decoder;
    matching::order_request out;
    for (auto _ : state) {
        auto error = decoder.decode_order(order_body, out);
        benchmark::DoNotOptimize(error);
        benchmark::DoNotOptimize(out);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * order_body.size()));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_gateway_decode_order_simdjson);

// The cold path: a refusal is re-checked against the whole body before it is answered.
void BM_gateway_decode_order_simdjson_refused(benchmark::State& state) {
    request_decoder decoder;
    matching::order_request out;
    std::string body = order_body;
    body.replace(body.find("\"qty\":1"), 7, "\"qty\":0");
    for (auto _ : state) {
        auto error = decoder.decode_order(body, out);
        benchmark::DoNotOptimize(error);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_gateway_decode_order_simdjson_refused);

// ---- the nlohmann peer ----------------------------------------------------------------------

using json = nlohmann::json;

bool all_bytes(const std::string& s, bool (*allowed)(unsigned char)) {
    for (char c : s) {
        if (!allowed(static_cast<unsigned char>(c))) return false;
    }
    return true;
}

bool text_ok(const json& j, std::size_t max, bool (*allowed)(unsigned char), std::string& out) {
    if (!j.is_string()) return false;
    out = j.get_ref<const std::string&>();
    return !out.empty() && out.size() <= max && all_bytes(out, allowed);
}

bool int_ok(const json& j, std::int64_t min, std::int64_t max, std::int64_t& out) {
    if (!j.is_number_integer()) return false;
    if (j.is_number_unsigned() && j.get<std::uint64_t>() > static_cast<std::uint64_t>(max)) {
        return false;
    }
    out = j.get<std::int64_t>();
    return out >= min && out <= max;
}

bool visible(unsigned char c) { return c >= 0x21 && c <= 0x7e; }
bool text(unsigned char c) { return c >= 0x20; }
bool sku_char(unsigned char c) {
    return std::isalnum(c) != 0 || c == '.' || c == '_' || c == '~' || c == '-';
}
bool payment_char(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}
bool phone_char(unsigned char c) {
    return (c >= '0' && c <= '9') || c == ' ' || c == '+' || c == '(' || c == ')' || c == '-';
}

bool decode_items_nlohmann(const json& items, std::vector<matching::order_item_request>& out) {
    if (!items.is_array() || items.empty() || items.size() > limits::order_items_max) return false;
    out.clear();
    for (const json& entry : items) {
        if (!entry.is_object() || entry.size() != 2) return false;
        auto& item = out.emplace_back();
        const auto sku = entry.find("sku_id");
        const auto qty = entry.find("qty");
        if (sku == entry.end() || qty == entry.end()) return false;
        if (!text_ok(*sku, limits::sku_id_chars_max, sku_char, item.sku_id)) return false;
        if (!int_ok(*qty, 1, limits::item_qty_max, item.qty)) return false;
        for (std::size_t k = 0; k + 1 < out.size(); ++k) {
            if (out[k].sku_id == item.sku_id) return false;
        }
    }
    return true;
}

bool decode_order_nlohmann(std::string_view body, matching::order_request& out) {
    const json doc = json::parse(body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || doc.size() != 4) return false;
    const auto buyer = doc.find("buyer_id");
    const auto items = doc.find("items");
    const auto payment = doc.find("payment_method");
    const auto contact = doc.find("contact");
    if (buyer == doc.end() || items == doc.end() || payment == doc.end() || contact == doc.end()) {
        return false;
    }
    if (!text_ok(*buyer, limits::buyer_id_chars_max, visible, out.buyer_id)) return false;
    if (!decode_items_nlohmann(*items, out.items)) return false;
    if (!text_ok(*payment, limits::payment_method_chars_max, payment_char, out.payment_method)) {
        return false;
    }
    const json& c = *contact;
    if (!c.is_object() || c.size() != 3 || !c.contains("name") || !c.contains("phone") ||
        !c.contains("address")) {
        return false;
    }
    return text_ok(c["name"], limits::contact_name_chars_max, text, out.buyer_contact.name) &&
           text_ok(c["phone"], limits::contact_phone_chars_max, phone_char,
                   out.buyer_contact.phone) &&
           text_ok(c["address"], limits::contact_address_chars_max, text,
                   out.buyer_contact.address);
}

void BM_gateway_decode_order_nlohmann(benchmark::State& state) {
    matching::order_request out;
    if (!decode_order_nlohmann(order_body, out)) state.SkipWithError("peer refused the body");
    for (auto _ : state) {
        bool ok = decode_order_nlohmann(order_body, out);
        benchmark::DoNotOptimize(ok);
        benchmark::DoNotOptimize(out);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * order_body.size()));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_gateway_decode_order_nlohmann);

// ---- encoding -------------------------------------------------------------------------------

matching::order sample_order() {
    const matching::money unit{4950, *matching::currency_code::parse("CNY")};
    matching::order o;
    o.id = 0x00000001'00002a03;
    o.idempotency_key = "k-1";
    o.buyer_id = "buyer-0042";
    o.items = {{"lipstick-42", 2, unit}, {"mascara-7", 1, unit}};
    o.total = {3 * unit.amount_minor, unit.currency};
    o.payment_method = "alipay";
    o.buyer_contact = {"张三", "+86 138 0000 0000", "1 Nanjing Road, Shanghai"};
    o.created_at_ms = 1'794'326'400'123;
    o.hold_expires_at_ms = o.created_at_ms + 900'000;
    o.updated_at_ms = o.created_at_ms;
    return o;
}

void BM_gateway_encode_order_json(benchmark::State& state) {
    const matching::order o = sample_order();
    std::string out;
    std::size_t bytes = 0;
    for (auto _ : state) {
        out.clear();
        json_writer w(out);
        write_order(w, o);
        bytes += out.size();
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_gateway_encode_order_json);

}  // namespace
}  // namespace fg::gateway

BENCHMARK_MAIN();
