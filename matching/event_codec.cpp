#include "matching/event_codec.hpp"

#include <cstring>
#include <string_view>

#include "matching/limits.hpp"

namespace fg::matching {
namespace {

// Version 1 is every payload's first layout. Version 2 of order_placed adds the client, the
// body digest, the client address and the initial status (FORMAT.md, "Payloads").
constexpr std::uint8_t payload_version = 1;
constexpr std::uint8_t order_payload_version = 2;

class byte_writer {
 public:
    explicit byte_writer(std::vector<std::byte>& out, std::uint8_t version = payload_version)
        : out_(out) {
        out_.clear();
        u8(version);
    }
    void u8(std::uint8_t v) { out_.push_back(static_cast<std::byte>(v)); }
    void u16(std::uint16_t v) { raw(&v, sizeof v); }
    void u64(std::uint64_t v) { raw(&v, sizeof v); }
    void i64(std::int64_t v) { raw(&v, sizeof v); }
    void str(std::string_view s) {
        u16(static_cast<std::uint16_t>(s.size()));
        raw(s.data(), s.size());
    }
    void bytes(const void* p, std::size_t n) { raw(p, n); }
    void money(const matching::money& m) {
        i64(m.amount_minor);
        raw(m.currency.view().data(), 3);
    }

 private:
    // The host is little-endian (x86-64, aarch64); the format is too, so bytes copy as they are.
    void raw(const void* p, std::size_t n) {
        auto b = static_cast<const std::byte*>(p);
        out_.insert(out_.end(), b, b + n);
    }
    std::vector<std::byte>& out_;
};

class byte_reader {
 public:
    // Accepts versions 1..newest; version() tells which one the payload has.
    explicit byte_reader(std::span<const std::byte> in, std::uint8_t newest = payload_version)
        : in_(in) {
        ok_ = u8(version_) && version_ >= 1 && version_ <= newest;
    }
    std::uint8_t version() const { return version_; }
    bool bytes(void* p, std::size_t n) { return raw(p, n); }
    bool u8(std::uint8_t& v) { return raw(&v, sizeof v); }
    bool u16(std::uint16_t& v) { return raw(&v, sizeof v); }
    bool u64(std::uint64_t& v) { return raw(&v, sizeof v); }
    bool i64(std::int64_t& v) { return raw(&v, sizeof v); }
    bool str(std::string& s, std::size_t max_len) {
        std::uint16_t n = 0;
        if (!u16(n) || n > max_len || in_.size() - pos_ < n) return ok_ = false;
        s.assign(reinterpret_cast<const char*>(in_.data() + pos_), n);
        pos_ += n;
        return true;
    }
    // The bytes stay where they are: `s` is valid as long as the payload is.
    bool view(std::string_view& s, std::size_t max_len) {
        std::uint16_t n = 0;
        if (!u16(n) || n > max_len || in_.size() - pos_ < n) return ok_ = false;
        s = std::string_view(reinterpret_cast<const char*>(in_.data() + pos_), n);
        pos_ += n;
        return true;
    }
    bool money(matching::money& m) {
        char code[3];
        if (!i64(m.amount_minor) || !raw(code, 3)) return false;
        // A decoder reused record after record (replay's) nearly always meets the currency it
        // met last: the same known letters need no parse.
        if (!m.currency.empty() && std::memcmp(code, m.currency.view().data(), 3) == 0) return true;
        auto c = currency_code::parse(std::string_view(code, 3));
        if (!c) return ok_ = false;
        m.currency = *c;
        return true;
    }
    // True when every read succeeded and nothing is left over.
    bool done() const { return ok_ && pos_ == in_.size(); }
    bool ok() const { return ok_; }

