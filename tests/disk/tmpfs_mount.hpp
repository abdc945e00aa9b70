#pragma once

// A real, small file system for disk-full tests: a tmpfs mounted on a temp directory (root
// only), and a filler file that takes all but a chosen amount of its space.

#include <sys/mount.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

namespace fg::testing {

// A tmpfs mounted on `dir` for the test's lifetime; unmounted in the destructor, also when the
// test fails half-way.
class tmpfs_mount {
 public:
    tmpfs_mount(const std::filesystem::path& dir, const std::string& size) : dir_(dir) {
        std::filesystem::create_directories(dir);
        const std::string opts = "size=" + size + ",mode=0700";
        if (::mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, opts.c_str()) != 0) {
            error_ = "mount -t tmpfs -o " + opts + " tmpfs " + dir.string() + ": " +
                     std::strerror(errno) +
                     " (this test needs root to mount a small file system; CI runs as root)";
            return;
        }
        mounted_ = true;
    }
    ~tmpfs_mount() {
        if (!mounted_) return;
        // A lazy detach if something still holds it: the mount never outlives the test.
        if (::umount(dir_.c_str()) != 0) ::umount2(dir_.c_str(), MNT_DETACH);
    }
    tmpfs_mount(const tmpfs_mount&) = delete;
    tmpfs_mount& operator=(const tmpfs_mount&) = delete;

    bool mounted() const { return mounted_; }
    const std::string& error() const { return error_; }

 private:
    std::filesystem::path dir_;
    bool mounted_ = false;
    std::string error_;
};

inline std::uint64_t free_bytes(const std::filesystem::path& dir) {
    struct statvfs st {};
    if (::statvfs(dir.c_str(), &st) != 0) return 0;
    return static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
}

// Writes a file of `bytes` zeros (tmpfs allocates pages as they are written), stopping early
// if the file system fills up first.
inline void write_filler(const std::filesystem::path& path, std::uint64_t bytes) {
    std::ofstream out(path, std::ios::binary);
    const std::string chunk(1 << 16, '\0');
    while (bytes > 0 && out) {
        const auto n = static_cast<std::streamsize>(std::min<std::uint64_t>(bytes, chunk.size()));
        out.write(chunk.data(), n);
        bytes -= static_cast<std::uint64_t>(n);
    }
}

}  // namespace fg::testing
