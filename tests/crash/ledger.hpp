#pragma once

// The crash loop's client ledger: every request is written down BEFORE it is sent (in memory and
// as one line appended to a file for post-mortem), then marked acknowledged, refused or unknown.
// After each restart the audit resolves the unknowns and checks the gateway against the ledger.
//
// Thread-safe: every member function takes the ledger's mutex; the load threads and the audit
// share one ledger.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace fg::testing::crash {

using item_list = std::vector<std::pair<std::string, int>>;  // (sku id, qty)

// What the client knows about one request's effect.
enum class presence : std::uint8_t {
    in_flight,  // written down, no answer yet
    present,    // acknowledged (2xx), or an unknown resolved as applied
    absent,     // a definite refusal, or an unknown resolved as not applied
    unknown,    // timeout, reset, refused connection, no response: resolved after the restart
};

struct order_entry {
    std::string key;  // Idempotency-Key, unique over the whole run
    std::string body;
    item_list items;
    std::string order_id;  // from the first 2xx for the key; never changes
    presence placed = presence::in_flight;
    presence cancel = presence::absent;  // absent: no cancel applied (yet)
    bool cancel_busy = false;            // a cancel thread holds it
    std::uint32_t cycle = 0;             // when it was placed or last changed (sweep order)
};

struct sku_model {
    std::string id;
    std::int64_t stock = 0;              // initial + every delta known applied
    std::optional<std::int64_t> unsure;  // a delta whose answer was lost (at most one per cycle)
};

struct ledger_counts {
    std::uint64_t requests = 0;
    std::uint64_t acknowledged = 0;
    std::uint64_t refused = 0;
    std::uint64_t unknown = 0;
    std::uint64_t resolved_present = 0;
    std::uint64_t resolved_absent = 0;
};

class ledger {
 public:
    explicit ledger(std::filesystem::path dir) : dir_(std::move(dir)) {}
    ~ledger();

    // Starts a new ledger file for `cycle` and removes the one two cycles back (it passed its
    // audit; the previous one stays for a look at what led up to a failure).
    void open_cycle(std::uint32_t cycle);
    // Appends one line to the current file (written with one write(2): survives an abort).
    void note(const std::string& line);
    // Drops orders known absent (the file keeps them): memory stays bounded by what exists.
    // Only between cycles, when no thread holds an index.
    void compact();

    // --- orders ---
    // Records an order about to be sent; returns its index.
    std::size_t add_order(std::string key, std::string body, item_list items, std::uint32_t cycle);
    order_entry order(std::size_t i);
    void set_placed(std::size_t i, presence p, const std::string& order_id = {});
    // Picks a random live order (present, not cancelled, not held by another thread) for a
    // cancel and marks it busy; nullopt when none.
    std::optional<std::size_t> take_for_cancel(std::mt19937_64& rng);
    void set_cancel(std::size_t i, presence p, std::uint32_t cycle);
    std::vector<std::size_t> orders_placed(presence p);     // indices, in placing order
    std::vector<std::size_t> orders_cancelled(presence p);  // by the state of their cancel
    std::size_t order_count();
    // The key that first got `order_id`, or empty: a second key with the same id is a violation.
    std::string claim_order_id(const std::string& order_id, const std::string& key);

    // --- SKUs ---
    void add_sku(const std::string& id, std::int64_t stock);
    std::vector<sku_model> skus();
    void stock_applied(const std::string& id, std::int64_t delta);
    void stock_unsure(const std::string& id, std::int64_t delta);
    void stock_resolved(const std::string& id, std::int64_t applied);

    // --- counts ---
    void count_request() { bump(&ledger_counts::requests); }
    void count_acknowledged() { bump(&ledger_counts::acknowledged); }
    void count_refused() { bump(&ledger_counts::refused); }
    void count_unknown() { bump(&ledger_counts::unknown); }
    void count_resolved(bool present) {
        bump(present ? &ledger_counts::resolved_present : &ledger_counts::resolved_absent);
    }
    ledger_counts counts();

    // Records the gateway should have replayed: SKU puts, orders placed, cancels, deltas.
    void count_record(std::int64_t n = 1);
    std::int64_t records();

 private:
    void bump(std::uint64_t ledger_counts::*field);

    std::mutex mu_;
    std::filesystem::path dir_;
    int fd_ = -1;
    std::vector<order_entry> orders_;
    std::vector<std::size_t> live_;  // candidates for a cancel (may hold stale indices)
    std::map<std::string, std::string> key_of_id_;
    std::map<std::string, sku_model> skus_;
    ledger_counts counts_;
    std::int64_t records_ = 0;
};

}  // namespace fg::testing::crash
