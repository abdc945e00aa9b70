#pragma once

// Shared set-up for the integration tests: one real gateway process per test on a free port.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "gateway_process.hpp"
#include "http_client.hpp"

namespace fg::testing {

inline const header_list admin = {{"Authorization", "Bearer test-admin-token"}};

inline std::string order_body(const std::string& buyer,
                              const std::vector<std::pair<std::string, int>>& items) {
    nlohmann::json j = {
        {"buyer_id", buyer},
        {"payment_method", "alipay"},
        {"contact", {{"name", "Li Lei"}, {"phone", "13800000000"}, {"address", "1 Road"}}}};
    j["items"] = nlohmann::json::array();
    for (const auto& [sku, qty] : items) j["items"].push_back({{"sku_id", sku}, {"qty", qty}});
    return j.dump();
}

inline std::string sku_body(int stock, long price = 1999, const std::string& currency = "CNY") {
    return nlohmann::json{{"name", "Flash tee"},
                          {"price", {{"amount_minor", price}, {"currency", currency}}},
                          {"stock", stock}}
        .dump();
}

// Reads one unlabelled sample from /metrics; -1 if the name is missing or /metrics fails.
inline double metric(http_client& c, const std::string& name) {
    const http_reply r = c.get("/metrics");
    if (r.status != 200) return -1;
    const std::string needle = "\n" + name + " ";
    const auto at = r.body.find(needle);
    if (at == std::string::npos) return -1;
    return std::stod(r.body.substr(at + needle.size()));
}

class gateway_test : public ::testing::Test {
 protected:
    void start(unsigned threads = 4) {
        gateway_options opts;
        opts.data_dir = dir_.path();
        opts.threads = threads;
        gw_ = std::make_unique<gateway_process>(opts);
        gw_->start();
    }
    void restart() { gw_->start(); }
    http_reply put_sku(http_client& c, const std::string& id, const std::string& body) {
        return c.request("PUT", "/v1/skus/" + id, body, admin);
    }
    http_reply place(http_client& c, const std::string& key, const std::string& body) {
        return c.request("POST", "/v1/orders", body, {{"Idempotency-Key", key}});
    }
    nlohmann::json sku(http_client& c, const std::string& id) {
        return c.get("/v1/skus/" + id).json();
    }

    temp_dir dir_;
    std::unique_ptr<gateway_process> gw_;
};

}  // namespace fg::testing
