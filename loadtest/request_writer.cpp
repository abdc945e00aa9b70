#include "loadtest/request_writer.hpp"

#include <charconv>

namespace fg::loadtest {

namespace {
void append_number(std::string& out, std::uint64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}
}  // namespace

request_writer::request_writer(const request_format& f) {
    head_ = "POST " + f.target + " HTTP/1.1\r\nHost: " + f.host +
            "\r\nContent-Type: application/json\r\n";
    if (!f.bearer_token.empty()) head_ += "Authorization: Bearer " + f.bearer_token + "\r\n";
    head_ += "Idempotency-Key: " + f.key_prefix;
    buyer_open_ = "{\"buyer_id\":\"b";
    sku_open_ = "{\"sku_id\":\"" + f.sku_prefix;
    body_tail_ = "],\"payment_method\":\"" + f.payment_method +
                 "\",\"contact\":{\"name\":\"Load Test\",\"phone\":\"13800000000\","
                 "\"address\":\"1 Bench Road\"}}";
    body_.reserve(1024);
}

void request_writer::build_body(const logical_order& o) {
    body_.assign(buyer_open_);
    append_number(body_, o.buyer);
    body_.append("\",\"items\":[");
    for (unsigned i = 0; i < o.item_count; ++i) {
        if (i > 0) body_.push_back(',');
        body_.append(sku_open_);
        append_number(body_, o.items[i].sku);
        body_.append("\",\"qty\":");
        append_number(body_, o.items[i].qty);
        body_.push_back('}');
    }
    body_.append(body_tail_);
}

void request_writer::append(std::string& out, const logical_order& o) {
    build_body(o);
    out.append(head_);
    append_number(out, o.key_seq);
    out.append("\r\nContent-Length: ");
    append_number(out, body_.size());
    out.append("\r\n\r\n");
    out.append(body_);
}

}  // namespace fg::loadtest
