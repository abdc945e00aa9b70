// Beast and Asio are header-only by default; compiling them once here (with
// BOOST_BEAST_SEPARATE_COMPILATION / BOOST_ASIO_SEPARATE_COMPILATION set on every target that
// uses them) keeps their templates out of every other translation unit's build time.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
