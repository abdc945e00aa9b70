#pragma once

// Maps a request to its handler: route, authentication, readiness, media type, then the
// handler that decodes the body and calls into the request's shard.

#include <memory>
#include <string>

#include "gateway/codec/problem.hpp"
#include "gateway/session.hpp"

namespace fg::gateway {

struct worker;

// Runs on the session's worker thread; the response is sent through `s->send()`, possibly later.
void dispatch(std::shared_ptr<session> s, const http_request& req);

// The client's X-Request-Id when it is sane, else one made up from the worker and a counter.
std::string make_request_id(worker& w, const http_request& req);

http_response problem_response(const session& s, const problem& p, const problem_fields& f);

}  // namespace fg::gateway
