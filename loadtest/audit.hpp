#pragma once

// The end-of-run audit: the ledger (what the client sent and was told) against the SKUs' final
// state (what the gateway holds). Rules, numbered as the README states them:
//   A1 no oversell: available >= 0 and available + held + sold == stock, per SKU;
//   A2 nothing lost (exclusive runs): acknowledged units <= held + sold <= acknowledged + unknown;
//   A3 no undersell: after a sold_out refusal of q units, available < q (+ unknown units);
//   A4 one order per Idempotency-Key: every 2xx for a key names one order_id, and every order_id
//      belongs to one key.

#include <cstdint>
#include <string>
#include <vector>

#include "loadtest/ledger.hpp"

namespace fg::loadtest {

struct sku_state {
    std::uint32_t sku = 0;  // catalogue index
    bool found = false;
    std::int64_t stock = 0;
    std::int64_t available = 0;
    std::int64_t held = 0;
    std::int64_t sold = 0;
};

enum class sku_usage { exclusive, shared };

struct audit_report {
    std::vector<std::string> failures;  // one line each, first ones only past a cap
    std::uint64_t failure_count = 0;
    std::uint64_t skus_checked = 0;
    std::uint64_t keys_checked = 0;
    bool passed() const { return failure_count == 0; }
};

// Catalogue indices of every SKU any order named, ascending.
std::vector<std::uint32_t> touched_skus(const ledger& l);

// `states` holds one entry per touched SKU (any order).
audit_report run_audit(const ledger& l, const std::vector<sku_state>& states, sku_usage usage,
                       const std::string& sku_prefix, const std::string& key_prefix);

}  // namespace fg::loadtest
