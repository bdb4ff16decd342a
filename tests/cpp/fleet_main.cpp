#define BOOST_TEST_MODULE fwm_fleet
// The module's file: with FWM_BOOST_TEST_INCLUDED (portable builds) it also
// compiles the framework, which Debian ships built for the host only.
#ifdef FWM_BOOST_TEST_INCLUDED
#include <boost/test/included/unit_test.hpp>
#else
#include <boost/test/unit_test.hpp>
#endif
