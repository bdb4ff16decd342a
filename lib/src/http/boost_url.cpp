// Boost.URL compiled once, for the whole library, instead of linking a
// Boost library: the product must depend on nothing beyond glibc and OpenSSL.
#include <boost/url/src.hpp>
