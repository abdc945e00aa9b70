#include "loadtest/catalog_admin.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace fg::loadtest {

using nlohmann::json;

namespace {

std::string batch_body(const workload& w, const std::string& sku_prefix, std::uint64_t first,
                       std::uint64_t end) {
    json skus = json::array();
    for (std::uint64_t i = first; i < end; ++i) {
        skus.push_back({{"sku_id", sku_prefix + std::to_string(i)},
                        {"name", w.sku_name},
                        {"price", {{"amount_minor", w.price_minor}, {"currency", w.currency}}},
                        {"stock", w.stock}});
    }
    return json{{"skus", std::move(skus)}}.dump();
}

// Empty if every entry of the batch answered 200 or 201.
std::string check_batch(const http_reply& r) {
    if (r.status != 200) {
        return r.status == 0
                   ? r.error
                   : "POST /v1/skus:batch answered " + std::to_string(r.status) + ": " + r.body;
    }
    const json j = json::parse(r.body, nullptr, false);
    if (j.is_discarded() || !j.contains("results")) return "POST /v1/skus:batch: unreadable answer";
    for (const json& e : j.at("results")) {
        const int status = e.value("status", 0);
        if (status != 200 && status != 201) {
            return "SKU " + e.value("sku_id", std::string("?")) +
                   " refused: " + std::to_string(status) + " " + e.value("code", std::string());
        }
    }
    return {};
}

}  // namespace

std::string create_skus(admin_client& admin, const workload& w, const std::string& sku_prefix) {
    std::uint64_t batch = sku_batch_max;
    for (std::uint64_t first = 0; first < w.sku_count;) {
        const std::uint64_t end = std::min(w.sku_count, first + batch);
        const http_reply r =
            admin.request("POST", "/v1/skus:batch", batch_body(w, sku_prefix, first, end));
        // The API promises 1 MiB for this route, but a gateway may enforce a smaller body limit:
        // halve the batch rather than give up.
        if (r.status == 413 && batch > 1) {
            batch /= 2;
            continue;
        }
        if (auto e = check_batch(r); !e.empty()) return e;
        first = end;
    }
    return {};
}

std::vector<sku_state> fetch_skus(admin_client& admin, const std::vector<std::uint32_t>& skus,
                                  const std::string& sku_prefix, std::string& error) {
    std::vector<sku_state> out;
    out.reserve(skus.size());
    for (const std::uint32_t sku : skus) {
        const http_reply r =
            admin.request("GET", "/v1/skus/" + sku_prefix + std::to_string(sku), "");
        if (r.status == 0) {
            error = r.error;
            return out;
        }
        sku_state s;
        s.sku = sku;
        const json j = json::parse(r.body, nullptr, false);
        if (r.status == 200 && !j.is_discarded()) {
            s.found = true;
            s.stock = j.value("stock", std::int64_t{-1});
            s.available = j.value("available", std::int64_t{-1});
            s.held = j.value("held", std::int64_t{-1});
            s.sold = j.value("sold", std::int64_t{-1});
        }
        out.push_back(s);
    }
    return out;
}

}  // namespace fg::loadtest
