#include "gateway/codec/problem.hpp"

#include <array>
#include <iterator>

#include "gateway/codec/json_writer.hpp"
#include "gateway/codec/request_decoder.hpp"

namespace fg::gateway {
namespace {

// Every problem the gateway can send: first the domain outcomes in matching::outcome order
// (indexed by the enum), then the gateway's own. Titles live only here; Chinese titles
// (Accept-Language) will be a second column.
constexpr problem problems[] = {
    // matching::outcome, in declaration order.
    {500, "internal_error", "Internal error"},  // outcome::ok is not a problem
    {404, "unknown_sku", "Unknown SKU"},
    {409, "delisted", "SKU delisted"},
    {409, "sale_not_open", "Sale not open yet"},
    {409, "sale_closed", "Sale closed"},
    {422, "mixed_currency", "Items priced in different currencies"},
    {409, "per_buyer_limit", "Per-buyer limit reached"},
    {409, "sold_out", "Sold out"},
    {403, "blocked", "Blocked"},
    {429, "rate_limited", "Too many requests"},
    {403, "risk_rejected", "Refused by a risk rule"},
    {422, "incomplete_sku", "SKU incomplete"},
    {422, "stock_too_large", "Stock would exceed the maximum"},
    {409, "stock_below_committed", "Stock below held and sold units"},
    {409, "stock_insufficient", "Not enough available stock"},
    {404, "order_not_found", "Order not found"},
    {409, "illegal_transition", "Illegal order transition"},
    {409, "request_in_progress", "Request in progress"},
    {422, "idempotency_mismatch", "Idempotency-Key reused with a different body"},
    {422, "amount_mismatch", "Payment amount does not match the order"},
    {503, "overloaded", "Overloaded"},
    {503, "disk_full", "Log disk full"},
    {503, "log_failed", "Durable log unavailable"},
    // Gateway-level problems (looked up by code; internal_error doubles as the fallback above).
    {400, "malformed_json", "Malformed JSON"},
    {422, "invalid_request", "Invalid request"},
    {400, "missing_idempotency_key", "Missing Idempotency-Key header"},
    {400, "invalid_idempotency_key", "Invalid Idempotency-Key header"},
    {401, "unauthorized", "Unauthorized"},
    {404, "not_found", "Not found"},
    {405, "method_not_allowed", "Method not allowed"},
    {415, "unsupported_media_type", "Unsupported media type"},
    {413, "body_too_large", "Request body too large"},
    {431, "headers_too_large", "Request headers too large"},
    {503, "not_ready", "Not ready"},
    {401, "invalid_signature", "Invalid payment signature"},
    {503, "payments_disabled", "Payment callbacks are not configured"},
    {400, "bad_request", "Bad request"},
};

constexpr std::size_t outcome_count = static_cast<std::size_t>(matching::outcome::log_failed) + 1;
static_assert(std::size(problems) > outcome_count);

}  // namespace

problem problem_for(matching::outcome o) {
    const auto index = static_cast<std::size_t>(o);
    return index < outcome_count ? problems[index] : problems[0];
}

problem gateway_problem(std::string_view code) {
    for (std::size_t i = outcome_count; i < std::size(problems); ++i) {
        if (problems[i].code == code) return problems[i];
    }
    return problems[0];
}

problem problem_for(const decode_error& e) {
    return gateway_problem(e.status == 400 ? "malformed_json" : "invalid_request");
}

void write_problem(std::string& out, std::uint16_t status, std::string_view code,
                   std::string_view title, const problem_fields& fields) {
    json_writer w(out);
    w.begin_object();
    w.key("type").string_concat("/problems/", code);
    w.key("title").string(title);
    w.key("status").integer(status);
    w.key("code").string(code);
    w.key("detail").string(fields.detail);
    w.key("request_id").string(fields.request_id);
    if (!fields.pointer.empty()) w.key("pointer").string(fields.pointer);
    if (!fields.reason.empty()) w.key("reason").string(fields.reason);
    if (!fields.sku_id.empty()) w.key("sku_id").string(fields.sku_id);
    w.end_object();
}

void write_problem(std::string& out, const problem& p, const problem_fields& fields) {
    write_problem(out, p.status, p.code, p.title, fields);
}

}  // namespace fg::gateway
