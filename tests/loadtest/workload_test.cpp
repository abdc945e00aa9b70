#include "loadtest/workload.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "loadtest/order_generator.hpp"

namespace fg::loadtest {
namespace {

TEST(Workload, EveryShippedFileParses) {
    int files = 0;
    for (const auto& e : std::filesystem::directory_iterator(FG_LOADTEST_WORKLOAD_DIR)) {
        if (e.path().extension() != ".json") continue;
        const workload_result r = load_workload(e.path());
        EXPECT_TRUE(r.error.empty()) << r.error;
        EXPECT_EQ(r.value.name, e.path().stem().string());
        ++files;
    }
    EXPECT_GE(files, 4);
}

TEST(Workload, NamesResolveToShippedFiles) {
    const workload_result flash = find_workload("flash_sale", FG_LOADTEST_WORKLOAD_DIR);
    ASSERT_TRUE(flash.error.empty()) << flash.error;
    EXPECT_EQ(flash.value.choice, sku_choice::hot);
    EXPECT_EQ(flash.value.sku_count, 1u);
    const workload_result mixed = find_workload("mixed_catalog", FG_LOADTEST_WORKLOAD_DIR);
    ASSERT_TRUE(mixed.error.empty());
    EXPECT_EQ(mixed.value.sku_count, 1'000'000u);
    EXPECT_EQ(mixed.value.choice, sku_choice::zipf);
    EXPECT_DOUBLE_EQ(mixed.value.zipf_s, 1.0);
    const workload_result multi = find_workload("multi_item", FG_LOADTEST_WORKLOAD_DIR);
    ASSERT_TRUE(multi.error.empty());
    EXPECT_EQ(multi.value.items_max, 5u);
    const workload_result retries = find_workload("retries", FG_LOADTEST_WORKLOAD_DIR);
    ASSERT_TRUE(retries.error.empty());
    EXPECT_GT(retries.value.retry_fraction, 0.0);
}

TEST(Workload, RefusesBadDocuments) {
    EXPECT_FALSE(parse_workload("{").error.empty());
    EXPECT_FALSE(parse_workload(R"({"name":"x"})").error.empty());
    EXPECT_FALSE(parse_workload(R"({"name":"x","skus":{"count":0}})").error.empty());
    EXPECT_FALSE(
        parse_workload(R"({"name":"x","skus":{"count":3},"sku_choice":"bogus"})").error.empty());
    EXPECT_FALSE(
        parse_workload(R"({"name":"x","skus":{"count":3},"items_per_order":{"min":1,"max":5}})")
            .error.empty());
    EXPECT_TRUE(parse_workload(R"({"name":"x","skus":{"count":3}})").error.empty());
}

TEST(OrderGenerator, OrdersHaveDistinctSkusInRangeAndRetriesReuseKeys) {
    workload w =
        parse_workload(R"({"name":"x","skus":{"count":10},"items_per_order":{"min":1,"max":5},
        "qty":{"min":1,"max":3},"sku_choice":"uniform","retry_fraction":0.3})")
            .value;
    order_generator gen(w, nullptr, 42, 0, 1);
    ledger l;
    unsigned retries = 0;
    for (int i = 0; i < 10000; ++i) {
        const std::size_t before = l.orders.size();
        const std::uint32_t o = gen.next(l);
        if (l.orders.size() == before) ++retries;
        ASSERT_LT(o, l.orders.size());
    }
    EXPECT_NEAR(retries / 10000.0, 0.3, 0.03);
    for (const logical_order& o : l.orders) {
        ASSERT_GE(o.item_count, 1);
        ASSERT_LE(o.item_count, 5);
        for (unsigned i = 0; i < o.item_count; ++i) {
            EXPECT_LT(o.items[i].sku, 10u);
            EXPECT_GE(o.items[i].qty, 1);
            EXPECT_LE(o.items[i].qty, 3);
            for (unsigned j = 0; j < i; ++j) EXPECT_NE(o.items[i].sku, o.items[j].sku);
        }
    }
}

}  // namespace
}  // namespace fg::loadtest
