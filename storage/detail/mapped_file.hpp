#pragma once

// A whole file mapped read-only, for reading snapshots in place: validation and loading walk
// the same pages without copying them into a buffer first.

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>

namespace fg::storage::detail {

// Owned by one thread; the mapping lives until destruction.
class mapped_file {
 public:
    mapped_file() = default;
    ~mapped_file();
    mapped_file(const mapped_file&) = delete;
    mapped_file& operator=(const mapped_file&) = delete;

    enum class populate : bool { no, yes };  // yes: fault every page in at once (MAP_POPULATE)

    // False + `error` ("map <path>: <strerror>") on failure. An empty file maps to no bytes.
    [[nodiscard]] bool open(const std::filesystem::path& path, std::string& error,
                            populate how = populate::no);
    std::span<const std::byte> bytes() const { return {data_, size_}; }

 private:
    const std::byte* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace fg::storage::detail
