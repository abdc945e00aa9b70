#pragma once

// A disk with a volatile write cache, for crash tests only (library fg_storage_fault; production
// never links it). Installed under storage/ through the system-call seam of
// storage/detail/posix_file.hpp, it passes every call to the real files and remembers what no
// fsync has covered yet:
//
//   - a write (pwrite, the zeros of a preallocation, an O_TRUNC) is unsynced until an fdatasync
//     or fsync of the same file completes;
//   - a name change (a file created, renamed or unlinked) is unsynced until an fsync of its
//     directory completes.
//
// At a power loss (lose_power()), every unsynced write is, by a seeded PRNG, DROPPED (its bytes
// revert to what they were), KEPT, GARBLED (random bytes over its range) or TORN (a prefix kept,
// the rest reverted); of each directory's unsynced name changes a random prefix survives, in
// order (a journaling file system commits metadata in order), so a renamed-in file may keep its
// old name and a created file may vanish. The files on disk are then what a machine would find
// after the power came back. Everything a completed sync covered stays exactly as written, and a
// write damages only the bytes it covers: a disk that tears neighbouring, already synced bytes of
// the same sector is outside this model.
//
// The kernel's own fsync is not called by default: no real power is lost in a test, so the page
// cache is the platter, and the model alone decides what "synced" means (3-4 ms per real
// fdatasync on the CI disk would make thousands of seeded crashes impractical).

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "storage/detail/posix_file.hpp"

namespace fg::storage::testing {

// Relative odds of what becomes of one unsynced write at a power loss.
struct write_fate_weights {
    unsigned drop = 1;
    unsigned keep = 1;
    unsigned garble = 1;
    unsigned torn = 1;
};

// Which unsynced name changes of a directory survive a power loss.
enum class name_fate : std::uint8_t { random_prefix, all_lost, all_kept };

// Whether pwrite sometimes writes only part of what it was given (>= 1 byte), as POSIX allows.
enum class short_writes : std::uint8_t { never, sometimes };

struct fault_options {
    std::uint64_t seed = 1;
    write_fate_weights fates;
    name_fate names = name_fate::random_prefix;
    short_writes partial_writes = short_writes::never;
};

// What a power loss did.
struct power_loss_report {
    std::uint64_t writes_unsynced = 0;
    std::uint64_t dropped = 0;
    std::uint64_t kept = 0;
    std::uint64_t garbled = 0;
    std::uint64_t torn = 0;
    std::uint64_t names_unsynced = 0;
    std::uint64_t names_undone = 0;
};

// Thread-safe (one mutex): the log's writer thread and the test's thread both call in. Install
// before opening a log; uninstall (or destroy) only after every log and file is closed.
class fault_fs final : public detail::file_syscalls {
 public:
    explicit fault_fs(const fault_options& opts);
    fault_fs(const fault_fs&) = delete;
    fault_fs& operator=(const fault_fs&) = delete;
    ~fault_fs() override;  // uninstalls itself if installed

    void install();
    void uninstall();

    // The n-th state-changing call from now (1-based: pwrite, fdatasync, fsync, rename, unlink,
    // an open that creates or truncates) is where the power fails: its change is made, unsynced,
    // and it returns EIO, as does every call after it. 0 = no crash point.
    void crash_at_call(std::uint64_t n);
    // The power fails now: every call fails with EIO until lose_power().
    void power_off();
    bool powered_off() const;
    std::uint64_t state_changing_calls() const;

    // Resolves every unsynced write and name change on the real files (see the top of this
    // file), then forgets them: the disk is powered on again, all of it synced, no crash point.
    // Precondition: no file opened through this layer is still open.
    power_loss_report lose_power();

    int open(const char* path, int flags, mode_t mode) override;
    ssize_t pwrite(int fd, const void* data, std::size_t bytes, off_t offset) override;
    ssize_t pread(int fd, void* data, std::size_t bytes, off_t offset) override;
    int fdatasync(int fd) override;
    int fsync(int fd) override;
    int fstat(int fd, struct stat* st) override;
    int close(int fd) override;
    int rename(const char* from, const char* to) override;
    int unlink(const char* path) override;

 private:
    // One unsynced change of a file's bytes or size. `old` holds the bytes it replaced at
    // [offset, offset + old.size()); reverting every record newest first gives the synced file.
    struct write_record {
        std::uint64_t offset = 0;
        std::vector<std::byte> data;  // empty for a truncation
        std::vector<std::byte> old;
        std::uint64_t size_before = 0;
        std::uint64_t size_after = 0;
        bool truncation = false;
    };
    // A file (an inode): where it is now on the real disk, and its unsynced writes.
    struct node {
        std::string path;
        std::vector<write_record> unsynced;
        bool gone = false;  // its unlink was synced: the real file is deleted
    };
    enum class name_kind : std::uint8_t { create, rename, unlink };
    // An unsynced directory change. An unlinked (or replaced) file is parked under `grave` in
    // the same directory until the change is synced or undone.
    struct name_change {
        name_kind kind = name_kind::create;
        std::size_t node = 0;
        std::string from;  // rename, unlink
        std::string to;    // create, rename
        std::string grave;
        std::size_t replaced = 0;  // rename over an existing file: that file's node
    };
    struct open_file {
        bool directory = false;
        std::size_t node = 0;
        std::string dir;
    };

    bool crashes_now();  // counts one state-changing call; true if the power fails in it
    std::size_t node_at(const std::string& path);
    std::string grave_path(const std::string& dir, const char* why);
    void sync_file(std::size_t id);
    void sync_dir(const std::string& dir);
    unsigned pick_fate();
    void resolve_writes(node& n, power_loss_report& r);
    void resolve_names(std::vector<name_change>& changes, power_loss_report& r);

    const fault_options opts_;
    mutable std::mutex mutex_;
    std::mt19937_64 rng_;
    bool installed_ = false;
    bool off_ = false;
    std::uint64_t calls_ = 0;
    std::uint64_t crash_at_ = 0;
    std::uint64_t graves_ = 0;
    std::vector<node> nodes_;
    std::map<std::string, std::size_t> by_path_;
    std::map<std::string, std::vector<name_change>> pending_names_;  // by directory
    std::map<int, open_file> fds_;
};

}  // namespace fg::storage::testing
