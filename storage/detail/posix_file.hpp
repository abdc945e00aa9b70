#pragma once

// The only place storage/ touches the file system: plain POSIX calls with errors turned into
// messages that carry the path and strerror(errno). Every system call goes through one seam,
// `file_syscalls`, so that tests can put a fault-injecting disk under the real log
// (storage/testing/fault_fs.hpp: power loss, torn writes, short writes).

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace fg::storage::detail {

// The system calls storage/ makes, with POSIX signatures and conventions (-1 and errno on
// failure). Production never installs one: the calls go straight to the kernel, and the seam
// costs one atomic load (a plain load on x86) and one predictable branch per call. Only tests
// install an implementation (storage/testing/fault_fs), before any log is opened, and remove
// it after every log is gone.
class file_syscalls {
 public:
    virtual ~file_syscalls() = default;
    virtual int open(const char* path, int flags, mode_t mode) = 0;
    virtual ssize_t pwrite(int fd, const void* data, std::size_t bytes, off_t offset) = 0;
    virtual ssize_t pread(int fd, void* data, std::size_t bytes, off_t offset) = 0;
    virtual int fdatasync(int fd) = 0;
    virtual int fsync(int fd) = 0;  // also used on directories, opened with O_DIRECTORY
    virtual int fstat(int fd, struct stat* st) = 0;
    virtual int close(int fd) = 0;
    virtual int rename(const char* from, const char* to) = 0;
    virtual int unlink(const char* path) = 0;
};

// Test-only: routes every system call of storage/ to `calls` (nullptr: the kernel again).
// Not for production; see above for when it may be called.
void install_file_syscalls(file_syscalls* calls) noexcept;

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
