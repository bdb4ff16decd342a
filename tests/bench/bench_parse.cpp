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
// download); the batches' size and rendering time, and the mapper's state
// between runs, are reported.
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

struct Mapped {
    std::size_t points = 0, batch_bytes = 0;
    double render_s = 0; // the batches alone
};

// One run's mapping into the compact submissions, then every batch.
Mapped map_and_render(fwm::mapping::Mapper& mapper, const fwm::parser::ParseResult& r, double now)
{
    Mapped m;
    fwm::collector::Submissions submissions;
    m.points = mapper.map(r, now, submissions).points;
    std::string batch;
    std::vector<double> values;
    const auto t0 = std::chrono::steady_clock::now();
    while (submissions.next_batch(batch, values))
        m.batch_bytes += batch.size();
    m.render_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return m;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s FILE [--min-seconds S] [--json]\n", argv[0]);
        return 2;
    }
    double min_seconds = 2.0;
    bool json = false, map = false;
    for (int i = 2; i < argc; ++i) {
        if (std::strcmp(argv[i], "--map") == 0)
            map = true;
        if (std::strcmp(argv[i], "--min-seconds") == 0 && i + 1 < argc)
            min_seconds = std::stod(argv[++i]);
        else if (std::strcmp(argv[i], "--json") == 0)
            json = true;
    }
    std::ifstream in(argv[1], std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

    // Memory first, on a process that has not parsed anything yet.
    const bool reset = reset_peak_rss();
    const long baseline_kb = status_kb("VmRSS:");
    std::size_t samples = 0, invalid = 0;
    {
        const auto r = fwm::parser::parse(text);
        samples = r.samples.size();
        invalid = r.invalid_lines;
    }
    const long peak_kb = status_kb("VmHWM:");

    std::vector<double> runs, renders;
    fwm::mapping::Mapper mapper{fwm::mapping::MappingOptions{}};
    Mapped mapped;
    double now = 1000;
    const auto start = std::chrono::steady_clock::now();
    while (runs.size() < 3 || std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < min_seconds) {
        const auto t0 = std::chrono::steady_clock::now();
        const auto r = fwm::parser::parse(text);
        if (map)
            mapped = map_and_render(mapper, r, now += 60);
        const auto t1 = std::chrono::steady_clock::now();
        if (r.samples.size() != samples)
            return 1;
        runs.push_back(std::chrono::duration<double>(t1 - t0).count());
        renders.push_back(mapped.render_s);
    }
    std::sort(runs.begin(), runs.end());
    std::sort(renders.begin(), renders.end());
    const double best = runs.front();
    const double median = runs[runs.size() / 2];
    const double mb = static_cast<double>(text.size()) / 1e6;
    const long over_kb = reset ? peak_kb - baseline_kb : -1;
    if (map && !json) {
        std::printf("mapping            %zu submissions per run; state between runs %zu entries, %.2f MB\n",
                    mapped.points, mapper.state_entries(), static_cast<double>(mapper.state_bytes()) / 1e6);
        std::printf("batches            %zu bytes of JSON per run, rendered in %.3f ms median\n", mapped.batch_bytes,
                    renders[renders.size() / 2] * 1e3);
    }
    if (json) {
        std::printf("{\"bytes\":%zu,\"samples\":%zu,\"invalid_lines\":%zu,\"runs\":%zu,\"best_s\":%.9f,"
                    "\"median_s\":%.9f,\"mb_per_s\":%.1f,\"samples_per_s\":%.0f,\"peak_over_baseline_kb\":%ld}\n",
                    text.size(), samples, invalid, runs.size(), best, median, mb / median,
                    static_cast<double>(samples) / median, over_kb);
    } else {
        std::printf("payload            %.2f MB, %zu samples, %zu invalid lines\n", mb, samples, invalid);
        std::printf("runs               %zu (best %.3f ms, median %.3f ms)\n", runs.size(), best * 1e3, median * 1e3);
        std::printf("throughput         %.0f MB/s median, %.0f MB/s best\n", mb / median, mb / best);
        std::printf("samples/s          %.2f M median (%.0f ns per sample)\n", static_cast<double>(samples) / median / 1e6,
                    median / static_cast<double>(std::max<std::size_t>(samples, 1)) * 1e9);
        if (over_kb >= 0)
            std::printf("peak memory        %.1f MB over baseline (%.2fx the payload)\n", static_cast<double>(over_kb) / 1024.0,
                        static_cast<double>(over_kb) * 1024.0 / static_cast<double>(std::max<std::size_t>(text.size(), 1)));
    }
    return 0;
}
