#include "storage/testing/fault_fs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace fg::storage::testing {
namespace {

// The layer's own use of the real disk must not fail; if it does the test cannot go on.
void check(bool ok, const char* what, const std::string& path) {
    if (ok) return;
    std::fprintf(stderr, "fault_fs: %s %s failed: errno %d\n", what, path.c_str(), errno);
    std::abort();
}

std::string normal(const char* path) {
    std::filesystem::path p = std::filesystem::path(path).lexically_normal();
    if (!p.has_filename() && p.has_parent_path()) p = p.parent_path();  // "dir/" -> "dir"
    return p.string();
}

std::string parent_of(const std::string& path) {
    return std::filesystem::path(path).parent_path().string();
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

std::uint64_t file_size(int fd, const std::string& path) {
    struct stat st {};
    check(::fstat(fd, &st) == 0, "fstat", path);
    return static_cast<std::uint64_t>(st.st_size);
}

void write_all(int fd, const std::byte* data, std::size_t bytes, std::uint64_t offset,
               const std::string& path) {
    while (bytes > 0) {
        const ssize_t n = ::pwrite(fd, data, bytes, static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR) continue;
        check(n > 0, "pwrite", path);
        data += n;
        bytes -= static_cast<std::size_t>(n);
        offset += static_cast<std::uint64_t>(n);
    }
}

std::vector<std::byte> read_range(int fd, std::uint64_t offset, std::uint64_t bytes,
                                  const std::string& path) {
    std::vector<std::byte> out(static_cast<std::size_t>(bytes));
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t n =
            ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        check(n > 0, "pread", path);
        done += static_cast<std::size_t>(n);
    }
    return out;
}

int fail_eio() {
    errno = EIO;
    return -1;
}

enum fate : unsigned { fate_drop, fate_keep, fate_garble, fate_torn };

}  // namespace

fault_fs::fault_fs(const fault_options& opts) : opts_(opts), rng_(opts.seed) {}

fault_fs::~fault_fs() {
    if (installed_) uninstall();
}

void fault_fs::install() {
    installed_ = true;
    detail::install_file_syscalls(this);
}

void fault_fs::uninstall() {
    detail::install_file_syscalls(nullptr);
    installed_ = false;
}

void fault_fs::crash_at_call(std::uint64_t n) {
    std::lock_guard lock(mutex_);
    crash_at_ = n == 0 ? 0 : calls_ + n;
}

void fault_fs::power_off() {
    std::lock_guard lock(mutex_);
    off_ = true;
}

bool fault_fs::powered_off() const {
    std::lock_guard lock(mutex_);
    return off_;
}

std::uint64_t fault_fs::state_changing_calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
}

bool fault_fs::crashes_now() {
    ++calls_;
    if (crash_at_ != 0 && calls_ == crash_at_) off_ = true;
    return off_;
}

std::size_t fault_fs::node_at(const std::string& path) {
    if (const auto it = by_path_.find(path); it != by_path_.end()) return it->second;
    nodes_.push_back({.path = path});
    by_path_[path] = nodes_.size() - 1;
    return nodes_.size() - 1;
}

std::string fault_fs::grave_path(const std::string& dir, const char* why) {
    return dir + "/.fault_fs." + std::to_string(++graves_) + "." + why;
}

int fault_fs::open(const char* path, int flags, mode_t mode) {
    std::lock_guard lock(mutex_);
    if (off_) return fail_eio();
    const std::string p = normal(path);
    if ((flags & O_DIRECTORY) != 0) {
        const int fd = ::open(path, flags, mode);
        if (fd >= 0) fds_[fd] = {.directory = true, .dir = p};
        return fd;
    }
    const bool existed = exists(p);
    const bool creates = (flags & O_CREAT) != 0 && !existed;
    const bool truncates = (flags & O_TRUNC) != 0 && existed;
    const bool crash = (creates || truncates) && crashes_now();
    const int fd = ::open(path, flags & ~O_TRUNC, mode);
    if (fd < 0) return fd;
    const std::size_t id = node_at(p);
    if (creates) {
        pending_names_[parent_of(p)].push_back({.kind = name_kind::create, .node = id, .to = p});
    }
    if (truncates) {
        const std::uint64_t size = file_size(fd, p);
        if (size > 0) {
            write_record w{.old = read_range(fd, 0, size, p), .size_before = size};
            w.truncation = true;
            check(::ftruncate(fd, 0) == 0, "ftruncate", p);
            nodes_[id].unsynced.push_back(std::move(w));
        }
    }
    if (crash) {
        ::close(fd);
        return fail_eio();
    }
    fds_[fd] = {.node = id};
    return fd;
}

