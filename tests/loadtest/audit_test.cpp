#include "loadtest/audit.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace fg::loadtest {
namespace {

// A synthetic ledger over one or two SKUs: each helper appends one logical order and one attempt.
class audit_ledger {
 public:
    std::uint32_t order(std::uint32_t sku, std::uint16_t qty = 1) {
        logical_order o;
        o.key_seq = book.orders.size();
        o.item_count = 1;
        o.items[0] = {sku, qty};
        book.orders.push_back(o);
        return static_cast<std::uint32_t>(book.orders.size() - 1);
    }
    void acked(std::uint32_t order, const char* order_id, std::uint16_t status = 201) {
        attempt a = sent(order, status);
        a.result = outcome::acknowledged;
        std::strncpy(a.order_id.data(), order_id, order_id_chars_max);
        book.attempts.push_back(a);
    }
    void refused(std::uint32_t order, const char* code) {
        attempt a = sent(order, 409);
        a.result = outcome::refused;
        a.code = book.intern_code(code);
        book.attempts.push_back(a);
    }
    void lost(std::uint32_t order) {
        attempt a = sent(order, 0);
        a.done_ns = -1;
        book.attempts.push_back(a);
    }
    audit_report run(std::vector<sku_state> states, sku_usage usage = sku_usage::exclusive) {
        return run_audit(book, states, usage, "sku-", "key-");
    }
    ledger book;

 private:
    static attempt sent(std::uint32_t order, std::uint16_t status) {
        attempt a;
        a.order = order;
        a.status = status;
        a.sent_ns = 1;
        a.done_ns = 2;
        return a;
    }
};

sku_state state(std::uint32_t sku, std::int64_t stock, std::int64_t available, std::int64_t held) {
    return {
        .sku = sku, .found = true, .stock = stock, .available = available, .held = held, .sold = 0};
}

TEST(Audit, CleanSellOutPasses) {
    audit_ledger l;
    l.acked(l.order(0), "o1");
    l.acked(l.order(0), "o2");
    l.refused(l.order(0), "sold_out");
    const audit_report r = l.run({state(0, 2, 0, 2)});
    EXPECT_TRUE(r.passed()) << (r.failures.empty() ? "" : r.failures[0]);
    EXPECT_EQ(touched_skus(l.book), std::vector<std::uint32_t>{0});
}

TEST(Audit, OversellFails) {
    audit_ledger l;
    l.acked(l.order(0), "o1");
    l.acked(l.order(0), "o2");
    l.acked(l.order(0), "o3");  // three acknowledged, two in stock
    const audit_report r = l.run({state(0, 2, 0, 2)});
    ASSERT_FALSE(r.passed());
    EXPECT_NE(r.failures[0].find("A2"), std::string::npos) << r.failures[0];
    // And a state that does not add up is an oversell on its own.
    EXPECT_FALSE(l.run({state(0, 3, -1, 4)}, sku_usage::shared).passed());
}

TEST(Audit, DuplicateKeyWithTwoOrderIdsFails) {
    audit_ledger l;
    const std::uint32_t o = l.order(0);
    l.acked(o, "o1");
    l.acked(o, "o2", 200);  // the replay named another order
    const audit_report r = l.run({state(0, 10, 8, 2)}, sku_usage::shared);
    ASSERT_FALSE(r.passed());
    EXPECT_NE(r.failures[0].find("A4 key key-0"), std::string::npos) << r.failures[0];
}

TEST(Audit, OneOrderIdForTwoKeysFails) {
    audit_ledger l;
    l.acked(l.order(0), "o1");
    l.acked(l.order(0), "o1");
    EXPECT_FALSE(l.run({state(0, 10, 8, 2)}).passed());
}

TEST(Audit, ReplayOfTheSameOrderPasses) {
    audit_ledger l;
    const std::uint32_t o = l.order(0);
    l.acked(o, "o1");
    l.acked(o, "o1", 200);
    EXPECT_TRUE(l.run({state(0, 10, 9, 1)}).passed());
}

TEST(Audit, UndersellFails) {
    audit_ledger l;
    l.acked(l.order(0), "o1");
    l.refused(l.order(0), "sold_out");  // refused while units remained
    const audit_report r = l.run({state(0, 5, 4, 1)});
    ASSERT_FALSE(r.passed());
    EXPECT_NE(r.failures[0].find("A3 undersell"), std::string::npos) << r.failures[0];
}

TEST(Audit, UnknownOutcomesWidenTheBound) {
    audit_ledger l;
    l.acked(l.order(0), "o1");
    l.lost(l.order(0));  // the server may or may not have applied it
    EXPECT_TRUE(l.run({state(0, 5, 3, 2)}).passed());
    EXPECT_TRUE(l.run({state(0, 5, 4, 1)}).passed());
    EXPECT_FALSE(l.run({state(0, 5, 2, 3)}).passed());  // more held than could have been ordered
}

TEST(Audit, MissingSkuFails) {
    audit_ledger l;
    l.acked(l.order(7), "o1");
    EXPECT_FALSE(l.run({sku_state{.sku = 7}}).passed());
}

}  // namespace
}  // namespace fg::loadtest
