#include "storage/detail/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fg::storage::detail {

mapped_file::~mapped_file() {
    if (size_ > 0) ::munmap(const_cast<std::byte*>(data_), size_);
}

bool mapped_file::open(const std::filesystem::path& path, std::string& error, populate how) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error = "open " + path.string() + ": " + std::strerror(errno);
        return false;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        error = "stat " + path.string() + ": " + std::strerror(errno);
        ::close(fd);
        return false;
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ > 0) {
        const int flags = MAP_PRIVATE | (how == populate::yes ? MAP_POPULATE : 0);
        void* p = ::mmap(nullptr, size_, PROT_READ, flags, fd, 0);
        if (p == MAP_FAILED) {
            error = "map " + path.string() + ": " + std::strerror(errno);
            size_ = 0;
            ::close(fd);
            return false;
        }
        ::madvise(p, size_, MADV_SEQUENTIAL);
        data_ = static_cast<const std::byte*>(p);
    }
    ::close(fd);  // the mapping keeps the file's pages
    return true;
}

}  // namespace fg::storage::detail
