#pragma once

// Adapts storage::commit_log to the domain's journal interface (matching/journal.hpp).

#include "matching/journal.hpp"
#include "storage/commit_log.hpp"

namespace fg::gateway {

// Thread-safe, as commit_log is. attach() happens once, before any shard appends.
class log_journal final : public matching::journal {
 public:
    void attach(storage::commit_log* log) { log_ = log; }

    matching::append_ticket append(std::uint16_t type,
                                   std::span<const std::byte> payload) override {
        storage::append_result r = log_->append(type, payload);
        switch (r.status) {
            case storage::append_status::ok:
                return {matching::append_status::ok, r.end_pos};
            case storage::append_status::full:
                return {matching::append_status::full, 0};
            case storage::append_status::no_space:
                return {matching::append_status::no_space, 0};
            case storage::append_status::failed:
                break;
        }
        return {matching::append_status::failed, 0};
    }
    std::uint64_t durable_pos() const override { return log_ ? log_->durable_pos() : 0; }
    bool failed() const override { return log_ != nullptr && log_->failed(); }
    bool no_space() const override { return log_ != nullptr && log_->no_space(); }

 private:
    storage::commit_log* log_ = nullptr;
};

}  // namespace fg::gateway
