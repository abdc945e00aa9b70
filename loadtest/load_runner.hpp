#pragma once

// Runs the load: one client_thread per --threads on its own OS thread, all starting at one
// instant, and merges their ledgers once they have all finished.

#include <string>

#include "loadtest/client_thread.hpp"
#include "loadtest/ledger.hpp"

namespace fg::loadtest {

struct load_output {
    ledger book;
    double duration_s = 0;  // start to the last answer (or the end, if none came)
    double cpu_s = 0;       // process user + system time while the load ran
    std::string error;      // non-empty: the run could not start
};

load_output run_load(const client_config& base, unsigned threads);

}  // namespace fg::loadtest
