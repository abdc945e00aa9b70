#include "matching/inventory.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "matching/limits.hpp"

namespace fg::matching {
namespace {

constexpr std::int64_t now = 1'800'000'000'000;

sku_state make_sku(std::string id, std::int64_t stock) {
    sku_state s;
    s.id = std::move(id);
    s.name = "thing";
    s.price = {1999, *currency_code::parse("CNY")};
    s.stock = stock;
    return s;
}

stock_line line(std::string_view id, std::int64_t qty) { return {id, qty}; }

}  // namespace

TEST(Inventory, ReserveLastUnitThenSoldOut) {
    inventory inv;
    inv.apply_upsert(make_sku("a", 1));
    stock_line l = line("a", 1);
    EXPECT_EQ(inv.reserve("b1", {&l, 1}, now).result, outcome::ok);
    reservation second = inv.reserve("b2", {&l, 1}, now);
    EXPECT_EQ(second.result, outcome::sold_out);
    EXPECT_EQ(second.refused_sku, "a");
    EXPECT_EQ(inv.find("a")->available(), 0);
    EXPECT_EQ(inv.find("a")->held, 1);
}

TEST(Inventory, RefusedMultiLineReservationChangesNothing) {
    inventory inv;
    inv.apply_upsert(make_sku("a", 5));
    inv.apply_upsert(make_sku("b", 1));
    stock_line lines[] = {line("a", 2), line("b", 2)};
    reservation r = inv.reserve("buyer", lines, now);
    EXPECT_EQ(r.result, outcome::sold_out);
    EXPECT_EQ(r.refused_sku, "b");
    EXPECT_EQ(inv.find("a")->held, 0);
    EXPECT_EQ(inv.find("b")->held, 0);
}

TEST(Inventory, MostSpecificRefusalWinsAcrossLines) {
    inventory inv;
    inv.apply_upsert(make_sku("a", 0));
    stock_line lines[] = {line("a", 1), line("missing", 1)};
    reservation r = inv.reserve("buyer", lines, now);
    EXPECT_EQ(r.result, outcome::unknown_sku);
    EXPECT_EQ(r.refused_sku, "missing");
}

TEST(Inventory, SaleWindowRefusesBeforeAndAfter) {
    inventory inv;
    sku_state s = make_sku("a", 10);
    s.sale = {now + 1000, now + 2000};
    inv.apply_upsert(s);
    stock_line l = line("a", 1);
    EXPECT_EQ(inv.reserve("b", {&l, 1}, now).result, outcome::sale_not_open);
    EXPECT_EQ(inv.reserve("b", {&l, 1}, now + 1000).result, outcome::ok);
    EXPECT_EQ(inv.reserve("b", {&l, 1}, now + 2000).result, outcome::sale_closed);
}

TEST(Inventory, DelistedSkuIsRefused) {
    inventory inv;
    sku_state s = make_sku("a", 10);
    s.status = sku_status::delisted;
    inv.apply_upsert(s);
    stock_line l = line("a", 1);
    EXPECT_EQ(inv.reserve("b", {&l, 1}, now).result, outcome::delisted);
}

TEST(Inventory, PerBuyerLimitCountsAcrossOrdersAndReleases) {
    inventory inv;
    sku_state s = make_sku("a", 10);
    s.per_buyer_limit = 2;
    inv.apply_upsert(s);
    stock_line one = line("a", 1);
    EXPECT_EQ(inv.reserve("b", {&one, 1}, now).result, outcome::ok);
    EXPECT_EQ(inv.reserve("b", {&one, 1}, now).result, outcome::ok);
    EXPECT_EQ(inv.reserve("b", {&one, 1}, now).result, outcome::per_buyer_limit);
    EXPECT_EQ(inv.reserve("other", {&one, 1}, now).result, outcome::ok);
    inv.release("b", {&one, 1});
    EXPECT_EQ(inv.reserve("b", {&one, 1}, now).result, outcome::ok);
}

TEST(Inventory, StockTotalBelowHeldPlusSoldIsRefused) {
    inventory inv;
    inv.apply_upsert(make_sku("a", 10));
    stock_line l = line("a", 4);
    ASSERT_EQ(inv.reserve("b", {&l, 1}, now).result, outcome::ok);
    sku_spec spec;
    spec.stock = 3;
    sku_state next;
    EXPECT_EQ(inv.plan_upsert("a", spec, now, next), outcome::stock_below_committed);
    spec.stock = 4;
    ASSERT_EQ(inv.plan_upsert("a", spec, now, next), outcome::ok);
    inv.apply_upsert(next);
    EXPECT_EQ(inv.find("a")->available(), 0);
    EXPECT_EQ(inv.find("a")->held, 4);
}

TEST(Inventory, CreatingWithoutNamePriceOrStockIsIncomplete) {
    inventory inv;
    sku_spec spec;
    spec.name = "x";
    sku_state next;
    EXPECT_EQ(inv.plan_upsert("a", spec, now, next), outcome::incomplete_sku);
}

TEST(Inventory, NegativeDeltaCannotTakeAvailableBelowZero) {
    inventory inv;
    inv.apply_upsert(make_sku("a", 5));
    stock_line l = line("a", 3);
    ASSERT_EQ(inv.reserve("b", {&l, 1}, now).result, outcome::ok);
    EXPECT_EQ(inv.plan_adjust("a", -3), outcome::stock_insufficient);
    EXPECT_EQ(inv.plan_adjust("a", -2), outcome::ok);
    EXPECT_EQ(inv.plan_adjust("zzz", 1), outcome::unknown_sku);
}

TEST(Inventory, CountsNeverGoBelowZeroAndAreOnlyCreatedByAdding) {
    inventory inv;
    sku_state s = make_sku("a", 100);
    s.per_buyer_limit = 3;
    inv.apply_upsert(s);
    stock_line two = line("a", 2);
    stock_line five = line("a", 5);
    // A decrease for a buyer never counted changes nothing (and does not create a count).
    inv.apply_effect(stock_effect::forget, "b", {&five, 1});
    EXPECT_EQ(inv.reserve("b", {&two, 1}, now).result, outcome::ok);
    // Forgetting more than counted leaves 0, not a negative count that would lift the limit.
    inv.apply_effect(stock_effect::forget, "b", {&five, 1});
    stock_line three = line("a", 3);
    EXPECT_EQ(inv.reserve("b", {&three, 1}, now).result, outcome::ok);
    stock_line one = line("a", 1);
    EXPECT_EQ(inv.reserve("b", {&one, 1}, now).result, outcome::per_buyer_limit);
    EXPECT_EQ(inv.find("a")->held, 5);
}

TEST(Inventory, FindPointerStaysValidWhileSkusAreAdded) {
    inventory inv;
    inv.apply_upsert(make_sku("first", 7));
    const sku_state* first = inv.find("first");
    for (int i = 0; i < 5'000; ++i) inv.apply_upsert(make_sku("sku-" + std::to_string(i), i));
    EXPECT_EQ(inv.find("first"), first);
    EXPECT_EQ(first->stock, 7);
    EXPECT_EQ(inv.size(), 5'001u);
    std::size_t seen = 0;
    inv.for_each([&seen](const sku_state&) { ++seen; });
    EXPECT_EQ(seen, 5'001u);
    for (int i = 0; i < 5'000; ++i) {
        const sku_state* s = inv.find("sku-" + std::to_string(i));
        ASSERT_NE(s, nullptr);
        ASSERT_EQ(s->stock, i);
    }
}

TEST(InventoryInterner, EqualHashesWithDifferentBytesGetDifferentNumbers) {
    detail::string_interner names;
    const detail::hashed_string alpha("alpha");
    detail::hashed_string forged("beta");
    forged.hash = alpha.hash;  // a full 64-bit collision: only the bytes tell them apart
    EXPECT_EQ(names.intern(alpha), 0u);
    EXPECT_EQ(names.find(forged), detail::string_interner::absent);
    EXPECT_EQ(names.intern(forged), 1u);
    EXPECT_EQ(names.find(alpha), 0u);
    EXPECT_EQ(names.find(forged), 1u);
    EXPECT_EQ(names.size(), 2u);
}

TEST(InventoryInterner, KeepsNumbersThroughGrowthForEmptyLongAndSimilarStrings) {
    detail::string_interner names;
    std::vector<std::string> all = {"", std::string(100'000, 'x'), std::string(100'000, 'y')};
    for (int i = 0; i < 100'000; ++i)
        all.push_back("b" + std::string(i % 70, '0') + "-" + std::to_string(i));
    for (std::size_t i = 0; i < all.size(); ++i)
        ASSERT_EQ(names.intern(detail::hashed_string(all[i])), i) << i;
    for (std::size_t i = 0; i < all.size(); ++i)
        ASSERT_EQ(names.find(detail::hashed_string(all[i])), i) << i;
    EXPECT_EQ(names.find(detail::hashed_string("b0-0")), detail::string_interner::absent);
    EXPECT_EQ(names.intern(detail::hashed_string(all[5])), 5u);
    EXPECT_EQ(names.size(), all.size());
}

TEST(InventoryCounts, KeepsEveryKeyThroughGrowthAndZerosStay) {
    detail::count_table counts;
    const std::uint64_t keys = 200'000;  // past 2 MiB of slots (the huge-page allocation)
    for (std::uint64_t k = 0; k < keys; ++k) {
        counts.add((k % 1'000) << 32 | k, static_cast<std::int64_t>(1 + k % 7));
    }
    EXPECT_EQ(counts.size(), keys);
    for (std::uint64_t k = 0; k < keys; ++k) {
        ASSERT_EQ(counts.get((k % 1'000) << 32 | k), static_cast<std::int64_t>(1 + k % 7)) << k;
    }
    EXPECT_EQ(counts.get(std::uint64_t{1} << 32), 0);
    EXPECT_EQ(counts.find(std::uint64_t{1} << 32), nullptr);
    const std::uint64_t five = std::uint64_t{5} << 32 | 5;
    ASSERT_NE(counts.find(five), nullptr);
    *counts.find(five) = 0;  // a count at 0 keeps its key
    EXPECT_EQ(counts.get(five), 0);
    EXPECT_NE(counts.find(five), nullptr);
    EXPECT_EQ(counts.size(), keys);
}

// A count is 32 bits: stock_max fits, and adding past the largest stops there instead of
// wrapping to a small one. Key 0 (SKU 0, buyer 0) is an ordinary key.
TEST(InventoryCounts, CountsHoldAnyStockAndStopAtTheLargest) {
    detail::count_table counts;
    counts.add(0, limits::stock_max);
    EXPECT_EQ(counts.get(0), limits::stock_max);
    for (int i = 0; i < 4; ++i) counts.add(0, limits::stock_max);
    EXPECT_EQ(counts.get(0), UINT32_MAX);
    counts.add(detail::count_table::no_key - 1, 3);
    EXPECT_EQ(counts.get(detail::count_table::no_key - 1), 3);
    EXPECT_EQ(counts.size(), 2u);
}

// reserve() sizes the table to any number of slots, keeps what it holds, and the table still
// doubles from there when more keys come than were reserved.
TEST(InventoryCounts, AReservedTableKeepsItsKeysAndGrowsPastTheReservation) {
    detail::count_table counts;
    counts.reserve(12'345);
    EXPECT_GE(counts.capacity(), 12'345u);
    const std::size_t reserved = counts.capacity();
    for (std::uint64_t k = 0; k < 12'345; ++k) counts.add(k * 977, 2);
    EXPECT_EQ(counts.capacity(), reserved) << "no growth within the reservation";
    counts.reserve(50'001);  // a rebuild with keys in it
    for (std::uint64_t k = 12'345; k < 150'000; ++k) counts.add(k * 977, 2);
    EXPECT_GT(counts.capacity(), 150'000u);
    EXPECT_EQ(counts.size(), 150'000u);
    for (std::uint64_t k = 0; k < 150'000; ++k) ASSERT_EQ(counts.get(k * 977), 2) << k;
    EXPECT_EQ(counts.find(977 * 150'000), nullptr);
}

namespace {

// A plain model of one inventory: SKU counts, and per (SKU, buyer) counts in a std::map with
// the M4 rules (created only by adding, erased at 0 or below).
struct model_sku {
    std::int64_t stock = 0;
    std::int64_t held = 0;
    std::int64_t sold = 0;
    std::int64_t limit = 0;
    sku_status status = sku_status::listed;
};

struct model_order {
    std::string buyer;
    std::vector<std::pair<std::string, std::int64_t>> lines;
    enum class state { held, sold, released, done } at = state::held;
};

struct inventory_model {
    std::map<std::string, model_sku> skus;
    std::map<std::pair<std::string, std::string>, std::int64_t> counts;

    std::int64_t count(const std::string& sku, const std::string& buyer) const {
        auto it = counts.find({sku, buyer});
        return it == counts.end() ? 0 : it->second;
    }
    void add(const std::string& sku, const std::string& buyer, std::int64_t delta) {
        auto it = counts.find({sku, buyer});
        if (it == counts.end()) {
            if (delta <= 0) return;
            it = counts.emplace(std::make_pair(sku, buyer), 0).first;
        }
        it->second += delta;
        if (it->second <= 0) counts.erase(it);
    }
    outcome check_line(const std::string& sku, const std::string& buyer, std::int64_t qty) const {
        auto it = skus.find(sku);
        if (it == skus.end()) return outcome::unknown_sku;
        const model_sku& s = it->second;
        if (s.status == sku_status::delisted) return outcome::delisted;
        if (s.limit > 0 && count(sku, buyer) + qty > s.limit) return outcome::per_buyer_limit;
        if (s.stock - s.held - s.sold < qty) return outcome::sold_out;
        return outcome::ok;
    }
};

// Buyer ids meant to trip a table that trusted hashes or prefixes: shared prefixes, ids one
// byte apart (first, middle, last), ids of every length up to the maximum.
std::vector<std::string> tricky_buyer_ids(std::size_t count) {
    std::vector<std::string> ids;
    const std::size_t max = limits::buyer_id_chars_max;
    std::set<std::string> seen;
    auto push = [&](std::string id) {
        if (seen.insert(id).second) ids.push_back(std::move(id));
    };
    for (std::size_t n = 1; n <= max; ++n) push(std::string(n, 'b'));
    const std::string long_id(max, 'q');
    for (std::size_t pos : {std::size_t{0}, max / 2, max - 1}) {
        for (char c : {'a', 'r', 'z'}) {
            std::string id = long_id;
            id[pos] = c;
            push(id);
        }
    }
    for (std::size_t i = 0; ids.size() < count; ++i) {
        const std::string base = "buyer-" + std::to_string(i);
        push(base);
        push(base + "0");
        push(base.substr(0, base.size() - 1) + static_cast<char>(base.back() + 1));
        push(base + std::string(max - base.size(), '~'));
    }
    ids.resize(count);
    return ids;
}

}  // namespace

// Many buyers and SKUs (growing past several rehashes of every table) through every operation,
// against the model: each decision and each touched SKU's counts must match after every step,
// and per-buyer counts are probed exactly at the limit's edge. FG_SEED=n reproduces a run.
TEST(Inventory, MatchesAPlainModelOverRandomOperations) {
    std::uint64_t seed = std::random_device{}();
    if (const char* env = std::getenv("FG_SEED")) seed = std::strtoull(env, nullptr, 10);
    std::printf("Inventory.MatchesAPlainModelOverRandomOperations seed %llu\n",
                static_cast<unsigned long long>(seed));
    std::mt19937_64 rng(seed);
    auto pick = [&rng](std::size_t n) { return static_cast<std::size_t>(rng() % n); };

    const std::vector<std::string> buyers = tricky_buyer_ids(6'000);
    std::vector<std::string> sku_ids;
    inventory inv;
    inventory_model m;
    std::vector<model_order> orders;
    const std::int64_t limits_to_pick[] = {0, 0, 1, 2, 5, 1'000};

    auto new_sku = [&] {
        sku_state s = make_sku("sku-" + std::to_string(sku_ids.size()),
                               20 + static_cast<std::int64_t>(pick(200)));
        s.per_buyer_limit = limits_to_pick[pick(std::size(limits_to_pick))];
        inv.apply_upsert(s);
        m.skus[s.id] = {.stock = s.stock, .limit = s.per_buyer_limit};
        sku_ids.push_back(s.id);
    };
    for (int i = 0; i < 20; ++i) new_sku();

    // Buyers are drawn mostly from a window that slides, so counts pile up for a while and new
    // buyers keep arriving (the tables keep growing).
    auto some_buyer = [&](std::size_t step) -> const std::string& {
        const std::size_t window = 200;
        const std::size_t start = (step / 40) % (buyers.size() - window);
        return buyers[pick(4) == 0 ? pick(buyers.size()) : start + pick(window)];
    };
    auto some_sku = [&]() -> const std::string& { return sku_ids[pick(sku_ids.size())]; };
    auto lines_of = [](const model_order& o) {
        std::vector<stock_line> out;
        for (const auto& [sku, qty] : o.lines) out.push_back({sku, qty});
        return out;
    };

    auto expect_sku = [&](const std::string& id, const char* what, std::size_t step) {
        const sku_state* s = inv.find(id);
        ASSERT_NE(s, nullptr) << what << " step " << step;
        const model_sku& e = m.skus.at(id);
        ASSERT_EQ(s->id, id);
        ASSERT_EQ(s->stock, e.stock) << id << " after " << what << " step " << step;
        ASSERT_EQ(s->held, e.held) << id << " after " << what << " step " << step;
        ASSERT_EQ(s->sold, e.sold) << id << " after " << what << " step " << step;
        ASSERT_EQ(s->per_buyer_limit, e.limit) << id << " after " << what << " step " << step;
    };
    // Reserves at the edge of the buyer's limit (and gives it back): q = limit - count must
    // pass the limit and q + 1 must not, which pins the count exactly when it is below the
    // limit.
    auto probe = [&](const std::string& sku, const std::string& buyer, std::size_t step) {
        const model_sku& e = m.skus.at(sku);
        if (e.limit == 0 || e.status == sku_status::delisted) return;
        const std::int64_t first = std::max<std::int64_t>(1, e.limit - m.count(sku, buyer));
        for (std::int64_t q : {first, first + 1}) {
            stock_line l{sku, q};
            const outcome want = m.check_line(sku, buyer, q);
            reservation r = inv.reserve(buyer, {&l, 1}, now);
            ASSERT_EQ(r.result, want) << "probe " << sku << " / " << buyer << " qty " << q
                                      << " count " << m.count(sku, buyer) << " step " << step;
            if (r.result == outcome::ok) inv.release(buyer, {&l, 1});
        }
    };

    const std::size_t steps = 60'000;
    for (std::size_t step = 0; step < steps; ++step) {
        const std::string& buyer = some_buyer(step);
        std::vector<std::pair<std::string, std::string>> touched;  // (sku, buyer)
        const char* what = "";
        const std::size_t op = pick(100);
        if (op < 30) {
            what = "reserve";
            model_order o{.buyer = buyer};
            const std::size_t n = 1 + pick(3);
            for (std::size_t i = 0; i < n; ++i) {
                std::string sku = pick(50) == 0 ? "missing-" + std::to_string(pick(5)) : some_sku();
                // An order names each SKU once (M5: the decoder refuses repeats); reserve and
                // try_retake check each line against what is available on that premise.
                const bool repeat = std::any_of(o.lines.begin(), o.lines.end(),
                                                [&sku](const auto& l) { return l.first == sku; });
                if (!repeat) {
                    o.lines.emplace_back(std::move(sku), static_cast<std::int64_t>(1 + pick(3)));
                }
            }
            outcome want = outcome::ok;
            std::string refused;
            for (const auto& [sku, qty] : o.lines) {
                outcome got = m.check_line(sku, buyer, qty);
                if (got != outcome::ok && (want == outcome::ok || got < want)) {
                    want = got;
                    refused = sku;
                }
            }
            const std::vector<stock_line> lines = lines_of(o);
            reservation r = inv.reserve(buyer, lines, now);
            ASSERT_EQ(r.result, want) << "step " << step;
            if (want != outcome::ok) {
                ASSERT_EQ(r.refused_sku, refused) << "step " << step;
            } else {
                ASSERT_EQ(r.unit_prices.size(), lines.size());
                for (const auto& [sku, qty] : o.lines) {
                    m.skus[sku].held += qty;
                    m.add(sku, buyer, qty);
                }
                orders.push_back(std::move(o));
            }
            for (const stock_line& l : lines)
                if (m.skus.count(std::string(l.sku_id)))
                    touched.emplace_back(std::string(l.sku_id), buyer);
        } else if (op < 40) {
            what = "hold_line";  // replay: no checks, may go past the buyer's limit
            model_order o{.buyer = buyer};
            const bool known = pick(30) != 0;
            const std::string sku = known ? some_sku() : "missing-" + std::to_string(pick(5));
            const std::int64_t qty = 1 + static_cast<std::int64_t>(pick(2));
            if (known) {
                const model_sku& e = m.skus.at(sku);
                if (e.stock - e.held - e.sold < qty) continue;  // the log never oversells
            }
            ASSERT_EQ(inv.hold_line(buyer, {sku, qty}), known) << "step " << step;
            if (known) {
                m.skus.at(sku).held += qty;
                m.add(sku, buyer, qty);
                o.lines.emplace_back(sku, qty);
                orders.push_back(std::move(o));
                touched.emplace_back(sku, buyer);
            }
        } else if (op < 80 && !orders.empty()) {
            model_order& o = orders[pick(orders.size())];
            const std::vector<stock_line> lines = lines_of(o);
            using st = model_order::state;
            const std::size_t kind = pick(4);
            if (o.at == st::held && kind < 2) {
                what = "release";
                if (kind == 0) {
                    inv.release(o.buyer, lines);
                } else {
                    inv.apply_effect(stock_effect::release, o.buyer, lines);
                }
                for (const auto& [sku, qty] : o.lines) {
                    m.skus[sku].held -= qty;
                    m.add(sku, o.buyer, -qty);
                }
                o.at = st::released;
            } else if (o.at == st::held) {
                what = "sell";
                inv.apply_effect(stock_effect::sell, o.buyer, lines);
                for (const auto& [sku, qty] : o.lines) {
                    m.skus[sku].held -= qty;
                    m.skus[sku].sold += qty;
                }
                o.at = st::sold;
            } else if (o.at == st::sold && kind < 2) {
                what = "unsell";
                inv.apply_effect(stock_effect::unsell, o.buyer, lines);
                for (const auto& [sku, qty] : o.lines) {
                    m.skus[sku].sold -= qty;
                    m.add(sku, o.buyer, -qty);
                }
                o.at = st::done;
            } else if (o.at == st::sold) {
                what = "forget";
                inv.apply_effect(stock_effect::forget, o.buyer, lines);
                for (const auto& [sku, qty] : o.lines) m.add(sku, o.buyer, -qty);
                o.at = st::done;
            } else if (o.at == st::released) {
                what = "try_retake";
                bool can = true;
                for (const auto& [sku, qty] : o.lines) {
                    const model_sku& e = m.skus[sku];
                    can = can && e.stock - e.held - e.sold >= qty;
                }
                ASSERT_EQ(inv.try_retake(o.buyer, lines), can) << "step " << step;
                if (can) {
                    for (const auto& [sku, qty] : o.lines) {
                        m.skus[sku].sold += qty;
                        m.add(sku, o.buyer, qty);
                    }
                    o.at = st::sold;
                }
            } else {
                continue;
            }
            for (const auto& [sku, qty] : o.lines) touched.emplace_back(sku, o.buyer);
        } else if (op < 85) {
            what = "forget of a buyer never counted";
            const std::string stranger = "stranger-" + std::to_string(step);
            const std::string sku = some_sku();
            stock_line l{sku, 1 + static_cast<std::int64_t>(pick(3))};
            inv.apply_effect(stock_effect::forget, stranger, {&l, 1});
            touched.emplace_back(sku, stranger);
        } else if (op < 93) {
            what = "upsert";
            if (pick(3) == 0) {
                new_sku();
                touched.emplace_back(sku_ids.back(), buyer);
            } else {
                const std::string sku = some_sku();
                model_sku& e = m.skus[sku];
                sku_spec spec;
                if (pick(2) == 0) spec.per_buyer_limit = limits_to_pick[pick(6)];
                if (pick(4) == 0)
                    spec.status = pick(3) == 0 ? sku_status::delisted : sku_status::listed;
                if (pick(2) == 0)
                    spec.stock = e.held + e.sold + static_cast<std::int64_t>(pick(100)) - 5;
                sku_state next;
                const outcome want = spec.stock && *spec.stock < e.held + e.sold
                                         ? outcome::stock_below_committed
                                         : outcome::ok;
                ASSERT_EQ(inv.plan_upsert(sku, spec, now, next), want) << "step " << step;
                if (want == outcome::ok) {
                    inv.apply_upsert(next);
                    if (spec.per_buyer_limit) e.limit = *spec.per_buyer_limit;
                    if (spec.status) e.status = *spec.status;
                    if (spec.stock) e.stock = *spec.stock;
                }
                touched.emplace_back(sku, buyer);
            }
        } else {
            what = "adjust";
            const std::string sku = some_sku();
            model_sku& e = m.skus[sku];
            const std::int64_t delta = static_cast<std::int64_t>(pick(61)) - 30;
            const outcome want = delta < 0 && -delta > e.stock - e.held - e.sold
                                     ? outcome::stock_insufficient
                                     : outcome::ok;
            ASSERT_EQ(inv.plan_adjust(sku, delta), want) << "step " << step;
            if (want == outcome::ok) {
                inv.apply_adjust(sku, delta, now);
                e.stock += delta;
            }
            touched.emplace_back(sku, buyer);
        }
        for (const auto& [sku, who] : touched) {
            ASSERT_NO_FATAL_FAILURE(expect_sku(sku, what, step));
            ASSERT_NO_FATAL_FAILURE(probe(sku, who, step));
        }
        ASSERT_NO_FATAL_FAILURE(probe(some_sku(), some_buyer(step), step));
        ASSERT_EQ(inv.size(), m.skus.size()) << "step " << step;
    }

    // At the end: every SKU, and every count the model holds, and no limit refusal from a count
    // the model does not have.
    std::string error;
    EXPECT_TRUE(inv.check(error)) << error;
    for (const auto& [id, e] : m.skus) ASSERT_NO_FATAL_FAILURE(expect_sku(id, "the run", steps));
    for (const auto& [key, c] : m.counts)
        ASSERT_NO_FATAL_FAILURE(probe(key.first, key.second, steps));
    for (int i = 0; i < 2'000; ++i)
        ASSERT_NO_FATAL_FAILURE(probe(some_sku(), buyers[pick(buyers.size())], steps));
    std::printf("  %zu SKUs, %zu buyers seen, %zu live counts, %zu orders\n", m.skus.size(),
                buyers.size(), m.counts.size(), orders.size());
}

TEST(InventoryDeathTest, ReleasingMoreThanHeldAborts) {
    inventory inv;
    inv.apply_upsert(make_sku("a", 5));
    stock_line l = line("a", 1);
    EXPECT_DEATH(inv.release("b", {&l, 1}), "M2");
}

TEST(InventoryDeathTest, ReleasingAnotherBuyersHoldAborts) {
    inventory inv;
    inv.apply_upsert(make_sku("a", 5));
    stock_line l = line("a", 1);
    ASSERT_EQ(inv.reserve("b1", {&l, 1}, now).result, outcome::ok);
    EXPECT_DEATH(inv.release("b2", {&l, 1}), "M4");  // never seen: no count at all
    ASSERT_EQ(inv.reserve("b3", {&l, 1}, now).result, outcome::ok);
    inv.release("b3", {&l, 1});
    EXPECT_DEATH(inv.release("b3", {&l, 1}), "M4");  // seen, but its count is back to 0
}

}  // namespace fg::matching