ssize_t fault_fs::pwrite(int fd, const void* data, std::size_t bytes, off_t offset) {
    std::lock_guard lock(mutex_);
    if (off_) return fail_eio();
    const auto it = fds_.find(fd);
    if (it == fds_.end() || it->second.directory) {
        errno = EBADF;
        return -1;
    }
    const bool crash = crashes_now();
    node& n = nodes_[it->second.node];
    std::size_t count = bytes;
    if (opts_.partial_writes == short_writes::sometimes && bytes > 1 && rng_() % 4 == 0) {
        count = 1 + static_cast<std::size_t>(rng_() % (bytes - 1));
    }
    const auto off = static_cast<std::uint64_t>(offset);
    write_record w{.offset = off};
    w.size_before = file_size(fd, n.path);
    if (off < w.size_before) {
        w.old = read_range(fd, off, std::min<std::uint64_t>(count, w.size_before - off), n.path);
    }
    const auto* src = static_cast<const std::byte*>(data);
    w.data.assign(src, src + count);
    write_all(fd, src, count, off, n.path);
    w.size_after = std::max<std::uint64_t>(w.size_before, off + count);
    n.unsynced.push_back(std::move(w));
    if (crash) return fail_eio();
    return static_cast<ssize_t>(count);
}

ssize_t fault_fs::pread(int fd, void* data, std::size_t bytes, off_t offset) {
    {
        std::lock_guard lock(mutex_);
        if (off_) return fail_eio();
    }
    return ::pread(fd, data, bytes, offset);
}

void fault_fs::sync_file(std::size_t id) { nodes_[id].unsynced.clear(); }

void fault_fs::sync_dir(const std::string& dir) {
    const auto it = pending_names_.find(dir);
    if (it == pending_names_.end()) return;
    for (const name_change& c : it->second) {
        if (c.grave.empty()) continue;
        check(::unlink(c.grave.c_str()) == 0, "unlink", c.grave);  // now really gone
        nodes_[c.kind == name_kind::unlink ? c.node : c.replaced].gone = true;
        by_path_.erase(c.grave);
    }
    pending_names_.erase(it);
}

int fault_fs::fdatasync(int fd) {
    // Same as fsync in this model: a write's size change is part of the write.
    return fsync(fd);
}

int fault_fs::fsync(int fd) {
    std::lock_guard lock(mutex_);
    if (off_) return fail_eio();
    const auto it = fds_.find(fd);
    if (it == fds_.end()) {
        errno = EBADF;
        return -1;
    }
    if (crashes_now()) return fail_eio();  // nothing became durable
    if (it->second.directory) {
        sync_dir(it->second.dir);
    } else {
        sync_file(it->second.node);
    }
    return 0;
}

int fault_fs::fstat(int fd, struct stat* st) {
    {
        std::lock_guard lock(mutex_);
        if (off_) return fail_eio();
    }
    return ::fstat(fd, st);
}

int fault_fs::close(int fd) {
    std::lock_guard lock(mutex_);
    fds_.erase(fd);  // even without power: the descriptor must not leak from the test process
    return ::close(fd);
}

int fault_fs::rename(const char* from, const char* to) {
    std::lock_guard lock(mutex_);
    if (off_) return fail_eio();
    const std::string f = normal(from);
    const std::string t = normal(to);
    const std::string dir = parent_of(t);
    if (parent_of(f) != dir) {  // one directory's order of changes is all this model keeps
        errno = EXDEV;
        return -1;
    }
    if (!exists(f)) {
        errno = ENOENT;
        return -1;
    }
    const bool crash = crashes_now();
    name_change c{.kind = name_kind::rename, .node = node_at(f), .from = f, .to = t};
    if (exists(t)) {  // park the replaced file so that the rename can be undone
        c.replaced = node_at(t);
        c.grave = grave_path(dir, "replaced");
        check(::rename(t.c_str(), c.grave.c_str()) == 0, "rename", t);
        nodes_[c.replaced].path = c.grave;
        by_path_.erase(t);
        by_path_[c.grave] = c.replaced;
    }
    check(::rename(f.c_str(), t.c_str()) == 0, "rename", f);
    nodes_[c.node].path = t;
    by_path_.erase(f);
    by_path_[t] = c.node;
    pending_names_[dir].push_back(std::move(c));
    return crash ? fail_eio() : 0;
}

int fault_fs::unlink(const char* path) {
    std::lock_guard lock(mutex_);
    if (off_) return fail_eio();
    const std::string p = normal(path);
    if (!exists(p)) {
        errno = ENOENT;
        return -1;
    }
    const bool crash = crashes_now();
    const std::string dir = parent_of(p);
    name_change c{.kind = name_kind::unlink, .node = node_at(p), .from = p};
    c.grave = grave_path(dir, "unlinked");
    check(::rename(p.c_str(), c.grave.c_str()) == 0, "rename", p);
    nodes_[c.node].path = c.grave;
    by_path_.erase(p);
    by_path_[c.grave] = c.node;
    pending_names_[dir].push_back(std::move(c));
    return crash ? fail_eio() : 0;
}

