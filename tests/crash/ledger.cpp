#include "ledger.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>

namespace fg::testing::crash {

ledger::~ledger() {
    if (fd_ >= 0) ::close(fd_);
}

void ledger::open_cycle(std::uint32_t cycle) {
    std::lock_guard lock(mu_);
    if (fd_ >= 0) ::close(fd_);
    auto name = [this](std::uint32_t c) { return dir_ / ("ledger-" + std::to_string(c) + ".txt"); };
    fd_ = ::open(name(cycle).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error("cannot create the ledger file");
    if (cycle >= 2) {
        std::error_code ec;
        std::filesystem::remove(name(cycle - 2), ec);
    }
}

void ledger::note(const std::string& line) {
    std::string text = line + '\n';
    std::lock_guard lock(mu_);
    // One write per line: a line is whole in the file even if the test aborts right after.
    if (fd_ >= 0 && ::write(fd_, text.data(), text.size()) < 0) {
        throw std::runtime_error("cannot append to the ledger file");
    }
}

void ledger::compact() {
    std::lock_guard lock(mu_);
    std::erase_if(orders_, [](const order_entry& o) { return o.placed == presence::absent; });
    live_.clear();
    for (std::size_t i = 0; i < orders_.size(); ++i) {
        if (orders_[i].placed == presence::present && orders_[i].cancel == presence::absent) {
            live_.push_back(i);
        }
    }
}

std::size_t ledger::add_order(std::string key, std::string body, item_list items,
                              std::uint32_t cycle) {
    std::lock_guard lock(mu_);
    order_entry& o = orders_.emplace_back();
    o.key = std::move(key);
    o.body = std::move(body);
    o.items = std::move(items);
    o.cycle = cycle;
    return orders_.size() - 1;
}

order_entry ledger::order(std::size_t i) {
    std::lock_guard lock(mu_);
    return orders_.at(i);
}

void ledger::set_placed(std::size_t i, presence p, const std::string& order_id) {
    std::lock_guard lock(mu_);
    order_entry& o = orders_.at(i);
    o.placed = p;
    if (!order_id.empty()) o.order_id = order_id;
    if (p == presence::absent) {
        // Refused orders are the bulk of a run: keep their key (for the file) and no more.
        std::string().swap(o.body);
        item_list().swap(o.items);
    }
    if (p == presence::present && o.cancel == presence::absent) live_.push_back(i);
}

std::optional<std::size_t> ledger::take_for_cancel(std::mt19937_64& rng) {
    std::lock_guard lock(mu_);
    while (!live_.empty()) {
        std::size_t pick = std::uniform_int_distribution<std::size_t>(0, live_.size() - 1)(rng);
        std::size_t i = live_[pick];
        live_[pick] = live_.back();
        live_.pop_back();
        order_entry& o = orders_[i];
        if (o.placed != presence::present || o.cancel != presence::absent || o.cancel_busy) {
            continue;  // stale: cancelled or taken since it was listed
        }
        o.cancel_busy = true;
        return i;
    }
    return std::nullopt;
}

void ledger::set_cancel(std::size_t i, presence p, std::uint32_t cycle) {
    std::lock_guard lock(mu_);
    order_entry& o = orders_.at(i);
    o.cancel = p;
    o.cancel_busy = false;
    o.cycle = cycle;
    if (p == presence::absent && o.placed == presence::present) live_.push_back(i);
}

std::vector<std::size_t> ledger::orders_placed(presence p) {
    std::lock_guard lock(mu_);
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < orders_.size(); ++i) {
        if (orders_[i].placed == p) out.push_back(i);
    }
    return out;
}

std::vector<std::size_t> ledger::orders_cancelled(presence p) {
    std::lock_guard lock(mu_);
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < orders_.size(); ++i) {
        if (orders_[i].placed == presence::present && orders_[i].cancel == p) out.push_back(i);
    }
    return out;
}

std::size_t ledger::order_count() {
    std::lock_guard lock(mu_);
    return orders_.size();
}

std::string ledger::claim_order_id(const std::string& order_id, const std::string& key) {
    std::lock_guard lock(mu_);
    auto [it, inserted] = key_of_id_.emplace(order_id, key);
    return inserted || it->second == key ? std::string() : it->second;
}

void ledger::add_sku(const std::string& id, std::int64_t stock) {
    std::lock_guard lock(mu_);
    sku_model& s = skus_[id];
    s.id = id;
    s.stock = stock;
    s.unsure.reset();
}

std::vector<sku_model> ledger::skus() {
    std::lock_guard lock(mu_);
    std::vector<sku_model> out;
    for (const auto& [id, s] : skus_) out.push_back(s);
    return out;
}

void ledger::stock_applied(const std::string& id, std::int64_t delta) {
    std::lock_guard lock(mu_);
    skus_.at(id).stock += delta;
}

void ledger::stock_unsure(const std::string& id, std::int64_t delta) {
    std::lock_guard lock(mu_);
    skus_.at(id).unsure = delta;
}

void ledger::stock_resolved(const std::string& id, std::int64_t applied) {
    std::lock_guard lock(mu_);
    sku_model& s = skus_.at(id);
    s.stock += applied;
    s.unsure.reset();
}

ledger_counts ledger::counts() {
    std::lock_guard lock(mu_);
    return counts_;
}

void ledger::count_record(std::int64_t n) {
    std::lock_guard lock(mu_);
    records_ += n;
}

std::int64_t ledger::records() {
    std::lock_guard lock(mu_);
    return records_;
}

void ledger::bump(std::uint64_t ledger_counts::*field) {
    std::lock_guard lock(mu_);
    ++(counts_.*field);
}

}  // namespace fg::testing::crash
