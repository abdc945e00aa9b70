#pragma once

// One shard's partition of the stock: the SKUs it owns, their counts, and how much each buyer
// holds or bought of each (for per-buyer limits). Pure logic: no threads, no I/O, no clock.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "matching/detail/count_table.hpp"
#include "matching/detail/string_interner.hpp"
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
    static constexpr std::uint32_t absent = detail::string_interner::absent;

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
    [[nodiscard]] bool hold_line(std::string_view buyer_id, const stock_line& line) {
        return hold_line(detail::hashed_string(buyer_id), line);
    }
    [[nodiscard]] bool hold_line(const detail::hashed_string& buyer, const stock_line& line) {
        return hold_prepared(prepare_hold(line.sku_id, buyer), line.qty);
    }
    // hold_line in two steps, for replay's look-ahead (engine::read_batch): prepare_hold looks
    // up the SKU and numbers the buyer some records before the hold is due, and starts loading
    // the buyer's count; hold_prepared then takes the hold. A buyer numbered early is numbered
    // all the same. prefetch_buyer, earlier still, starts loading the buyer's number.
    struct prepared_hold {
        std::uint32_t ordinal = absent;  // `absent`: the SKU is unknown
        std::uint32_t buyer = absent;
    };
    prepared_hold prepare_hold(std::string_view sku_id, const detail::hashed_string& buyer);
    [[nodiscard]] bool hold_prepared(prepared_hold line, std::int64_t qty);
    void prefetch_buyer(const detail::hashed_string& buyer) const { buyer_ids_.prefetch(buyer); }
    // Gives held units back (a refused, failed or cancelled order).
    void release(std::string_view buyer_id, std::span<const stock_line> lines);
    // Applies what a logged order move does to these lines (lifecycle.hpp), without checks:
    // the move was decided already. For retake, the live path first called try_retake().
    void apply_effect(stock_effect effect, std::string_view buyer_id,
                      std::span<const stock_line> lines);
    // All-or-nothing: moves available units straight to sold (a payment that arrived after the
    // order's hold lapsed). False, and nothing changed, if any line lacks the units or its SKU.
    [[nodiscard]] bool try_retake(std::string_view buyer_id, std::span<const stock_line> lines);

    // Room for `pairs` (SKU, buyer) counts without growing (replay sizes it from the log).
    void reserve_buyer_counts(std::size_t pairs) { bought_.reserve(pairs); }

    // M1/M2 over every SKU; false with a message naming the SKU when broken.
    bool check(std::string& error) const;

    template <class Fn>
    void for_each(Fn&& fn) const {
        for (std::uint32_t i = 0; i < sku_ids_.size(); ++i) fn(sku_at(i));
    }
    std::size_t size() const { return sku_ids_.size(); }

 private:
    using hashed_string = detail::hashed_string;
    static constexpr std::uint32_t skus_per_chunk = 128;

    sku_state& sku_at(std::uint32_t ordinal) {
        return sku_chunks_[ordinal / skus_per_chunk][ordinal % skus_per_chunk];
    }
    const sku_state& sku_at(std::uint32_t ordinal) const {
        return sku_chunks_[ordinal / skus_per_chunk][ordinal % skus_per_chunk];
    }
    // The SKU's ordinal, or `absent`.
    std::uint32_t ordinal_of(std::string_view sku_id) const {
        return sku_ids_.find(hashed_string(sku_id));
    }
    std::uint32_t must_find(std::string_view sku_id, const char* invariant) const;
    static std::uint64_t count_key(std::uint32_t ordinal, std::uint32_t buyer) {
        return (std::uint64_t{ordinal} << 32) | buyer;
    }
    outcome check_line(std::uint32_t ordinal, std::uint32_t buyer, std::int64_t qty,
                       std::int64_t now_ms) const;
    // Adds `delta` to the buyer's count for the SKU (M4): a count is only ever created by a
    // positive delta and never goes below 0. `buyer` may be `absent` when `delta` <= 0.
    void count_buyer(std::uint32_t ordinal, std::uint32_t buyer, std::int64_t delta);
    // The same, for a buyer not looked up yet.
    void count_buyer(std::uint32_t ordinal, const hashed_string& buyer, std::int64_t delta) {
        count_buyer(ordinal, delta > 0 ? buyer_ids_.intern(buyer) : buyer_ids_.find(buyer), delta);
    }

    // SKUs by ordinal (the order they were created in), in fixed-size chunks so that a
    // `sku_state*` handed out by find() stays valid for the inventory's lifetime. SKUs are never
    // removed.
    std::vector<std::unique_ptr<sku_state[]>> sku_chunks_;
    detail::string_interner sku_ids_;    // SKU id -> ordinal
    detail::string_interner buyer_ids_;  // buyer id -> buyer number, for this shard only
    // (ordinal << 32 | buyer number) -> the buyer's held + sold units of that SKU (M4). A count
    // of 0 means the same as no count.
    detail::count_table bought_;
};

}  // namespace fg::matching
