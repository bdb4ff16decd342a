// Boost.Test itself, for portable builds: Debian ships the framework built
// for the host only, so it is compiled here once and linked into every test
// program of the tree (with main(), which calls the program's
// init_unit_test_suite, defined where BOOST_TEST_MODULE names the module).
#include <boost/test/included/unit_test.hpp>
