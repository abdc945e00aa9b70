#include "gateway/handlers.hpp"

#include <boost/beast/http/field.hpp>

#include "gateway/codec/json_writer.hpp"
#include "gateway/codec/problem.hpp"
#include "gateway/codec/resource_json.hpp"
#include "gateway/event_feed.hpp"
#include "gateway/router.hpp"
#include "gateway/server.hpp"
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
    s->owner().shard.place_order(std::string(key), std::move(order), [s](matching::place_result r) {
        if (r.result != outcome::ok) return send_outcome(s, r.result, r.refused_sku);
        http_response res = json_response(r.replayed ? 200 : 201, order_body(r.placed));
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

void handle_order_cancel(const std::shared_ptr<session>& s, std::string_view order_id) {
    auto id = matching::parse_order_id(order_id);
    if (!id) return send_outcome(s, outcome::order_not_found);
    s->owner().shard.cancel_order(*id, [s](matching::order_result r) {
        if (r.result == outcome::illegal_transition) {
            std::string detail = "the order is ";
            detail += matching::to_string(r.value.status);
            return send_outcome(s, r.result, {}, detail);
        }
        if (r.result != outcome::ok) return send_outcome(s, r.result);
        s->send(json_response(200, order_body(r.value)));
    });
}

}  // namespace fg::gateway
