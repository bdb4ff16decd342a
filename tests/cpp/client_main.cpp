#define BOOST_TEST_MODULE fwm_client
#include <boost/test/unit_test.hpp>
