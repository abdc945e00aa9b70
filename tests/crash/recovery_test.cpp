// Recovery seen through the binary: a torn tail inside the last record is cut, reported on the
// ready line and on /metrics, and everything before it survives; a damaged record anywhere else
// stops start-up with exit code 2, the segment and the byte offset, and leaves the data dir as
// it was. (tests/integration/restart_test.cpp covers garbage after the last record and the
// plain stop/crash restarts; these do not repeat them.)

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <thread>

#include "fixture.hpp"

extern char** environ;

namespace fg::testing {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t segment_header_bytes = 64;  // storage/FORMAT.md
constexpr std::size_t frame_header_bytes = 24;

struct frame_at {
    std::size_t offset = 0;
    std::uint32_t frame_len = 0;
    std::uint32_t payload_len = 0;
};

std::string read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

void write_bytes(const fs::path& p, const std::string& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Walks the frames of a segment (FORMAT.md: u32 frame_len first, 0 = no more frames).
std::vector<frame_at> frames_of(const std::string& bytes) {
    std::vector<frame_at> out;
    std::size_t at = segment_header_bytes;
    while (at + frame_header_bytes <= bytes.size()) {
        frame_at f;
        f.offset = at;
        std::memcpy(&f.frame_len, bytes.data() + at, 4);
        std::memcpy(&f.payload_len, bytes.data() + at + 20, 4);
        if (f.frame_len == 0) break;
        out.push_back(f);
        at += f.frame_len;
    }
    return out;
}

std::vector<fs::path> segments(const fs::path& data_dir) {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(data_dir / "log")) {
        if (e.path().extension() == ".seg") out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

// Every file under `dir` with its bytes: the data dir before and after a refused start.
std::map<std::string, std::string> tree_bytes(const fs::path& dir) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        const std::string rel = fs::relative(e.path(), dir).string();
        out[rel] = e.is_regular_file() ? read_bytes(e.path()) : std::string("<dir>");
    }
    return out;
}

std::uint64_t metric(const std::string& text, const std::string& name) {
    std::smatch m;
    const std::regex re("\n" + name + " ([0-9]+)\n");
    if (!std::regex_search(text, m, re)) return ~std::uint64_t{0};
    return std::stoull(m[1].str());
}

struct exit_result {
    int code = -1;  // -1: did not exit by itself within the bound (killed)
    std::string err;
};

// Runs the gateway to completion (bounded: 30 s), stderr captured in a file.
exit_result run_to_exit(const fs::path& data_dir, const fs::path& err_file) {
    std::vector<std::string> args = {FG_GATEWAY_BINARY,
                                     "--host",
                                     "127.0.0.1",
                                     "--port",
                                     "0",
                                     "--data-dir",
                                     data_dir.string(),
                                     "--threads",
                                     "2",
                                     "--log-segment-bytes",
                                     "65536"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_file.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    exit_result r;
    if (rc != 0) return r;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            r.err = read_bytes(err_file);
            return r;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling a bounded exit
    }
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = read_bytes(err_file);
    return r;
}

class recovery_test : public gateway_test {
 protected:
    void start_small(const std::string& segment_bytes) {
        gateway_options opts;
        opts.data_dir = dir_.path() / "data";
        opts.threads = 2;
        opts.extra_args = {"--log-segment-bytes", segment_bytes};
        fs::create_directories(opts.data_dir);
        gw_ = std::make_unique<gateway_process>(opts);
        gw_->start();
    }
    fs::path data() const { return dir_.path() / "data"; }
};

// Where inside the last record the damage starts.
enum class tail_spot { length_word, header_middle, payload_middle, last_payload_byte };

// How the last record of the log is damaged: cut short or overwritten, after a stop or a crash.
struct tail_damage {
    const char* name;
    bool crash;     // kill -9 instead of SIGTERM
    bool truncate;  // cut the file at the spot (else flip bits of the byte there)
    tail_spot spot;
};

std::size_t spot_offset(const frame_at& f, tail_spot spot) {
    switch (spot) {
        case tail_spot::length_word:
            return f.offset;
        case tail_spot::header_middle:
            return f.offset + 12;  // inside the lsn
        case tail_spot::payload_middle:
            return f.offset + frame_header_bytes + f.payload_len / 2;
        case tail_spot::last_payload_byte:
            return f.offset + frame_header_bytes + f.payload_len - 1;
    }
    return f.offset;
}

class torn_tail_test : public recovery_test, public ::testing::WithParamInterface<tail_damage> {};

TEST_P(torn_tail_test, CutIsReportedAndEveryEarlierOrderSurvives) {
    const tail_damage d = GetParam();
    start_small("262144");
    constexpr int orders = 12;
    std::vector<std::string> ids;
    {
        http_client c(gw_->port());
        ASSERT_EQ(put_sku(c, "t", sku_body(50)).status, 201);
        for (int i = 0; i < orders; ++i) {
            http_reply r =
                place(c, "k" + std::to_string(i), order_body("b" + std::to_string(i), {{"t", 2}}));
            ASSERT_EQ(r.status, 201) << r.body;
            ids.push_back(r.json()["order_id"]);
        }
    }
    if (d.crash) {
        gw_->kill9();
    } else {
        ASSERT_EQ(gw_->stop(), 0);
    }
    const fs::path seg = segments(data()).back();
    std::string bytes = read_bytes(seg);
    const auto frames = frames_of(bytes);
    ASSERT_EQ(frames.size(), static_cast<std::size_t>(orders + 1));  // the SKU, then the orders
    const frame_at last = frames.back();
    const std::size_t at = spot_offset(last, d.spot);
    if (d.truncate) {
        bytes.resize(at);
    } else {
        bytes[at] = static_cast<char>(bytes[at] ^ 0x5a);
    }
    write_bytes(seg, bytes);
    // The replay cuts from the record's start to the last non-zero byte left in the file.
    const std::size_t last_nonzero = bytes.find_last_not_of('\0');
    const std::uint64_t cut_want = last_nonzero + 1 - last.offset;
    // Recovery keeps every segment it read mapped, at the size it found it.
    std::uint64_t mapped_want = 0;
    for (const fs::path& s : segments(data())) mapped_want += fs::file_size(s);

    restart();
    const std::string ready = "ready (replayed " + std::to_string(orders) + " records, cut " +
                              std::to_string(cut_want) + " torn bytes)";
    EXPECT_NE(gw_->output().find(ready), std::string::npos) << gw_->output();
    http_client c(gw_->port());
    const std::string metrics = c.get("/metrics").body;
    EXPECT_EQ(metric(metrics, "flashgate_log_recovery_truncated_bytes"), cut_want);
    EXPECT_EQ(metric(metrics, "flashgate_log_recovery_records"), std::uint64_t{orders});
    EXPECT_EQ(metric(metrics, "flashgate_log_recovery_mapped_bytes"), mapped_want);
    EXPECT_NE(metrics.find("\nflashgate_log_recovery_seconds "), std::string::npos);
    for (int i = 0; i + 1 < orders; ++i) {
        http_reply r = c.get("/v1/orders/" + ids[static_cast<std::size_t>(i)]);
        ASSERT_EQ(r.status, 200) << ids[static_cast<std::size_t>(i)];
        EXPECT_EQ(r.json()["status"], "pending_payment");
        EXPECT_EQ(r.json()["items"][0]["qty"], 2);
    }
    EXPECT_EQ(c.get("/v1/orders/" + ids.back()).status, 404);  // its record was the one cut
    nlohmann::json t = sku(c, "t");
    EXPECT_EQ(t["held"], 2 * (orders - 1));
    EXPECT_EQ(t["available"], 50 - 2 * (orders - 1));
    // The cut is durable: the log goes on from there, and the next start cuts nothing.
    EXPECT_EQ(place(c, "after", order_body("z", {{"t", 1}})).status, 201);
    ASSERT_EQ(gw_->stop(), 0);
    restart();
    EXPECT_NE(gw_->output().find("ready (replayed " + std::to_string(orders + 1) +
                                 " records, cut 0 torn bytes)"),
              std::string::npos)
        << gw_->output();
}

INSTANTIATE_TEST_SUITE_P(
    Damage, torn_tail_test,
    ::testing::Values(
        tail_damage{"TruncatedInHeaderAfterStop", false, true, tail_spot::header_middle},
        tail_damage{"TruncatedMidPayloadAfterCrash", true, true, tail_spot::payload_middle},
        tail_damage{"LengthWordGarbledAfterStop", false, false, tail_spot::length_word},
        tail_damage{"PayloadByteGarbledAfterCrash", true, false, tail_spot::payload_middle},
        tail_damage{"LastByteGarbledAfterStop", false, false, tail_spot::last_payload_byte}),
    [](const auto& info) { return std::string(info.param.name); });

// Which part of a record in the first of two segments gets one flipped bit.
struct middle_damage {
    const char* name;
    std::size_t frame_index;  // which frame of the first segment
    std::size_t byte;         // offset inside the frame
};

class middle_corruption_test : public recovery_test,
                               public ::testing::WithParamInterface<middle_damage> {};

TEST_P(middle_corruption_test, StartRefusedNamingSegmentAndOffsetDataUntouched) {
    const middle_damage d = GetParam();
    start_small("65536");
    {
        http_client c(gw_->port());
        ASSERT_EQ(put_sku(c, "m", sku_body(100'000)).status, 201);
        // Until the log has rolled into a second segment (bounded).
        for (int i = 0; i < 5'000 && segments(data()).size() < 2; ++i) {
            ASSERT_EQ(place(c, "k" + std::to_string(i), order_body("b", {{"m", 1}})).status, 201);
        }
    }
    ASSERT_EQ(gw_->stop(), 0);
    const auto segs = segments(data());
    ASSERT_GE(segs.size(), 2u);
    std::string bytes = read_bytes(segs.front());
    const auto frames = frames_of(bytes);
    ASSERT_GT(frames.size(), d.frame_index + 1);
    const frame_at f = frames[d.frame_index];
    bytes[f.offset + d.byte] = static_cast<char>(bytes[f.offset + d.byte] ^ 0x10);
    write_bytes(segs.front(), bytes);
    const auto before = tree_bytes(data());

    const exit_result r = run_to_exit(data(), dir_.path() / "stderr.txt");
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find(segs.front().filename().string()), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("byte offset " + std::to_string(f.offset)), std::string::npos) << r.err;
    EXPECT_TRUE(tree_bytes(data()) == before) << "the refused start changed the data dir";
}

INSTANTIATE_TEST_SUITE_P(Damage, middle_corruption_test,
                         ::testing::Values(middle_damage{"PayloadBit", 5, frame_header_bytes + 3},
                                           middle_damage{"CrcBit", 7, 5},
                                           middle_damage{"LsnBit", 9, 9},
                                           middle_damage{"FirstRecordLengthBit", 0, 1}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace fg::testing