 private:
    bool raw(void* p, std::size_t n) {
        if (!ok_ || in_.size() - pos_ < n) return ok_ = false;
        std::memcpy(p, in_.data() + pos_, n);
        pos_ += n;
        return true;
    }
    std::span<const std::byte> in_;
    std::size_t pos_ = 0;
    std::uint8_t version_ = 0;
    bool ok_ = true;
};

}  // namespace

void encode(const sku_state& s, std::vector<std::byte>& out) {
    byte_writer w(out);
    w.str(s.id);
    w.str(s.name);
    w.money(s.price);
    w.i64(s.stock);
    w.i64(s.per_buyer_limit);
    w.i64(s.sale.starts_at_ms);
    w.i64(s.sale.ends_at_ms);
    w.i64(s.low_stock_threshold);
    w.u8(static_cast<std::uint8_t>(s.status));
    w.i64(s.updated_at_ms);
}

bool decode(std::span<const std::byte> in, sku_state& s) {
    byte_reader r(in);
    std::uint8_t status = 0;
    r.str(s.id, limits::sku_id_chars_max);
    r.str(s.name, limits::sku_name_chars_max);
    r.money(s.price);
    r.i64(s.stock);
    r.i64(s.per_buyer_limit);
    r.i64(s.sale.starts_at_ms);
    r.i64(s.sale.ends_at_ms);
    r.i64(s.low_stock_threshold);
    r.u8(status);
    r.i64(s.updated_at_ms);
    if (!r.done() || status > 1 || s.stock < 0 || s.stock > limits::stock_max) return false;
    s.status = static_cast<sku_status>(status);
    return true;
}

void encode(const stock_adjusted& e, std::vector<std::byte>& out) {
    byte_writer w(out);
    w.str(e.sku_id);
    w.i64(e.delta);
    w.i64(e.at_ms);
}

bool decode(std::span<const std::byte> in, stock_adjusted& e) {
    byte_reader r(in);
    r.str(e.sku_id, limits::sku_id_chars_max);
    r.i64(e.delta);
    r.i64(e.at_ms);
    return r.done();
}

void encode(const order& o, std::vector<std::byte>& out) {
    byte_writer w(out, order_payload_version);
    w.u64(o.id);
    w.str(o.idempotency_key);
    w.str(o.buyer_id);
    w.str(o.payment_method);
    w.str(o.buyer_contact.name);
    w.str(o.buyer_contact.phone);
    w.str(o.buyer_contact.address);
    w.i64(o.created_at_ms);
    w.i64(o.hold_expires_at_ms);
    w.money(o.total);
    w.u16(static_cast<std::uint16_t>(o.items.size()));
    for (const order_item& item : o.items) {
        w.str(item.sku_id);
        w.i64(item.qty);
        w.i64(item.unit_price.amount_minor);
    }
    const transition& placed = o.history.empty() ? transition{} : o.history.front();
    w.str(o.client);
    w.bytes(o.digest.data(), o.digest.size());
    w.str(o.client_ip);
    w.u8(static_cast<std::uint8_t>(placed.to));
    w.str(placed.reason());
}

bool decode(std::span<const std::byte> in, order_placed_view& o) {
    byte_reader r(in, order_payload_version);
    std::uint16_t n = 0;
    r.u64(o.id);
    r.view(o.idempotency_key, limits::idempotency_key_chars_max);
    r.view(o.buyer_id, limits::buyer_id_chars_max);
    r.view(o.payment_method, limits::payment_method_chars_max);
    r.view(o.contact_name, limits::contact_name_chars_max);
    r.view(o.contact_phone, limits::contact_phone_chars_max);
    r.view(o.contact_address, limits::contact_address_chars_max);
    r.i64(o.created_at_ms);
    r.i64(o.hold_expires_at_ms);
    r.money(o.total);
    if (!r.u16(n) || n == 0 || n > limits::order_items_max) return false;
    o.item_count = n;
    for (order_placed_view::line& item : std::span(o.items.data(), n)) {
        r.view(item.sku_id, limits::sku_id_chars_max);
        r.i64(item.qty);
        r.i64(item.unit_price_minor);
        if (!r.ok() || item.qty < 1 || item.qty > limits::item_qty_max) return false;
    }
    o.client = {};
    o.digest = {};
    o.client_ip = {};
    o.status = order_status::pending_payment;
    o.reason = {};
    if (r.version() >= 2) {
        std::uint8_t status = 0;
        r.view(o.client, limits::client_chars_max);
        r.bytes(o.digest.data(), o.digest.size());
        r.view(o.client_ip, limits::client_ip_chars_max);
        r.u8(status);
        r.view(o.reason, limits::reason_chars_max);
        if (status != static_cast<std::uint8_t>(order_status::pending_payment) &&
            status != static_cast<std::uint8_t>(order_status::risk_review)) {
            return false;
        }
        o.status = static_cast<order_status>(status);
    }
    return r.done();
}

std::uint64_t order_placed_id(std::span<const std::byte> placed) {
    std::uint64_t id = 0;
    if (placed.size() >= 1 + sizeof id) std::memcpy(&id, placed.data() + 1, sizeof id);
    return id;
}

std::int64_t order_placed_hold_expires_at(std::span<const std::byte> placed) {
    // version, id, then idempotency key, buyer, payment method and the contact's three
    // strings, then created_at_ms and hold_expires_at_ms (encode(const order&)).
    std::size_t at = 1 + sizeof(std::uint64_t);
    for (int s = 0; s < 6; ++s) {
        std::uint16_t n = 0;
        if (placed.size() < at + sizeof n) return 0;
        std::memcpy(&n, placed.data() + at, sizeof n);
        at += sizeof n + n;
    }
    at += sizeof(std::int64_t);
    std::int64_t hold = 0;
    if (placed.size() >= at + sizeof hold) std::memcpy(&hold, placed.data() + at, sizeof hold);
    return hold;
}

bool decode(std::span<const std::byte> in, order& o) {
    order_placed_view v;
    if (!decode(in, v)) return false;
    o.id = v.id;
    o.idempotency_key = v.idempotency_key;
    o.buyer_id = v.buyer_id;
    o.payment_method = v.payment_method;
    o.buyer_contact = {std::string(v.contact_name), std::string(v.contact_phone),
                       std::string(v.contact_address)};
    o.created_at_ms = o.updated_at_ms = v.created_at_ms;
    o.hold_expires_at_ms = v.hold_expires_at_ms;
    o.total = v.total;
    o.items.resize(v.item_count);
    for (std::size_t i = 0; i < v.item_count; ++i) {
        const order_placed_view::line& line = v.items[i];
        o.items[i] = {
            std::string(line.sku_id), line.qty, {line.unit_price_minor, v.total.currency}};
    }
    o.client = v.client;
    o.digest = v.digest;
    o.client_ip = v.client_ip;
    o.status = v.status;
    o.history.assign(1, transition{.to = v.status,
                                   .by = actor::buyer,
                                   .at_ms = v.created_at_ms,
                                   .text = text_of({.reason = std::string(v.reason)})});
    return true;
}

void encode(const order_cancelled& e, std::vector<std::byte>& out) {
    byte_writer w(out);
    w.u64(e.order_id);
    w.i64(e.at_ms);
}

bool decode(std::span<const std::byte> in, order_cancelled& e) {
    byte_reader r(in);
    r.u64(e.order_id);
    r.i64(e.at_ms);
    return r.done();
}

void encode(const order_moved& e, std::vector<std::byte>& out) {
    byte_writer w(out);
    const transition& t = e.step;
    w.u64(e.order_id);
    w.u8(static_cast<std::uint8_t>(t.to));
    w.u8(static_cast<std::uint8_t>(t.by));
    w.i64(t.at_ms);
    w.str(t.carrier());
    w.str(t.tracking_no());
    w.str(t.provider_txn_id());
    w.str(t.reason());
    w.u8(t.restock ? 1 : 0);
    w.i64(t.hold_expires_at_ms);
}

bool decode(std::span<const std::byte> in, order_moved& e) {
    byte_reader r(in);
    transition& t = e.step;
    std::uint8_t to = 0, by = 0, restock = 0;
    r.u64(e.order_id);
    r.u8(to);
    r.u8(by);
    r.i64(t.at_ms);
    transition_text text;
    r.str(text.carrier, limits::carrier_chars_max);
    r.str(text.tracking_no, limits::tracking_no_chars_max);
    r.str(text.provider_txn_id, limits::provider_txn_id_chars_max);
    r.str(text.reason, limits::reason_chars_max);
    t.text = text_of(std::move(text));
    r.u8(restock);
    r.i64(t.hold_expires_at_ms);
    if (!r.done() || to > order_status_max || by > static_cast<std::uint8_t>(actor::system) ||
        restock > 1) {
        return false;
    }
    t.to = static_cast<order_status>(to);
    t.by = static_cast<actor>(by);
    t.restock = restock == 1;
    return true;
}

void encode(const block_changed& e, std::vector<std::byte>& out) {
    byte_writer w(out);
    w.u8(static_cast<std::uint8_t>(e.kind));
    w.str(e.value);
    w.u8(e.blocked ? 1 : 0);
    w.i64(e.at_ms);
}

bool decode(std::span<const std::byte> in, block_changed& e) {
    byte_reader r(in);
    std::uint8_t kind = 0, blocked = 0;
    r.u8(kind);
    r.str(e.value, limits::blocked_value_chars_max);
    r.u8(blocked);
    r.i64(e.at_ms);
    if (!r.done() || kind > 1 || blocked > 1 || e.value.empty()) return false;
    e.kind = static_cast<block_kind>(kind);
    e.blocked = blocked == 1;
    return true;
}

void encode(const key_refused& e, std::vector<std::byte>& out) {
    byte_writer w(out);
    w.str(e.client);
    w.str(e.idempotency_key);
    w.bytes(e.digest.data(), e.digest.size());
    w.u8(static_cast<std::uint8_t>(e.refusal));
    w.str(e.refused_sku);
    w.str(e.request_id);
    w.i64(e.at_ms);
}

bool decode(std::span<const std::byte> in, key_refused& e) {
    byte_reader r(in);
    std::uint8_t refusal = 0;
    r.str(e.client, limits::client_chars_max);
    r.str(e.idempotency_key, limits::idempotency_key_chars_max);
    r.bytes(e.digest.data(), e.digest.size());
    r.u8(refusal);
    r.str(e.refused_sku, limits::sku_id_chars_max);
    r.str(e.request_id, limits::request_id_chars_max);
    r.i64(e.at_ms);
    if (!r.done() || refusal == 0 || refusal > static_cast<std::uint8_t>(outcome::log_failed)) {
        return false;
    }
    e.refusal = static_cast<outcome>(refusal);
    return true;
}

}  // namespace fg::matching
