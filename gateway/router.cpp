#include "gateway/router.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <charconv>
#include <optional>

#include "gateway/codec/json_writer.hpp"
#include "gateway/codec/resource_json.hpp"
#include "gateway/handlers.hpp"
#include "gateway/server.hpp"

namespace fg::gateway {

namespace http = boost::beast::http;

namespace {

bool header_token_matches(std::string_view header, std::string_view token) {
    constexpr std::string_view prefix = "Bearer ";
    if (!header.starts_with(prefix)) return false;
    std::string_view given = header.substr(prefix.size());
    // Constant time in the token's length: no early exit on the first differing byte.
    unsigned diff = given.size() == token.size() ? 0u : 1u;
    for (std::size_t i = 0; i < token.size(); ++i) {
        diff |= static_cast<unsigned>(static_cast<unsigned char>(token[i]) ^
                                      static_cast<unsigned char>(i < given.size() ? given[i] : 0));
    }
    return diff == 0;
}

// open: anyone; storefront: a storefront token (or any caller when none is configured) or the
// admin token; admin: the admin token only; signed: anyone, the handler checks the signature.
enum class access : std::uint8_t { open, storefront, admin, signed_body };

// The client a request speaks for (the scope of its Idempotency-Keys), or nullopt when it may
// not use the route. Every configured token is compared, so the time taken says nothing about
// which one matched.
std::optional<std::string_view> authenticate(worker& w, const http_request& req, access needed) {
    const config& cfg = w.owner.settings();
    const std::string_view header = req[http::field::authorization];
    if (needed == access::open || needed == access::signed_body) return "public";
    if (header_token_matches(header, cfg.admin_token)) return "admin";
    if (needed == access::admin) return std::nullopt;
    std::optional<std::string_view> client;
    if (!cfg.storefront_token.empty() && header_token_matches(header, cfg.storefront_token)) {
        client = "storefront";
    }
    for (const auto& [name, token] : cfg.storefront_clients) {
        if (header_token_matches(header, token) && !client) client = name;
    }
    if (!client && cfg.storefront_token.empty() && cfg.storefront_clients.empty()) {
        client = "public";
    }
    return client;
}

struct route_match {
    route which = route::not_found;
    access needs = access::open;
    http::verb method = http::verb::get;
    bool has_body = false;
    std::string_view id;      // the path parameter, when the route has one
    std::string_view action;  // order_move: the last path segment
};

// Routes by path shape first, so that a wrong method gets 405 rather than 404.
route_match match(std::string_view path) {
    constexpr std::string_view skus = "/v1/skus/", orders = "/v1/orders/";
    if (path == "/livez") return {route::livez, access::open, http::verb::get};
    if (path == "/readyz") return {route::readyz, access::open, http::verb::get};
    if (path == "/metrics") return {route::metrics, access::open, http::verb::get};
    if (path == "/v1/events") return {route::events, access::admin, http::verb::get};
    if (path == "/v1/orders")
        return {route::order_create, access::storefront, http::verb::post, true};
    if (path == "/v1/skus:batch") return {route::sku_batch, access::admin, http::verb::post, true};
    if (path == "/v1/payments/callback") {
        return {route::payment_callback, access::signed_body, http::verb::post, true};
    }
    if (path == "/v1/blocklist") return {route::blocklist_get, access::admin, http::verb::get};
    if (path.starts_with(skus)) {
        std::string_view rest = path.substr(skus.size());
        if (rest.ends_with("/stock")) {
            return {route::sku_stock, access::admin, http::verb::post, true,
                    rest.substr(0, rest.size() - 6)};
        }
        if (rest.find('/') == std::string_view::npos) {
            return {route::sku_get, access::storefront, http::verb::get, false, rest};
        }
    }
    if (path.starts_with(orders)) {
        std::string_view rest = path.substr(orders.size());
        const auto slash = rest.find('/');
        if (slash != std::string_view::npos &&
            rest.find('/', slash + 1) == std::string_view::npos) {
            return {route::order_move,     access::storefront,    http::verb::post, true,
                    rest.substr(0, slash), rest.substr(slash + 1)};
        }
        if (slash == std::string_view::npos) {
            return {route::order_get, access::storefront, http::verb::get, false, rest};
        }
    }
    return {};
}

bool is_json(std::string_view content_type) {
    std::string_view media = content_type.substr(0, content_type.find(';'));
    while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
    return media.size() == 16 && (media == "application/json" || media == "Application/JSON");
}

}  // namespace

std::string make_request_id(worker& w, const http_request& req) {
    std::string_view given = req["X-Request-Id"];
    bool sane = !given.empty() && given.size() <= 64;
    for (char c : given) sane = sane && c > 0x20 && c < 0x7f && c != '"' && c != '\\';
    if (sane) return std::string(given);
    char buf[40];
    auto n = std::snprintf(buf, sizeof buf, "%zx-%llx", w.index,
                           static_cast<unsigned long long>(++w.request_seq));
    return std::string(buf, static_cast<std::size_t>(n));
}

http_response problem_response(const session& s, const problem& p, const problem_fields& f) {
    problem_fields fields = f;
    fields.request_id = s.request_id();
    http_response res{static_cast<http::status>(p.status), 11};
    write_problem(res.body(), p.status, p.code, p.title, fields);
    res.set(http::field::content_type, "application/problem+json");
    if (p.status == 503 || p.status == 429) res.set(http::field::retry_after, "1");
    return res;
}

void dispatch(std::shared_ptr<session> s, const http_request& req) {
    std::string_view target = req.target();
    std::string_view path = target.substr(0, target.find('?'));
    route_match m = match(path);
    if (m.which == route::sku_get && req.method() == http::verb::put) {
        m = {route::sku_put, access::admin, http::verb::put, true, m.id};
    }
    if (m.which == route::blocklist_get && req.method() == http::verb::post) {
        m = {route::blocklist_post, access::admin, http::verb::post, true};
    }
    s->set_route(m.which);
    worker& w = s->owner();
    auto refuse = [&](std::string_view code, std::string_view detail = {}) {
        s->send(problem_response(*s, gateway_problem(code), problem_fields{.detail = detail}));
    };
    if (m.which == route::not_found) return refuse("not_found");
    if (req.method() != m.method) {
        http_response res = problem_response(*s, gateway_problem("method_not_allowed"), {});
        res.set(http::field::allow, m.which == route::sku_get         ? "GET, PUT"
                                    : m.which == route::blocklist_get ? "GET, POST"
                                                                      : http::to_string(m.method));
        return s->send(std::move(res));
    }
    const std::optional<std::string_view> client = authenticate(w, req, m.needs);
    if (!client) {
        http_response res = problem_response(*s, gateway_problem("unauthorized"), {});
        res.set(http::field::www_authenticate, "Bearer");
        return s->send(std::move(res));
    }
    s->set_client(*client);
    if (m.which == route::livez) return handle_livez(s);
    if (m.which == route::readyz) return handle_readyz(s);
    if (m.which == route::metrics) return handle_metrics(s);
    if (!w.owner.ready()) return refuse("not_ready", "recovery has not finished");
    if (m.has_body && !req.body().empty() && !is_json(req[http::field::content_type])) {
        return refuse("unsupported_media_type", "send the body as application/json");
    }
    switch (m.which) {
        case route::sku_put:
            return handle_sku_put(s, m.id, req.body());
        case route::sku_get:
            return handle_sku_get(s, m.id);
        case route::sku_batch:
            return handle_sku_batch(s, req.body());
        case route::sku_stock:
            return handle_sku_stock(s, m.id, req.body());
        case route::order_create:
            return handle_order_create(s, req);
        case route::order_get:
            return handle_order_get(s, m.id);
        case route::order_move:
            return handle_order_move(s, m.id, m.action, req.body());
        case route::payment_callback:
            return handle_payment_callback(s, req);
        case route::blocklist_get:
            return handle_blocklist_get(s);
        case route::blocklist_post:
            return handle_blocklist_post(s, req.body());
        case route::events:
            return handle_events(s, req);
        default:
            break;
    }
    return refuse("not_found");
}

}  // namespace fg::gateway
