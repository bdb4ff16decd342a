#define BOOST_TEST_MODULE fwm_torture
#include <boost/test/unit_test.hpp>
