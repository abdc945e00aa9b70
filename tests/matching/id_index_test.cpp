// The order id index against a plain map: ids as the shards make them fill pages; ids no shard
// would make (scattered numbers, numbers past 2^32) still work and cannot make it large.

#include "matching/detail/id_index.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "test_seed.hpp"

namespace fg::matching::detail {
namespace {

using fg::matching::testing::seed_from_env;

void expect_matches(const id_index& index, const std::map<std::uint64_t, std::uint32_t>& model,
                    std::mt19937_64& rng) {
    for (const auto& [id, pos] : model) ASSERT_EQ(index.get(id), pos) << id;
    for (int i = 0; i < 10'000; ++i) {
        const std::uint64_t id = rng();
        if (!model.contains(id)) {
            ASSERT_EQ(index.get(id), 0u) << id;
        }
    }
}

TEST(IdIndex, ShardIdsFillPagesFrontToBack) {
    std::mt19937_64 rng(seed_from_env("IdIndexShards"));
    id_index index;
    std::map<std::uint64_t, std::uint32_t> model;
    std::uint64_t next[4] = {0, 0, 0, 0};
    for (std::uint32_t pos = 1; pos <= 100'000; ++pos) {
        const std::uint64_t home = rng() % 4;
        if (pos == 50'000) {
            for (auto& n : next) n = 60'000;  // a restart: every shard goes on from the highest
        }
        const std::uint64_t id = (++next[home] << 8) | home;
        ASSERT_EQ(index.insert(id, pos), 0u) << id;
        model[id] = pos;
    }
    expect_matches(index, model, rng);
    // Every page is in use: about 25,000 numbers a home before the jump and after it.
    EXPECT_LE(index.pages(), 4 * (2 * 25'000 / id_index::page_cells + 3));
}

TEST(IdIndex, ScatteredAndFarIdsAreFoundAndKeepItSmall) {
    std::mt19937_64 rng(seed_from_env("IdIndexScattered"));
    id_index index;
    std::map<std::uint64_t, std::uint32_t> model;
    std::uint32_t pos = 0;
    for (std::uint64_t n = 1; n <= 200'000; ++n) {
        // One global number, any of 256 homes: every home's numbers are 256 apart.
        const std::uint64_t id =
            rng() % 5 == 0 ? (rng() | (std::uint64_t{1} << 45)) : (n << 8) | (rng() & 0xff);
        if (model.contains(id)) continue;
        ASSERT_EQ(index.insert(id, ++pos), 0u) << id;
        model[id] = pos;
    }
    expect_matches(index, model, rng);
    // Pages stay a quarter full on average: at most 16 bytes of pages an id.
    EXPECT_LE(index.pages() * id_index::page_cells, 4 * (model.size() + id_index::page_cells));
}

TEST(IdIndex, InsertKeepsThePositionAnIdHas) {
    id_index index;
    const std::uint64_t far = std::uint64_t{1} << 50;
    EXPECT_EQ(index.insert(0x105, 7), 0u);
    EXPECT_EQ(index.insert(0x105, 9), 7u);
    EXPECT_EQ(index.insert(far, 3), 0u);
    EXPECT_EQ(index.insert(far, 4), 3u);
    EXPECT_EQ(index.get(0x105), 7u);
    EXPECT_EQ(index.get(far), 3u);
    EXPECT_EQ(index.get(0x205), 0u);
    EXPECT_EQ(index.get(0x104), 0u);
}

}  // namespace
}  // namespace fg::matching::detail
