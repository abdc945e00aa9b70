#include "gateway_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>

namespace fg::testing {

temp_dir::temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "flashgate-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
}

temp_dir::~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

gateway_process::gateway_process(gateway_options opts) : opts_(std::move(opts)) {}

gateway_process::~gateway_process() {
    if (pid_ > 0) kill9();
}

void gateway_process::start() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    // FG_GATEWAY_BINARY in the environment runs another build (scripts/crash-loop.sh runs a
    // private copy, so that rebuilding during a long run cannot swap the binary under it).
    const char* binary = std::getenv("FG_GATEWAY_BINARY");
    std::vector<std::string> args = {
        binary != nullptr && *binary != '\0' ? binary : FG_GATEWAY_BINARY,
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--data-dir",
        opts_.data_dir.string(),
        "--threads",
        std::to_string(opts_.threads)};
    args.insert(args.end(), opts_.extra_args.begin(), opts_.extra_args.end());
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        ::dup2(fds[1], STDOUT_FILENO);
        ::setenv("FLASHGATE_ADMIN_TOKEN", opts_.admin_token.c_str(), 1);
        if (opts_.storefront_token.empty()) {
            ::unsetenv("FLASHGATE_STOREFRONT_TOKEN");
        } else {
            ::setenv("FLASHGATE_STOREFRONT_TOKEN", opts_.storefront_token.c_str(), 1);
        }
        for (const auto& [name, value] : opts_.env) ::setenv(name.c_str(), value.c_str(), 1);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(fds[1]);
    stdout_fd_ = fds[0];
    output_.clear();
    const std::string marker = "listening on http://127.0.0.1:";
    if (!read_until(marker, 30'000)) throw std::runtime_error("gateway did not listen: " + output_);
    auto pos = output_.find(marker) + marker.size();
    port_ = static_cast<unsigned short>(std::stoi(output_.substr(pos)));
    if (!read_until("flashgate: ready", 30'000)) {
        throw std::runtime_error("gateway did not become ready: " + output_);
    }
}

bool gateway_process::read_until(const std::string& needle, int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (output_.find(needle) == std::string::npos) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
        if (left <= 0) return false;
        pollfd p{stdout_fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
        char buf[4096];
        ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
        if (n <= 0) return false;
        output_.append(buf, static_cast<std::size_t>(n));
    }
    return true;
}

int gateway_process::wait_exit() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    if (stdout_fd_ >= 0) {
        ::close(stdout_fd_);
        stdout_fd_ = -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int gateway_process::stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    return wait_exit();
}

std::optional<int> gateway_process::wait_exit_for(int timeout_ms) {
    if (pid_ <= 0) return std::nullopt;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
        int status = 0;
        const pid_t r = ::waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            pid_ = -1;
            if (stdout_fd_ >= 0) {
                ::close(stdout_fd_);
                stdout_fd_ = -1;
            }
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        // Wait on the output pipe for at most 10 ms: it wakes on output (kept) and at exit.
        pollfd p{stdout_fd_, POLLIN, 0};
        if (::poll(&p, 1, 10) > 0 && stdout_fd_ >= 0) {
            char buf[4096];
            const ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
            if (n > 0) {
                output_.append(buf, static_cast<std::size_t>(n));
            } else {
                ::close(stdout_fd_);  // end of file: poll() then just waits out its 10 ms
                stdout_fd_ = -1;
            }
        }
    }
}

void gateway_process::kill9() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    wait_exit();
}

}  // namespace fg::testing
