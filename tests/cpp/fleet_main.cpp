#define BOOST_TEST_MODULE fwm_fleet
// The module's file: it names the module. The framework is Debian's
// library, or in portable builds cpp/boost_test_framework.cpp.
#include <boost/test/unit_test.hpp>
