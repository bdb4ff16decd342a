// Parse throughput and peak memory for one payload file.
//
//   bench_parse FILE [--min-seconds S] [--json] [--map]
//
// Throughput: the parse is repeated until S seconds (default 2) have passed
// and at least 3 runs were made; the best and median runs are reported.
// Memory: the process's peak RSS (VmHWM) is reset after the file is loaded,
// then one parse runs; "peak_over_baseline" is what parsing added on top of
// the process with the payload already in memory.
// --map: each run also maps the samples to Datadog submissions and renders
// every batch the C ABI hands out (the whole work of a check run after the
// download); the batches' size, the CPU time of the mapping and of the
// rendering, and the mapper's state between runs are reported.
// CPU times are this thread's, medians over the runs: on a shared machine,
// what others run inflates the wall-clock times.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "collector/submissions.hpp"
#include "mapping/mapper.hpp"
#include "parser/parser.hpp"

namespace {

long status_kb(const char* field)
{
    std::ifstream in("/proc/self/status");
    std::string line;
    const std::size_t n = std::strlen(field);
    while (std::getline(in, line))
        if (line.compare(0, n, field) == 0)
            return std::stol(line.substr(n + 1));
    return -1;
}

bool reset_peak_rss()
{
    std::ofstream out("/proc/self/clear_refs");
    out << "5";
    return static_cast<bool>(out);
}

double cpu_seconds()
{
    timespec t{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

struct Mapped {
    std::size_t points = 0, batch_bytes = 0;
    double map_cpu_s = 0, render_cpu_s = 0; // into the submissions; then the batches
};

// One run's mapping into the compact submissions, then every batch.
Mapped map_and_render(fwm::mapping::Mapper& mapper, const fwm::parser::ParseResult& r, double now)
{
    Mapped m;
    const double c0 = cpu_seconds();
    fwm::collector::Submissions submissions;
    m.points = mapper.map(r, now, submissions).points;
    std::string batch;
    std::vector<double> values;
    const double c1 = cpu_seconds();
    while (submissions.next_batch(batch, values))
        m.batch_bytes += batch.size();
    m.map_cpu_s = c1 - c0;
    m.render_cpu_s = cpu_seconds() - c1;
    return m;
}

struct Args {
    double min_seconds = 2.0;
    bool json = false, map = false;
};

Args parse_args(int argc, char** argv)
{
    Args a;
    for (int i = 2; i < argc; ++i) {
        if (std::strcmp(argv[i], "--map") == 0)
            a.map = true;
        if (std::strcmp(argv[i], "--min-seconds") == 0 && i + 1 < argc)
            a.min_seconds = std::stod(argv[++i]);
        else if (std::strcmp(argv[i], "--json") == 0)
            a.json = true;
    }
    return a;
}

// Each run's times, sorted once all runs are done.
struct Times {
    std::vector<double> wall, cpu, map, render, both;

    void sort()
    {
        for (auto* v : {&wall, &cpu, &map, &render, &both})
            std::sort(v->begin(), v->end());
    }
    static double median(const std::vector<double>& v) { return v[v.size() / 2]; }
};

// Parses (and maps) `text` until min_seconds have passed and 3 runs were
// made; false when a run does not find the samples the first did.
bool time_runs(const std::string& text, std::size_t samples, bool map, double min_seconds,
               fwm::mapping::Mapper& mapper, Times& t, Mapped& mapped)
{
    double now = 1000;
    const auto start = std::chrono::steady_clock::now();
    while (t.wall.size() < 3 ||
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < min_seconds) {
        const auto t0 = std::chrono::steady_clock::now();
        const double c0 = cpu_seconds();
        const auto r = fwm::parser::parse(text);
        if (map)
            mapped = map_and_render(mapper, r, now += 60);
        t.cpu.push_back(cpu_seconds() - c0);
        t.wall.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        if (r.samples.size() != samples)
            return false;
        t.map.push_back(mapped.map_cpu_s);
        t.render.push_back(mapped.render_cpu_s);
        t.both.push_back(mapped.map_cpu_s + mapped.render_cpu_s);
    }
    t.sort();
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s FILE [--min-seconds S] [--json]\n", argv[0]);
        return 2;
    }
    const Args a = parse_args(argc, argv);
    const bool json = a.json, map = a.map;
    std::ifstream in(argv[1], std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

    // Memory first, on a process that has not parsed anything yet.
    const bool reset = reset_peak_rss();
    const long baseline_kb = status_kb("VmRSS:");
    const auto [samples, invalid] = [&] {
        const auto r = fwm::parser::parse(text);
        return std::pair(r.samples.size(), r.invalid_lines);
    }();
    const long peak_kb = status_kb("VmHWM:");

    fwm::mapping::Mapper mapper{fwm::mapping::MappingOptions{}};
    Mapped mapped;
    Times t;
    if (!time_runs(text, samples, map, a.min_seconds, mapper, t, mapped))
        return 1;
    const std::vector<double>& runs = t.wall;
    const double best = runs.front(), median = Times::median(runs);
    const double mb = static_cast<double>(text.size()) / 1e6;
    const long over_kb = reset ? peak_kb - baseline_kb : -1;
    if (map && !json) {
        std::printf("mapping            %zu submissions per run; state between runs %zu entries, %.2f MB\n",
                    mapped.points, mapper.state_entries(), static_cast<double>(mapper.state_bytes()) / 1e6);
        std::printf("batches            %zu bytes of JSON per run; CPU median %.3f ms mapping, %.3f ms rendering, "
                    "%.3f ms both\n",
                    mapped.batch_bytes, Times::median(t.map) * 1e3, Times::median(t.render) * 1e3,
                    Times::median(t.both) * 1e3);
    }
    if (json) {
        std::printf("{\"bytes\":%zu,\"samples\":%zu,\"invalid_lines\":%zu,\"runs\":%zu,\"best_s\":%.9f,"
                    "\"median_s\":%.9f,\"mb_per_s\":%.1f,\"samples_per_s\":%.0f,\"peak_over_baseline_kb\":%ld}\n",
                    text.size(), samples, invalid, runs.size(), best, median, mb / median,
                    static_cast<double>(samples) / median, over_kb);
    } else {
        std::printf("payload            %.2f MB, %zu samples, %zu invalid lines\n", mb, samples, invalid);
        std::printf("runs               %zu (best %.3f ms, median %.3f ms; CPU median %.3f ms)\n", runs.size(),
                    best * 1e3, median * 1e3, Times::median(t.cpu) * 1e3);
        std::printf("throughput         %.0f MB/s median, %.0f MB/s best\n", mb / median, mb / best);
        std::printf("samples/s          %.2f M median (%.0f ns per sample)\n", static_cast<double>(samples) / median / 1e6,
                    median / static_cast<double>(std::max<std::size_t>(samples, 1)) * 1e9);
        if (over_kb >= 0)
            std::printf("peak memory        %.1f MB over baseline (%.2fx the payload)\n", static_cast<double>(over_kb) / 1024.0,
                        static_cast<double>(over_kb) * 1024.0 / static_cast<double>(std::max<std::size_t>(text.size(), 1)));
    }
    return 0;
}
