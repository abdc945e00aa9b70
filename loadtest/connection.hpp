#pragma once

// One keep-alive HTTP/1.1 connection of a client thread: writes requests (pipelined up to the
// configured depth), frames answers with the minimal parser, records them in the thread's ledger,
// and on any failure marks what was in flight as unknown and reconnects.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "loadtest/response_parser.hpp"

namespace fg::loadtest {

class client_thread;

// Thread-local: lives on its client thread's io_context; never touched from elsewhere.
class connection {
 public:
    explicit connection(client_thread& owner);

    boost::system::error_code connect_blocking();
    // Starts reading and fills the pipeline.
    void start();
    // Sends as many new requests as the pipeline has room for.
    void pump();
    // Fails the connection if its oldest request has waited longer than the timeout.
    void check_timeout(std::int64_t now_ns);
    // At the end of the run: whatever is in flight stays unknown.
    void shut();

    bool in_idle_list = false;  // kept by the owner's idle list

 private:
    void write_pending();
    void read();
    void on_readable();
    void on_read();
    unsigned consume_responses();
    void record(const response_view& r);
    void fail();
    void reconnect();

    client_thread& owner_;
    boost::asio::ip::tcp::socket socket_;
    boost::asio::steady_timer backoff_;
    std::string out_;      // being written
    std::string pending_;  // queued behind the write in progress
    std::vector<char> in_;
    std::size_t in_size_ = 0;
    std::vector<std::uint32_t> flight_;  // ring of attempt indices, oldest at flight_head_
    std::size_t flight_head_ = 0;
    std::size_t flight_count_ = 0;
    std::uint64_t generation_ = 0;  // bumped on reset: handlers of the old socket are ignored
    bool connected_ = false;
    bool writing_ = false;
};

}  // namespace fg::loadtest
