// Decimal text to double: the parser's reader against glibc's strtod_l, on
// the same values in one run (strtod_l is the yardstick that lets two builds,
// say before and after a change, be compared). Go writes floats in their
// shortest form, so 16 and 17 significant digits are common
// ("0.30000000000000004").
//
//   build-bench/tests/bench_decimal [ROUNDS]
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <locale.h>
#include <random>
#include <stdlib.h>
#include <string>
#include <vector>

#include "parser/decimal.hpp"

namespace {

std::vector<std::string> values(bool long_ones)
{
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> any(0, 1);
    std::vector<std::string> out;
    char buf[64];
    for (int i = 0; i < 4096; ++i) {
        const double v = any(rng) * std::pow(10.0, static_cast<int>(rng() % 40) - 20);
        if (long_ones)
            std::snprintf(buf, sizeof buf, "%.17g", v); // off the fast path: 17 digits
        else
            std::snprintf(buf, sizeof buf, "%.6g", v);
        out.emplace_back(buf);
    }
    return out;
}

template <class F> double run(const std::vector<std::string>& in, int rounds, F read)
{
    double sum = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < rounds; ++r)
        for (const auto& s : in)
            sum += read(s);
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    if (sum == 42.4242) // keeps the loop
        std::puts("");
    return ns / (static_cast<double>(rounds) * static_cast<double>(in.size()));
}

double strtod_c(const std::string& s)
{
    static const locale_t c = ::newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
    std::string copy(s); // what the old reader did: a terminated copy
    return ::strtod_l(copy.c_str(), nullptr, c);
}

double ours(const std::string& s)
{
    double v = 0;
    fwm::parser::to_double(s, false, v);
    return v;
}

} // namespace

int main(int argc, char** argv)
{
    const int rounds = argc > 1 ? std::atoi(argv[1]) : 500;
    for (const bool long_ones : {false, true}) {
        const auto in = values(long_ones);
        for (const auto& s : in) // both readers must agree before they are timed
            if (ours(s) != strtod_c(s)) {
                std::fprintf(stderr, "disagree on %s\n", s.c_str());
                return 1;
            }
        const double a = run(in, rounds, strtod_c), b = run(in, rounds, ours);
        std::printf("%-18s strtod_l %6.1f ns/value   to_double %6.1f ns/value (%.2fx)\n",
                    long_ones ? "17 digits (%.17g)" : "6 digits (%.6g)", a, b, a / b);
    }
}
