#define BOOST_TEST_MODULE fwm_parser
#include <boost/test/unit_test.hpp>
