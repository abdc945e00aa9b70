#include "loadtest/order_generator.hpp"

#include <algorithm>

namespace fg::loadtest {

namespace {
bool holds(const logical_order& o, std::uint32_t sku) {
    for (unsigned i = 0; i < o.item_count; ++i) {
        if (o.items[i].sku == sku) return true;
    }
    return false;
}
}  // namespace

order_generator::order_generator(const workload& w, const zipf_sampler* zipf, std::uint64_t seed,
                                 unsigned thread_index, unsigned thread_count)
    : workload_(w),
      zipf_(zipf),
      rng_(seed * 0x9E3779B97F4A7C15ull + thread_index),
      thread_index_(thread_index),
      thread_count_(thread_count) {}

std::uint32_t order_generator::pick_sku() {
    switch (workload_.choice) {
        case sku_choice::hot:
            return 0;
        case sku_choice::uniform:
            return static_cast<std::uint32_t>(rng_() % workload_.sku_count);
        case sku_choice::zipf: {
            const double u = std::generate_canonical<double, 53>(rng_);
            return static_cast<std::uint32_t>(zipf_->sample(u));
        }
    }
    return 0;
}

logical_order order_generator::make_order() {
    logical_order o;
    o.key_seq = local_seq_++ * thread_count_ + thread_index_;
    o.buyer = static_cast<std::uint32_t>(rng_() % workload_.buyers);
    const unsigned items_span = workload_.items_max - workload_.items_min + 1;
    const unsigned n = workload_.items_min + static_cast<unsigned>(rng_() % items_span);
    const unsigned qty_span = workload_.qty_max - workload_.qty_min + 1;
    // The hot rule has one SKU per order by nature; the others draw distinct SKUs.
    const unsigned want = workload_.choice == sku_choice::hot ? 1 : n;
    while (o.item_count < want) {
        std::uint32_t sku = pick_sku();
        // A Zipf head repeats often; a uniform pick after a repeat keeps the loop short.
        if (holds(o, sku) && workload_.choice == sku_choice::zipf) {
            sku = static_cast<std::uint32_t>(rng_() % workload_.sku_count);
        }
        if (!holds(o, sku)) o.items[o.item_count++] = {sku, 0};
    }
    for (unsigned i = 0; i < o.item_count; ++i) {
        o.items[i].qty = static_cast<std::uint16_t>(workload_.qty_min + rng_() % qty_span);
    }
    return o;
}

std::uint32_t order_generator::next(ledger& l) {
    const auto made = static_cast<std::uint32_t>(l.orders.size());
    if (made > 0 && workload_.retry_fraction > 0 &&
        std::generate_canonical<double, 53>(rng_) < workload_.retry_fraction) {
        const std::uint32_t window = std::min(made, retry_window);
        return made - 1 - static_cast<std::uint32_t>(rng_() % window);
    }
    l.orders.push_back(make_order());
    return made;
}

}  // namespace fg::loadtest
