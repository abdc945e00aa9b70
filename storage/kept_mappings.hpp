#pragma once

// Mapped files kept past the call that read them. Given to commit_log::open
// (log_options::keep) or load_snapshot, it takes each file they map before any record of that
// file is handed out, so the payloads passed to replay_fn stay readable, in place, for as long
// as it lives: a reader may point at them instead of copying them. The files may be deleted
// meanwhile (segment retention, snapshot pruning); their disk space returns when this is
// destroyed.
//
// Owner-thread for keep(); the bytes it keeps may be read from any thread.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace fg::storage {

namespace detail {
class mapped_file;
}

class kept_mappings {
 public:
    kept_mappings();
    ~kept_mappings();
    kept_mappings(const kept_mappings&) = delete;
    kept_mappings& operator=(const kept_mappings&) = delete;

    void keep(std::unique_ptr<detail::mapped_file> file);

    std::size_t files() const { return files_.size(); }
    std::uint64_t bytes() const { return bytes_; }

 private:
    std::vector<std::unique_ptr<detail::mapped_file>> files_;
    std::uint64_t bytes_ = 0;
};

}  // namespace fg::storage
