#include "gateway/handlers.hpp"

#include <openssl/sha.h>

#include <algorithm>
#include <boost/beast/http/field.hpp>

#include "gateway/codec/json_writer.hpp"
#include "gateway/codec/problem.hpp"
#include "gateway/codec/resource_json.hpp"
#include "gateway/event_feed.hpp"
#include "gateway/payment_signature.hpp"
#include "gateway/router.hpp"
#include "gateway/server.hpp"
#include "matching/ip_address.hpp"
#include "matching/lifecycle.hpp"
#include "matching/order_id.hpp"

namespace fg::gateway {

namespace http = boost::beast::http;
using matching::outcome;

namespace {

http_response json_response(unsigned status, std::string body) {
    http_response res{static_cast<http::status>(status), 11};
    res.set(http::field::content_type, "application/json");
    res.body() = std::move(body);
    return res;
}

void send_outcome(const std::shared_ptr<session>& s, outcome o, std::string_view sku_id = {},
                  std::string_view detail = {}) {
    s->send(problem_response(*s, problem_for(o), {.detail = detail, .sku_id = sku_id}));
}

void send_decode_error(const std::shared_ptr<session>& s, const decode_error& e) {
    s->send(problem_response(*s, problem_for(e),
                             {.detail = e.detail, .pointer = e.pointer, .reason = e.reason}));
}

// Path ids that are not well-formed can name nothing.
bool check_sku_id(const std::shared_ptr<session>& s, std::string_view sku_id) {
    if (valid_sku_id(sku_id)) return true;
    send_outcome(s, outcome::unknown_sku, {}, "a SKU id is 1 to 64 of A-Z a-z 0-9 . _ ~ -");
    return false;
}

std::string sku_body(const matching::sku_state& sku) {
    std::string out;
    json_writer w(out);
    write_sku(w, sku);
    return out;
}

std::string order_body(const matching::order& o) {
    std::string out;
    json_writer w(out);
    write_order(w, o);
    return out;
}

void send_sku(const std::shared_ptr<session>& s, const matching::sku_result& r) {
    if (r.result != outcome::ok) return send_outcome(s, r.result, r.sku.id);
    s->send(json_response(r.created ? 201 : 200, sku_body(r.sku)));
}

}  // namespace

void handle_livez(const std::shared_ptr<session>& s) {
    s->send(json_response(200, R"({"status":"alive"})"));
}

// 503 whenever a write would be refused, so that a load balancer drains this process: before
// recovery has finished, while the log's disk is full, and once the log has failed.
void handle_readyz(const std::shared_ptr<session>& s) {
    const server& srv = s->owner().owner;
    if (!srv.ready()) {
        return s->send(problem_response(*s, gateway_problem("not_ready"),
                                        {.detail = "recovery has not finished"}));
    }
    if (srv.log()->failed()) {
        return s->send(problem_response(*s, problem_for(outcome::log_failed),
                                        {.detail = "the log failed; the process is stopping"}));
    }
    if (srv.log()->no_space()) {
        return s->send(problem_response(
            *s, problem_for(outcome::disk_full),
            {.detail = "the log's disk is full; writes resume by themselves once space returns"}));
    }
    s->send(json_response(200, R"({"status":"ready"})"));
}

namespace {

// Runs on worker i's thread: its counters and its shard are read by their only writer.
shard_report collect_report(worker& target, const matching::shard& sh) {
    shard_report r;
    r.http = target.http;
    std::copy_n(sh.orders_by_outcome(), r.orders_by_outcome.size(), r.orders_by_outcome.begin());
    r.sku_count = sh.stock().size();
    if (r.sku_count <= metrics_skus_listed_max) {
        sh.stock().for_each([&r](const matching::sku_state& k) { r.skus.push_back(k); });
    }
    r.live_orders = sh.live_orders();
    r.pending = sh.pending();
    r.inbox_depth = sh.mailbox().size_approx();
    r.connections = target.connections;
    r.orders_expired = sh.orders_expired();
    r.idempotency_keys = sh.idempotency_keys();
    r.holds_scheduled = sh.holds_scheduled();
    return r;
}

}  // namespace

// Gathers one report from every worker (scatter through the shards' inboxes), then renders.
void handle_metrics(const std::shared_ptr<session>& s) {
    server& srv = s->owner().owner;
    auto reports = std::make_shared<std::vector<shard_report>>(srv.size());
    auto waiting = std::make_shared<std::size_t>(srv.size());
    for (std::size_t i = 0; i < srv.size(); ++i) {
        s->owner().shard.call<shard_report>(
            i,
            [&srv, i](matching::shard& sh, matching::unique_function<void(shard_report)> reply) {
                reply(collect_report(srv.at(i), sh));
            },
            [s, reports, waiting, &srv, i](shard_report r) {
                (*reports)[i] = std::move(r);
                if (--*waiting > 0) return;
                storage::commit_log::counters log{};
                recovery_report recovery;
                if (srv.ready()) {
                    log = srv.log()->stats();
                    recovery = srv.recovery();
                }
                http_response res{http::status::ok, 11};
                res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
                res.body() = render_metrics(*reports, log, srv.ready(), recovery);
                if (srv.ready() && srv.snapshots() != nullptr) {
                    res.body() += render_snapshot_metrics(srv.snapshots()->stats());
                }
                if (srv.ready() && srv.events() != nullptr)
                    res.body() += render_event_metrics(srv.events()->hub()->stats());
                s->send(std::move(res));
            });
    }
}

void handle_sku_put(const std::shared_ptr<session>& s, std::string_view sku_id,
                    std::string_view body) {
    if (!check_sku_id(s, sku_id)) return;
    matching::sku_spec spec;
    if (auto err = s->owner().decoder.decode_sku_spec(body, spec)) {
        return send_decode_error(s, *err);
    }
    s->owner().shard.put_sku(std::string(sku_id), std::move(spec),
                             [s](matching::sku_result r) { send_sku(s, r); });
}

void handle_sku_get(const std::shared_ptr<session>& s, std::string_view sku_id) {
    if (!check_sku_id(s, sku_id)) return;
    s->owner().shard.get_sku(std::string(sku_id),
                             [s, id = std::string(sku_id)](matching::sku_result r) {
                                 if (r.result != outcome::ok) r.sku.id = id;
                                 send_sku(s, r);
                             });
}

void handle_sku_stock(const std::shared_ptr<session>& s, std::string_view sku_id,
                      std::string_view body) {
    if (!check_sku_id(s, sku_id)) return;
    std::int64_t delta = 0;
    if (auto err = s->owner().decoder.decode_stock_delta(body, delta)) {
        return send_decode_error(s, *err);
    }
    s->owner().shard.adjust_stock(std::string(sku_id), delta,
                                  [s, id = std::string(sku_id)](matching::sku_result r) {
                                      if (r.result != outcome::ok) r.sku.id = id;
                                      send_sku(s, r);
                                  });
}

namespace {

// Results of a batch upsert, in request order: each item's own status and SKU or code.
std::string batch_body(const std::vector<std::string>& ids,
                       const std::vector<matching::sku_result>& results) {
    std::string out;
    json_writer w(out);
    w.begin_object().key("results").begin_array();
    for (std::size_t k = 0; k < results.size(); ++k) {
        const matching::sku_result& res = results[k];
        const problem p = problem_for(res.result);
        w.begin_object().key("sku_id").string(ids[k]).key("status");
        if (res.result == outcome::ok) {
            w.integer(res.created ? 201 : 200).key("sku");
            write_sku(w, res.sku);
        } else {
            w.integer(p.status).key("code").string(p.code);
        }
        w.end_object();
    }
    w.end_array().end_object();
    return out;
}

}  // namespace

void handle_sku_batch(const std::shared_ptr<session>& s, std::string_view body) {
    std::vector<std::pair<std::string, matching::sku_spec>> items;
    if (auto err = s->owner().decoder.decode_sku_batch(body, items)) {
        return send_decode_error(s, *err);
    }
    struct gather {
        std::vector<std::string> ids;
        std::vector<matching::sku_result> results;
        std::size_t waiting = 0;
    };
    auto g = std::make_shared<gather>();
    for (const auto& item : items) g->ids.push_back(item.first);
    g->results.resize(items.size());
    g->waiting = items.size();
    for (std::size_t i = 0; i < items.size(); ++i) {
        s->owner().shard.put_sku(std::move(items[i].first), std::move(items[i].second),
                                 [s, g, i](matching::sku_result r) {
                                     g->results[i] = std::move(r);
                                     if (--g->waiting > 0) return;
                                     s->send(json_response(200, batch_body(g->ids, g->results)));
                                 });
    }
}

namespace {

// The first 16 bytes of SHA-256 over the raw body: two requests with one Idempotency-Key are
// the same request exactly when their bodies are the same bytes.
matching::body_digest digest_of(std::string_view body) {
    unsigned char full[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(body.data()), body.size(), full);
    matching::body_digest d{};
    std::copy_n(full, d.size(), d.begin());
    return d;
}

void send_order_result(const std::shared_ptr<session>& s, const matching::order_result& r) {
    if (r.result == outcome::illegal_transition || r.result == outcome::request_in_progress) {
        std::string detail = "the order is ";
        detail += matching::to_string(r.value.status);
        return send_outcome(s, r.result, {}, detail);
    }
    if (r.result != outcome::ok) return send_outcome(s, r.result);
    http_response res = json_response(200, order_body(r.value));
    if (r.replayed) res.set("Idempotent-Replayed", "true");
    s->send(std::move(res));
}

}  // namespace

void handle_order_create(const std::shared_ptr<session>& s, const http_request& req) {
    std::string_view key = req["Idempotency-Key"];
    if (key.empty()) {
        return s->send(problem_response(*s, gateway_problem("missing_idempotency_key"),
                                        {.detail = "send an Idempotency-Key header"}));
    }
    if (!valid_idempotency_key(key)) {
        return s->send(problem_response(*s, gateway_problem("invalid_idempotency_key"),
                                        {.detail = "1 to 128 visible ASCII characters"}));
    }
    matching::order_request order;
    if (auto err = s->owner().decoder.decode_order(req.body(), order)) {
        return send_decode_error(s, *err);
    }
    matching::placement_context ctx{.client = std::string(s->client()),
                                    .idempotency_key = std::string(key),
                                    .digest = digest_of(req.body()),
                                    .client_ip = s->peer_ip(),
                                    .request_id = s->request_id()};
    s->owner().shard.place_order(std::move(ctx), std::move(order), [s](matching::place_result r) {
        if (r.result != outcome::ok) {
            // A stored refusal is replayed as it was first sent, request id included.
            problem_fields f{.sku_id = r.refused_sku};
            if (r.result == outcome::rate_limited) f.detail = "slow down and retry";
            http_response res = problem_response(*s, problem_for(r.result), f);
            if (r.replayed) {
                res.body().clear();
                f.request_id = r.request_id;
                write_problem(res.body(), problem_for(r.result), f);
                res.set("Idempotent-Replayed", "true");
            }
            if (r.result == outcome::rate_limited) {
                res.set(http::field::retry_after,
                        std::to_string(std::max<std::int64_t>(1, (r.retry_after_ms + 999) / 1000)));
            }
            return s->send(std::move(res));
        }
        http_response res = json_response(201, order_body(r.placed));
        res.set(http::field::location, "/v1/orders/" + matching::format_order_id(r.placed.id));
        if (r.replayed) res.set("Idempotent-Replayed", "true");
        s->send(std::move(res));
    });
}

void handle_order_get(const std::shared_ptr<session>& s, std::string_view order_id) {
    auto id = matching::parse_order_id(order_id);
    if (!id) return send_outcome(s, outcome::order_not_found);
    s->owner().shard.get_order(*id, [s](matching::order_result r) {
        if (r.result != outcome::ok) return send_outcome(s, r.result);
        s->send(json_response(200, order_body(r.value)));
    });
}

namespace {

struct move_action {
    std::string_view name;
    matching::order_status to;
    bool buyer_may;  // a storefront token may ask for it (as the buyer); the admin always may
    unsigned allowed;
    unsigned required;
};

constexpr unsigned reason = move_field::reason, carrier = move_field::carrier,
                   tracking = move_field::tracking_no, restock = move_field::restock;

constexpr move_action move_actions[] = {
    {"cancel", matching::order_status::cancelled, true, reason, 0},
    {"ship", matching::order_status::shipped, false, carrier | tracking, carrier | tracking},
    {"deliver", matching::order_status::delivered, false, 0, 0},
    {"complete", matching::order_status::completed, true, 0, 0},
    {"request-refund", matching::order_status::refund_requested, true, reason, 0},
    {"refund", matching::order_status::refunded, false, restock | reason, 0},
    {"approve", matching::order_status::pending_payment, false, reason, 0},
    {"reject", matching::order_status::cancelled, false, reason, 0},
};

}  // namespace

void handle_order_move(const std::shared_ptr<session>& s, std::string_view order_id,
                       std::string_view action, std::string_view body) {
    const move_action* found = nullptr;
    for (const move_action& a : move_actions) {
        if (a.name == action) found = &a;
    }
    if (found == nullptr) {
        return send_outcome(s, outcome::order_not_found, {},
                            "no such order action; see docs/openapi.yaml");
    }
    if (!found->buyer_may && !s->is_admin()) {
        http_response res = problem_response(*s, gateway_problem("unauthorized"),
                                             {.detail = "this move needs the admin token"});
        res.set(http::field::www_authenticate, "Bearer");
        return s->send(std::move(res));
    }
    auto id = matching::parse_order_id(order_id);
    if (!id) return send_outcome(s, outcome::order_not_found);
    move_body parsed;
    if (auto err = s->owner().decoder.decode_move(body, found->allowed, found->required, parsed)) {
        return send_decode_error(s, *err);
    }
    matching::move_request req{
        .to = found->to,
        .by = s->is_admin() ? matching::actor::merchant : matching::actor::buyer,
        .carrier = std::move(parsed.carrier),
        .tracking_no = std::move(parsed.tracking_no),
        .reason = std::move(parsed.reason),
        .restock = parsed.restock.value_or(false)};
    s->owner().shard.move_order(*id, std::move(req),
                                [s](matching::order_result r) { send_order_result(s, r); });
}

void handle_payment_callback(const std::shared_ptr<session>& s, const http_request& req) {
    const std::string& secret = s->owner().owner.settings().payment_secret;
    if (secret.empty()) {
        return s->send(problem_response(*s, gateway_problem("payments_disabled"),
                                        {.detail = "set FLASHGATE_PAYMENT_SECRET"}));
    }
    const std::int64_t now_s = s->owner().owner.engine().time().now_ms() / 1000;
    const signature_check check =
        verify_payment_signature(req["Flashgate-Signature"], req.body(), secret, now_s);
    if (check != signature_check::ok) {
        return s->send(problem_response(*s, gateway_problem("invalid_signature"),
                                        {.detail = std::string(to_string(check))}));
    }
    payment_body body;
    if (auto err = s->owner().decoder.decode_payment(req.body(), body)) {
        return send_decode_error(s, *err);
    }
    auto id = matching::parse_order_id(body.order_id);
    if (!id) return send_outcome(s, outcome::order_not_found);
    s->owner().shard.pay_order(
        matching::payment_report{.order_id = *id,
                                 .provider_txn_id = std::move(body.provider_txn_id),
                                 .succeeded = body.succeeded,
                                 .amount = body.amount},
        [s](matching::order_result r) { send_order_result(s, r); });
}

namespace {

std::string block_list_body(const matching::block_result& r) {
    std::string out;
    json_writer w(out);
    write_block_list(w, r.entries);
    return out;
}

}  // namespace

void handle_blocklist_get(const std::shared_ptr<session>& s) {
    s->owner().shard.get_block_list(
        [s](matching::block_result r) { s->send(json_response(200, block_list_body(r))); });
}

void handle_blocklist_post(const std::shared_ptr<session>& s, std::string_view body) {
    matching::block_changed change;
    if (auto err = s->owner().decoder.decode_block_change(body, change)) {
        return send_decode_error(s, *err);
    }
    if (change.kind == matching::block_kind::network && !matching::parse_network(change.value)) {
        return s->send(problem_response(*s, gateway_problem("invalid_request"),
                                        {.detail = "not an IP address or network",
                                         .pointer = "/ip",
                                         .reason = "invalid_value"}));
    }
    s->owner().shard.change_block(std::move(change), [s](matching::block_result r) {
        if (r.result != outcome::ok) return send_outcome(s, r.result);
        s->send(json_response(200, block_list_body(r)));
    });
}

}  // namespace fg::gateway
