#include "gateway/server.hpp"

#include <boost/asio/detail/socket_option.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/socket_base.hpp>

#include "gateway/session.hpp"

namespace fg::gateway {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

worker::worker(server& srv, std::size_t i) : owner(srv), index(i), shard(srv.engine().at(i)) {}

server::server(const config& cfg, matching::engine& eng) : cfg_(cfg), engine_(eng) {
    for (std::size_t i = 0; i < engine_.shard_count(); ++i) {
        workers_.push_back(std::make_unique<worker>(*this, i));
        worker& w = *workers_.back();
        w.connections_max = std::max<std::size_t>(1, cfg_.connections_max / engine_.shard_count());
        w.shard.mailbox().set_wake([&w] { w.bell.ring(); });
    }
}

server::~server() { stop(); }

std::uint16_t server::listen() {
    tcp::endpoint ep(asio::ip::make_address(cfg_.host), cfg_.port);
    for (auto& w : workers_) {
        tcp::acceptor& a = w->acceptor.emplace(w->ioc);
        a.open(ep.protocol());
        a.set_option(tcp::acceptor::reuse_address(true));
        a.set_option(reuse_port(true));
        a.bind(ep);
        a.listen(asio::socket_base::max_listen_connections);
        ep.port(a.local_endpoint().port());  // port 0: the others join the port the first got
    }
    return ep.port();
}

void server::accept(worker& w) {
    w.acceptor->async_accept(w.ioc, [this, &w](boost::system::error_code ec, client_socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) {
            if (w.connections >= w.connections_max) {
                // Over the cap (bounds table): refuse by closing at once; the client retries.
                socket.close(ec);
            } else {
                socket.set_option(tcp::no_delay(true), ec);
                std::make_shared<session>(w, std::move(socket))->start();
            }
        }
        accept(w);
    });
}

// Once a second: close every connection whose current phase has outlived its deadline.
void server::sweep(worker& w) {
    w.sweep.expires_after(std::chrono::seconds(1));
    w.sweep.async_wait([this, &w](boost::system::error_code ec) {
        if (ec) return;
        const auto now = std::chrono::steady_clock::now();
        for (session* s : w.sessions) {
            if (s->deadline() < now) s->expire();
        }
        sweep(w);
    });
}

// Every 100 ms once ready (recovery writes the shards directly until then): expire lapsed
// holds, forget old Idempotency-Keys, trim the risk rules' state.
void server::tick(worker& w) {
    w.ticker.expires_after(std::chrono::milliseconds(100));
    w.ticker.async_wait([this, &w](boost::system::error_code ec) {
        if (ec) return;
        if (ready()) w.shard.tick();
        tick(w);
    });
}

void server::start() {
    for (auto& w : workers_) {
        worker& wr = *w;
        wr.bell.start([&wr] {
            // Bounded work per wake-up keeps sockets served under a flood of tasks; what is
            // left rings the bell again.
            constexpr std::size_t tasks_per_wake = 4096;
            if (wr.shard.poll(tasks_per_wake) >= tasks_per_wake) wr.bell.ring();
        });
        accept(wr);
        sweep(wr);
        tick(wr);
        wr.thread = std::thread([&wr] { wr.ioc.run(); });
    }
}

void server::stop() {
    for (auto& w : workers_) w->ioc.stop();
    for (auto& w : workers_) {
        if (w->thread.joinable()) w->thread.join();
    }
}

void server::set_ready(storage::commit_log* log, const recovery_report& recovery) {
    log_ = log;
    recovery_ = recovery;
    ready_.store(true, std::memory_order_release);
    ring_all();
}

void server::ring_all() {
    for (auto& w : workers_) w->bell.ring();
}

}  // namespace fg::gateway
