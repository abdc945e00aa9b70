#include "loadtest/ledger.hpp"

#include <algorithm>
#include <fstream>

namespace fg::loadtest {

std::uint8_t ledger::intern_code(std::string_view code) {
    for (std::size_t i = 0; i < codes.size(); ++i) {
        if (codes[i] == code) return static_cast<std::uint8_t>(i);
    }
    // Codes come from a closed list in the API; a server spraying new ones collapses into the last.
    if (codes.size() >= 255) return 254;
    codes.emplace_back(code);
    return static_cast<std::uint8_t>(codes.size() - 1);
}

void ledger::merge(ledger&& other) {
    const auto base = static_cast<std::uint32_t>(orders.size());
    orders.insert(orders.end(), other.orders.begin(), other.orders.end());
    std::vector<std::uint8_t> code_map(other.codes.size());
    for (std::size_t i = 0; i < other.codes.size(); ++i) code_map[i] = intern_code(other.codes[i]);
    attempts.reserve(attempts.size() + other.attempts.size());
    for (attempt a : other.attempts) {
        a.order += base;
        a.code = code_map[a.code];
        attempts.push_back(a);
    }
    other = {};
}

std::string ledger::key(const logical_order& o, std::string_view key_prefix) const {
    return std::string(key_prefix) + std::to_string(o.key_seq);
}

namespace {
const char* outcome_name(outcome o) {
    switch (o) {
        case outcome::acknowledged:
            return "acknowledged";
        case outcome::refused:
            return "refused";
        case outcome::unknown:
            return "unknown";
    }
    return "?";
}
}  // namespace

bool write_ledger_csv(const ledger& l, const std::filesystem::path& path,
                      std::string_view key_prefix, std::string_view sku_prefix) {
    std::ofstream out(path);
    if (!out) return false;
    out << "idempotency_key,buyer,items,intended_us,sent_us,done_us,latency_us,status,outcome,code,"
           "order_id\n";
    for (const attempt& a : l.attempts) {
        const logical_order& o = l.orders[a.order];
        out << l.key(o, key_prefix) << ",b" << o.buyer << ',';
        for (unsigned i = 0; i < o.item_count; ++i) {
            out << (i ? ";" : "") << sku_prefix << o.items[i].sku << 'x' << o.items[i].qty;
        }
        out << ',' << a.intended_ns / 1000 << ',' << (a.sent_ns < 0 ? -1 : a.sent_ns / 1000) << ','
            << (a.done_ns < 0 ? -1 : a.done_ns / 1000) << ','
            << (a.done_ns < 0 ? -1 : (a.done_ns - a.intended_ns) / 1000) << ',' << a.status << ','
            << outcome_name(a.result) << ',' << l.codes[a.code] << ',' << a.order_id.data() << '\n';
    }
    return static_cast<bool>(out);
}

}  // namespace fg::loadtest
