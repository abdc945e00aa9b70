#pragma once

// The ledger: every logical order (one Idempotency-Key, its items) and every attempt to place it
// (times, status, refusal code, order id). The audit and every report are computed from it after
// the run, so the hot path only fills in a preallocated record.

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "loadtest/workload.hpp"

namespace fg::loadtest {

struct order_item {
    std::uint32_t sku = 0;  // index into the workload's catalogue
    std::uint16_t qty = 0;
};

// One Idempotency-Key: retries of it resend the same body.
struct logical_order {
    std::uint64_t key_seq = 0;  // the key is <key prefix><key_seq>, unique within the run
    std::uint32_t buyer = 0;
    std::uint8_t item_count = 0;
    std::array<order_item, items_per_order_max> items{};
};

enum class outcome : std::uint8_t {
    acknowledged,  // 201 or 200 (replay)
    refused,       // a definite 4xx or 503 carrying a problem code
    unknown,       // timeout, reset, closed before a full answer, other 5xx, never sent
};

inline constexpr std::uint8_t no_fault_item = 0xff;
inline constexpr std::size_t order_id_chars_max = 31;

// One request on the wire.
struct attempt {
    std::uint32_t order = 0;   // index into ledger::orders
    std::uint16_t status = 0;  // HTTP status, 0 when no answer arrived
    outcome result = outcome::unknown;
    std::uint8_t code = 0;                    // index into ledger::codes; 0 is "" (no code)
    std::uint8_t fault_item = no_fault_item;  // which item a refusal's sku_id names
    std::uint8_t late = 0;         // open loop: no connection was free at its intended time
    std::int64_t intended_ns = 0;  // relative to the run's start
    std::int64_t sent_ns = -1;     // -1: never written to a socket
    std::int64_t done_ns = -1;     // -1: no answer
    std::array<char, order_id_chars_max + 1> order_id{};  // NUL-terminated, for 2xx
};

// Single-owner: a client thread fills its own, then the run merges them into one.
struct ledger {
    std::vector<logical_order> orders;
    std::vector<attempt> attempts;
    std::vector<std::string> codes{""};  // interned problem codes; index 0 means none

    std::uint8_t intern_code(std::string_view code);
    // Appends `other`, renumbering its order indices and codes.
    void merge(ledger&& other);
    std::string key(const logical_order& o, std::string_view key_prefix) const;
};

// CSV: one row per attempt with its key, items, times in microseconds and answer.
bool write_ledger_csv(const ledger& l, const std::filesystem::path& path,
                      std::string_view key_prefix, std::string_view sku_prefix);

}  // namespace fg::loadtest
