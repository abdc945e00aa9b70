#pragma once

// Starts the real flashgate binary on a free loopback port with its own data directory, waits
// until it says it is ready, and stops it by PID (SIGTERM, or SIGKILL to simulate a crash).

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fg::testing {

// A fresh directory under the system temp dir, removed on destruction.
class temp_dir {
 public:
    temp_dir();
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const std::filesystem::path& path() const { return path_; }

 private:
    std::filesystem::path path_;
};

struct gateway_options {
    std::filesystem::path data_dir;
    unsigned threads = 4;
    std::string admin_token = "test-admin-token";
    std::string storefront_token;  // empty: storefront routes are open
    // Small segments: start-up preallocates less, and the tests cross segment boundaries.
    std::vector<std::string> extra_args = {"--log-segment-bytes", "262144"};
    // Set in the child's environment on top of the test's own (e.g. LD_PRELOAD of a fault shim).
    std::vector<std::pair<std::string, std::string>> env;
};

class gateway_process {
 public:
    explicit gateway_process(gateway_options opts);
    ~gateway_process();  // SIGKILL if still running
    gateway_process(const gateway_process&) = delete;
    gateway_process& operator=(const gateway_process&) = delete;

    // Starts the binary and blocks (bounded: 30 s) until it prints its ready line.
    void start();
    // SIGTERM and wait; returns the exit status (as from waitpid's WEXITSTATUS, -1 if signalled).
    int stop();
    // SIGKILL and wait: a crash, as far as the process can tell.
    void kill9();
    // Waits (bounded) for the process to exit by itself, reading its output meanwhile. Returns
    // its exit status as stop() does, or nullopt if it still runs after `timeout_ms`.
    std::optional<int> wait_exit_for(int timeout_ms);

    unsigned short port() const { return port_; }
    pid_t pid() const { return pid_; }
    const gateway_options& options() const { return opts_; }
    // Everything the process printed on stdout so far.
    const std::string& output() const { return output_; }

 private:
    bool read_until(const std::string& needle, int timeout_ms);
    int wait_exit();

    gateway_options opts_;
    pid_t pid_ = -1;
    int stdout_fd_ = -1;
    unsigned short port_ = 0;
    std::string output_;
};

}  // namespace fg::testing
