#pragma once

// One shard's partition of the stock: the SKUs it owns, their counts, and how much each buyer
// holds or bought of each (for per-buyer limits). Pure logic: no threads, no I/O, no clock.

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "matching/lifecycle.hpp"
#include "matching/order.hpp"
#include "matching/outcome.hpp"
#include "matching/sku.hpp"

namespace fg::matching {

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

template <class V>
using string_map = std::unordered_map<std::string, V, string_hash, std::equal_to<>>;

// One line of a reservation: a SKU this shard owns and how many units.
struct stock_line {
    std::string_view sku_id;
    std::int64_t qty = 0;
};

struct reservation {
    outcome result = outcome::ok;
    std::string refused_sku;         // set when result != ok
    std::vector<money> unit_prices;  // one per line, when result == ok
};

// Shard-local: touched only by the thread of the shard that owns these SKUs.
class inventory {
 public:
    const sku_state* find(std::string_view sku_id) const;

    // Computes the state a PUT would leave (into `next`) without applying it.
    outcome plan_upsert(std::string_view sku_id, const sku_spec& spec, std::int64_t now_ms,
                        sku_state& next) const;
    // Applies a planned (or replayed) merchant state; held and sold are the shard's own.
    void apply_upsert(const sku_state& next);

    outcome plan_adjust(std::string_view sku_id, std::int64_t delta) const;
    void apply_adjust(std::string_view sku_id, std::int64_t delta, std::int64_t at_ms);

    // All-or-nothing over `lines`: either every line is held, or nothing changes and the
    // first refusal in outcome precedence order is reported with its SKU.
    reservation reserve(std::string_view buyer_id, std::span<const stock_line> lines,
                        std::int64_t now_ms);
    // Takes a hold without checks: replay of an order the log says was accepted. False (and
    // nothing changed) only if the SKU is unknown, which replay reports as a broken log.
    [[nodiscard]] bool hold_line(std::string_view buyer_id, const stock_line& line);
    // Gives held units back (a refused, failed or cancelled order).
    void release(std::string_view buyer_id, std::span<const stock_line> lines);
    // Applies what a logged order move does to these lines (lifecycle.hpp), without checks:
    // the move was decided already. For retake, the live path first called try_retake().
    void apply_effect(stock_effect effect, std::string_view buyer_id,
                      std::span<const stock_line> lines);
    // All-or-nothing: moves available units straight to sold (a payment that arrived after the
    // order's hold lapsed). False, and nothing changed, if any line lacks the units or its SKU.
    [[nodiscard]] bool try_retake(std::string_view buyer_id, std::span<const stock_line> lines);

    // M1/M2 over every SKU; false with a message naming the SKU when broken.
    bool check(std::string& error) const;

    template <class Fn>
    void for_each(Fn&& fn) const {
        for (const auto& [id, e] : skus_) fn(e.state);
    }
    std::size_t size() const { return skus_.size(); }

 private:
    struct entry {
        sku_state state;
        string_map<std::int64_t> bought_by_buyer;  // held + sold per buyer
    };
    outcome check_line(const entry& e, std::string_view buyer_id, std::int64_t qty,
                       std::int64_t now_ms) const;
    entry& must_find(std::string_view sku_id, const char* invariant);
    static void take(entry& e, std::string_view buyer_id, std::int64_t qty);
    // Look before inserting: try_emplace would build a std::string key for every call.
    static void count_buyer(entry& e, std::string_view buyer_id, std::int64_t delta);

    string_map<entry> skus_;
};

}  // namespace fg::matching
