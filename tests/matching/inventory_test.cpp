#include "matching/inventory.hpp"

#include <gtest/gtest.h>

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

TEST(InventoryDeathTest, ReleasingMoreThanHeldAborts) {
    inventory inv;
    inv.apply_upsert(make_sku("a", 5));
    stock_line l = line("a", 1);
    EXPECT_DEATH(inv.release("b", {&l, 1}), "M2");
}

}  // namespace fg::matching
