#pragma once

// One keep-alive HTTP/1.1 connection of a client thread: writes requests (pipelined up to the
// configured depth), frames answers with the minimal parser, records them in the thread's ledger,
// and on any failure marks what was in flight as unknown and reconnects.
//
// A raw non-blocking socket on its thread's epoll set, not an Asio socket: the client must cost
// less per request than the servers it measures (and than wrk), and Asio's reactor and scheduler
// were most of the user time left. The socket stays registered for EPOLLIN (level-triggered) for
// its whole life; EPOLLOUT is added only while a write is blocked, so a request costs one send and
// one recv, and no epoll_ctl.

#include <cstdint>
#include <string>
#include <vector>

#include "loadtest/response_parser.hpp"

namespace fg::loadtest {

class client_thread;

// Thread-local: lives on its client thread's epoll loop; never touched from elsewhere.
class connection {
 public:
    connection(client_thread& owner, std::uint32_t index);
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    // 0, or the errno of the failed connect.
    int connect_blocking();
    // Registers with the thread's epoll set and fills the pipeline.
    void start();
    // Sends as many new requests as the pipeline has room for; `now_ns` is their send time.
    void pump(std::int64_t now_ns);
    // An epoll event for this connection (the tag's generation already matched).
    void on_event(std::uint32_t events);
    // Called by the ticker: fails a request waiting longer than the timeout, retries a connect
    // after its back-off.
    void on_tick(std::int64_t now_ns);
    // At the end of the run: whatever is in flight stays unknown.
    void shut();

    // The epoll tag: generation in the high half, so events of a closed socket that are still
    // in the current batch cannot reach its successor.
    std::uint64_t tag() const { return (std::uint64_t{generation_} << 32) | index_; }
    static std::uint32_t tag_index(std::uint64_t tag) { return static_cast<std::uint32_t>(tag); }

    bool in_idle_list = false;  // kept by the owner's idle list

 private:
    enum class link : std::uint8_t { closed, connecting, open, backoff };

    void on_readable();
    void on_writable();
    void on_connected();
    void flush();
    void watch(std::uint32_t events);
    unsigned consume_responses(std::int64_t now_ns);
    void record(const response_view& r, std::int64_t now_ns);
    void fail();
    void reconnect();

    client_thread& owner_;
    std::uint32_t index_;
    std::uint32_t generation_ = 0;  // bumped on reset
    int fd_ = -1;
    link state_ = link::closed;
    bool want_write_ = false;       // EPOLLOUT is in the registered interest
    std::int64_t retry_at_ns_ = 0;  // back-off: when to try connecting again
    std::string out_;               // requests not yet fully sent, from out_sent_
    std::size_t out_sent_ = 0;
    std::vector<char> in_;
    std::size_t in_size_ = 0;
    std::vector<std::uint32_t> flight_;  // ring of attempt indices, oldest at flight_head_
    std::size_t flight_head_ = 0;
    std::size_t flight_count_ = 0;
};

}  // namespace fg::loadtest
