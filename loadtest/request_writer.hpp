#pragma once

// Formats POST /v1/orders requests straight into a connection's output buffer. Everything that
// does not change between requests (request line, headers, contact block) is built once.

#include <string>
#include <string_view>

#include "loadtest/ledger.hpp"

namespace fg::loadtest {

struct request_format {
    std::string target = "/v1/orders";
    std::string host = "127.0.0.1:8080";
    std::string bearer_token;  // empty: no Authorization header
    std::string key_prefix;    // Idempotency-Key = key_prefix + key_seq
    std::string sku_prefix;    // sku_id = sku_prefix + catalogue index
    std::string payment_method = "alipay";
};

// Thread-local: owns a scratch buffer for the body.
class request_writer {
 public:
    explicit request_writer(const request_format& f);
    // Appends one complete HTTP/1.1 request for `o` to `out`.
    void append(std::string& out, const logical_order& o);

 private:
    void build_body(const logical_order& o);

    std::string head_;        // request line and fixed headers, up to the Idempotency-Key value
    std::string sku_open_;    // {"sku_id":"<sku prefix>
    std::string body_tail_;   // ],"payment_method":...}
    std::string buyer_open_;  // {"buyer_id":"b
    std::string body_;
};

}  // namespace fg::loadtest