unsigned fault_fs::pick_fate() {
    const write_fate_weights& w = opts_.fates;
    const std::uint64_t total = std::uint64_t{w.drop} + w.keep + w.garble + w.torn;
    if (total == 0) return fate_drop;
    std::uint64_t r = rng_() % total;
    if (r < w.drop) return fate_drop;
    r -= w.drop;
    if (r < w.keep) return fate_keep;
    r -= w.keep;
    return r < w.garble ? fate_garble : fate_torn;
}

// Newest first, every unsynced write is undone, which leaves the file as last synced; then,
// oldest first, each is replayed as its fate says, over whatever the earlier ones left.
void fault_fs::resolve_writes(node& n, power_loss_report& r) {
    const int fd = ::open(n.path.c_str(), O_RDWR | O_CLOEXEC);
    check(fd >= 0, "open", n.path);
    for (auto it = n.unsynced.rbegin(); it != n.unsynced.rend(); ++it) {
        if (!it->old.empty()) write_all(fd, it->old.data(), it->old.size(), it->offset, n.path);
        check(::ftruncate(fd, static_cast<off_t>(it->size_before)) == 0, "ftruncate", n.path);
    }
    for (const write_record& w : n.unsynced) {
        ++r.writes_unsynced;
        const unsigned f = pick_fate();
        if (f == fate_drop) {
            ++r.dropped;
        } else if (w.truncation) {  // a size change is all or nothing
            ++r.kept;
            check(::ftruncate(fd, static_cast<off_t>(w.size_after)) == 0, "ftruncate", n.path);
        } else if (f == fate_keep) {
            ++r.kept;
            write_all(fd, w.data.data(), w.data.size(), w.offset, n.path);
        } else if (f == fate_garble) {
            ++r.garbled;
            std::vector<std::byte> junk(w.data.size());
            for (std::byte& b : junk) b = static_cast<std::byte>(rng_());
            write_all(fd, junk.data(), junk.size(), w.offset, n.path);
        } else {
            ++r.torn;
            const std::size_t prefix =
                w.data.empty() ? 0 : static_cast<std::size_t>(rng_() % w.data.size());
            write_all(fd, w.data.data(), prefix, w.offset, n.path);
        }
    }
    check(::close(fd) == 0, "close", n.path);
    n.unsynced.clear();
}

// A prefix of one directory's unsynced changes survives; the rest is undone, newest first.
void fault_fs::resolve_names(std::vector<name_change>& changes, power_loss_report& r) {
    std::size_t kept = changes.size();
    if (opts_.names == name_fate::all_lost) {
        kept = 0;
    } else if (opts_.names == name_fate::random_prefix) {
        kept = static_cast<std::size_t>(rng_() % (changes.size() + 1));
    }
    r.names_unsynced += changes.size();
    for (std::size_t i = changes.size(); i-- > kept;) {
        const name_change& c = changes[i];
        ++r.names_undone;
        if (c.kind == name_kind::create) {
            check(::unlink(c.to.c_str()) == 0, "unlink", c.to);
        } else if (c.kind == name_kind::rename) {
            check(::rename(c.to.c_str(), c.from.c_str()) == 0, "rename", c.to);
            if (!c.grave.empty()) {
                check(::rename(c.grave.c_str(), c.to.c_str()) == 0, "rename", c.grave);
            }
        } else {
            check(::rename(c.grave.c_str(), c.from.c_str()) == 0, "rename", c.grave);
        }
    }
    for (std::size_t i = 0; i < kept; ++i) {
        if (!changes[i].grave.empty()) {
            check(::unlink(changes[i].grave.c_str()) == 0, "unlink", changes[i].grave);
        }
    }
}

power_loss_report fault_fs::lose_power() {
    std::lock_guard lock(mutex_);
    if (!fds_.empty()) {
        std::fprintf(stderr, "fault_fs: lose_power() with %zu file(s) still open\n", fds_.size());
        std::abort();
    }
    power_loss_report r;
    // Bytes first, while every file is still where the test process last saw it.
    for (node& n : nodes_) {
        if (!n.gone && !n.unsynced.empty()) resolve_writes(n, r);
    }
    for (auto& [dir, changes] : pending_names_) resolve_names(changes, r);
    nodes_.clear();
    by_path_.clear();
    pending_names_.clear();
    calls_ = 0;
    crash_at_ = 0;
    off_ = false;
    return r;
}

}  // namespace fg::storage::testing
