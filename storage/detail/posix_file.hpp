#pragma once

// The only place storage/ touches the file system: plain POSIX calls with errors turned into
// messages that carry the path and strerror(errno). A fault-injecting layer (short write,
// failed fdatasync, ENOSPC) for crash tests slots in here.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace fg::storage::detail {

// Owned by one thread at a time (open() hands it to the log writer); not thread-safe.
class posix_file {
 public:
    enum class mode : std::uint8_t { read_write, create_truncate };

    posix_file() = default;
    posix_file(const posix_file&) = delete;
    posix_file& operator=(const posix_file&) = delete;
    posix_file(posix_file&& other) noexcept;
    posix_file& operator=(posix_file&& other) noexcept;
    ~posix_file();

    // Each call returns false and sets `error` ("<what> <path>: <strerror>") on failure.
    [[nodiscard]] bool open(const std::filesystem::path& path, mode m, std::string& error);
    [[nodiscard]] bool pwrite_all(std::span<const std::byte> data, std::uint64_t offset,
                                  std::string& error);
    [[nodiscard]] bool pread_all(std::span<std::byte> data, std::uint64_t offset,
                                 std::string& error);
    // Writes zeros over [offset, offset + bytes), in large chunks.
    [[nodiscard]] bool write_zeros(std::uint64_t offset, std::uint64_t bytes, std::string& error);
    [[nodiscard]] bool datasync(std::string& error);
    [[nodiscard]] bool sync(std::string& error);
    [[nodiscard]] bool size(std::uint64_t& bytes, std::string& error) const;
    void close() noexcept;

    bool is_open() const { return fd_ >= 0; }
    const std::filesystem::path& path() const { return path_; }

 private:
    std::string describe(const char* what) const;

    int fd_ = -1;
    std::filesystem::path path_;
};

// fsync of a directory, so that a created or renamed entry survives a crash.
[[nodiscard]] bool sync_directory(const std::filesystem::path& dir, std::string& error);
[[nodiscard]] bool rename_file(const std::filesystem::path& from, const std::filesystem::path& to,
                               std::string& error);
[[nodiscard]] bool remove_file(const std::filesystem::path& path, std::string& error);

}  // namespace fg::storage::detail
