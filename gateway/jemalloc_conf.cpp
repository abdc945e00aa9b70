// jemalloc's start-up settings, read before main() when jemalloc is linked (FG_JEMALLOC).
//
// thp:always asks for transparent huge pages on jemalloc's own arenas (the system's THP mode is
// usually "madvise", so nothing else changes). The state of millions of orders is built fast
// and touched at random: with 2 MiB pages, recovery takes one page fault where it took 512, and
// each random access misses the TLB far less. On the 2-vCPU VM of bench/README.md this took the
// CPU cost of replaying an order record from 5.7 to 3.8 us (fg_bench_recovery, 300k orders).
extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's interface.
const char* malloc_conf = "thp:always,metadata_thp:always";
}
