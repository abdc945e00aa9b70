#include "storage/detail/posix_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

namespace fg::storage::detail {
namespace {

std::string errno_message(const char* what, const std::filesystem::path& path, int err) {
    std::string m = what;
    m += ' ';
    m += path.string();
    m += ": ";
    m += std::strerror(err);
    return m;
}

constexpr std::size_t zero_chunk_bytes = 1u << 20;

// Null in production. Acquire pairs with the release in install_file_syscalls(): a thread that
// sees the pointer sees the object it points to fully built.
std::atomic<file_syscalls*> installed_calls{nullptr};

file_syscalls* hook() noexcept { return installed_calls.load(std::memory_order_acquire); }

int sys_open(const char* path, int flags, mode_t m) {
    if (file_syscalls* h = hook()) return h->open(path, flags, m);
    return ::open(path, flags, m);
}
ssize_t sys_pwrite(int fd, const void* data, std::size_t bytes, off_t offset) {
    if (file_syscalls* h = hook()) return h->pwrite(fd, data, bytes, offset);
    return ::pwrite(fd, data, bytes, offset);
}
ssize_t sys_pread(int fd, void* data, std::size_t bytes, off_t offset) {
    if (file_syscalls* h = hook()) return h->pread(fd, data, bytes, offset);
    return ::pread(fd, data, bytes, offset);
}
int sys_fdatasync(int fd) {
    if (file_syscalls* h = hook()) return h->fdatasync(fd);
    return ::fdatasync(fd);
}
int sys_fsync(int fd) {
    if (file_syscalls* h = hook()) return h->fsync(fd);
    return ::fsync(fd);
}
int sys_fstat(int fd, struct stat* st) {
    if (file_syscalls* h = hook()) return h->fstat(fd, st);
    return ::fstat(fd, st);
}
int sys_close(int fd) {
    if (file_syscalls* h = hook()) return h->close(fd);
    return ::close(fd);
}
int sys_rename(const char* from, const char* to) {
    if (file_syscalls* h = hook()) return h->rename(from, to);
    return ::rename(from, to);
}
int sys_unlink(const char* path) {
    if (file_syscalls* h = hook()) return h->unlink(path);
    return ::unlink(path);
}

}  // namespace

void install_file_syscalls(file_syscalls* calls) noexcept {
    installed_calls.store(calls, std::memory_order_release);
}

posix_file::posix_file(posix_file&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

posix_file& posix_file::operator=(posix_file&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = std::exchange(other.fd_, -1);
        path_ = std::move(other.path_);
    }
    return *this;
}

posix_file::~posix_file() { close(); }

std::string posix_file::describe(const char* what) const {
    return errno_message(what, path_, errno);
}

bool posix_file::open(const std::filesystem::path& path, mode m, std::string& error) {
    close();
    path_ = path;
    const int flags =
        m == mode::create_truncate ? O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC : O_RDWR | O_CLOEXEC;
    fd_ = sys_open(path.c_str(), flags, 0644);
    if (fd_ < 0) {
        error = describe("open");
        return false;
    }
    return true;
}

bool posix_file::pwrite_all(std::span<const std::byte> data, std::uint64_t offset,
                            std::string& error) {
    while (!data.empty()) {
        const ssize_t n = sys_pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            error = describe("pwrite");
            return false;
        }
        if (n == 0) {  // cannot happen for regular files; do not loop forever if it does
            errno = EIO;
            error = describe("pwrite");
            return false;
        }
        data = data.subspan(static_cast<std::size_t>(n));
        offset += static_cast<std::uint64_t>(n);
    }
    return true;
}

bool posix_file::pread_all(std::span<std::byte> data, std::uint64_t offset, std::string& error) {
    while (!data.empty()) {
        const ssize_t n = sys_pread(fd_, data.data(), data.size(), static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            error = describe("pread");
            return false;
        }
        if (n == 0) {
            errno = EIO;
            error = describe("pread (unexpected end of file)");
            return false;
        }
        data = data.subspan(static_cast<std::size_t>(n));
        offset += static_cast<std::uint64_t>(n);
    }
    return true;
}

bool posix_file::write_zeros(std::uint64_t offset, std::uint64_t bytes, std::string& error) {
    const std::vector<std::byte> zeros(std::min<std::uint64_t>(bytes, zero_chunk_bytes));
    while (bytes > 0) {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(bytes, zeros.size()));
        if (!pwrite_all({zeros.data(), n}, offset, error)) return false;
        offset += n;
        bytes -= n;
    }
    return true;
}

bool posix_file::datasync(std::string& error) {
    // Never retried on failure (fail-stop): after a failed fdatasync the kernel may have dropped
    // the dirty pages, so a second call can succeed without the data being on disk.
    if (sys_fdatasync(fd_) != 0) {
        error = describe("fdatasync");
        return false;
    }
    return true;
}

bool posix_file::sync(std::string& error) {
    if (sys_fsync(fd_) != 0) {
        error = describe("fsync");
        return false;
    }
    return true;
}

bool posix_file::size(std::uint64_t& bytes, std::string& error) const {
    struct stat st {};
    if (sys_fstat(fd_, &st) != 0) {
        error = describe("fstat");
        return false;
    }
    bytes = static_cast<std::uint64_t>(st.st_size);
    return true;
}

void posix_file::close() noexcept {
    if (fd_ >= 0) {
        sys_close(fd_);
        fd_ = -1;
    }
}

bool sync_directory(const std::filesystem::path& dir, std::string& error) {
    const int fd = sys_open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0) {
        error = errno_message("open directory", dir, errno);
        return false;
    }
    const bool ok = sys_fsync(fd) == 0;
    if (!ok) error = errno_message("fsync directory", dir, errno);
    sys_close(fd);
    return ok;
}

bool rename_file(const std::filesystem::path& from, const std::filesystem::path& to,
                 std::string& error) {
    if (sys_rename(from.c_str(), to.c_str()) != 0) {
        error = errno_message("rename", from, errno);
        error += " -> " + to.string();
        return false;
    }
    return true;
}

bool remove_file(const std::filesystem::path& path, std::string& error) {
    if (sys_unlink(path.c_str()) != 0) {
        error = errno_message("unlink", path, errno);
        return false;
    }
    return true;
}

}  // namespace fg::storage::detail
