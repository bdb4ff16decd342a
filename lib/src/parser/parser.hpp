// Prometheus text 0.0.4 / OpenMetrics 1.0 exposition parser.
//
// A pure function of a byte buffer: no I/O, no global state. Strings in the
// result point into the input buffer wherever nothing had to be unescaped, so
// the input must outlive the result; unescaped copies live in the result's
// arena.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "parser/arena.hpp"
#include "util/page_allocator.hpp"

namespace fwm::parser {

enum class MetricType : std::uint8_t {
    untyped,
    counter,
    gauge,
    histogram,
    summary,
    unknown,
    gaugehistogram,
    stateset,
    info,
};

std::string_view to_string(MetricType type) noexcept;

enum class Format : std::uint8_t {
    automatic,   // OpenMetrics when the body ends with "# EOF", else Prometheus text
    prometheus,  // timestamps are integer milliseconds
    openmetrics, // timestamps are float seconds
};

std::string_view to_string(Format format) noexcept;

inline constexpr std::uint32_t kNoFamily = UINT32_MAX;
inline constexpr std::uint32_t kMaxNameBytes = 1024;
inline constexpr std::uint32_t kMaxLabelValueBytes = 4096;
inline constexpr std::uint32_t kMaxLabels = 128;
inline constexpr std::uint32_t kNoExemplar = UINT32_MAX;

struct Label {
    std::string_view name;
    std::string_view value;
};

struct Sample {
    std::string_view name;
    std::uint32_t labels_begin = 0; // index into ParseResult::labels
    std::uint32_t labels_count = 0;
    double value = 0.0;
    double timestamp = 0.0; // seconds since the epoch, when has_timestamp
    std::uint32_t line = 0; // 1-based line number in the payload
    std::uint32_t family = kNoFamily;
    std::uint32_t exemplar = kNoExemplar;
    bool has_timestamp = false;
    bool labels_sorted = true; // label names strictly increasing, as exporters write them
};

struct Exemplar {
    std::uint32_t sample = 0;
    std::uint32_t labels_begin = 0;
    std::uint32_t labels_count = 0;
    double value = 0.0;
    double timestamp = 0.0;
    bool has_timestamp = false;
};

struct Family {
    std::string_view name;
    std::string_view help;
    std::string_view unit;
    MetricType type = MetricType::untyped;
    std::uint32_t type_line = 0; // line of the TYPE declaration, 0 if none
};

struct LineError {
    std::uint32_t line = 0;
    std::string reason;
};

struct ParseOptions {
    Format format = Format::automatic;
    // How many invalid lines keep their line number and reason; all are counted.
    std::uint32_t max_errors = 8;
    // A series (name + label set, in any label order) that repeats is an
    // invalid line: the first occurrence is kept, as Prometheus does.
    bool reject_duplicate_series = true;
    // Bounds on one series: a longer name or value, or more labels, makes
    // the line invalid. Payloads are hostile input, and these strings become
    // tags, table keys and regex subjects downstream.
    std::uint32_t max_name_bytes = kMaxNameBytes;               // metric and label names
    std::uint32_t max_label_value_bytes = kMaxLabelValueBytes;
    std::uint32_t max_labels = kMaxLabels;                      // per series
};

struct ParseResult {
    // Payload-sized arrays: their pages go back to the system when freed.
    std::vector<Sample, util::PageAllocator<Sample>> samples;
    std::vector<Label, util::PageAllocator<Label>> labels; // sample and exemplar label sets, back to back
    std::vector<Exemplar> exemplars;
    std::vector<Family> families; // in order of first HELP/TYPE/UNIT line
    std::vector<LineError> errors; // the first ParseOptions::max_errors
    std::size_t invalid_lines = 0;
    std::size_t lines = 0;
    std::size_t sample_count = 0;   // samples kept, over every chunk (parse_chunked)
    std::size_t exemplar_count = 0;
    Format format = Format::prometheus; // the format actually used
    bool saw_eof = false;
    Arena arena;

    const Label* labels_of(const Sample& s) const noexcept { return labels.data() + s.labels_begin; }
    // The value of label `name` on sample `s`, or nullptr.
    const std::string_view* find_label(const Sample& s, std::string_view name) const noexcept;
};

ParseResult parse(std::string_view text, const ParseOptions& options = {});

// The same parse, handed over `chunk_samples` samples at a time, so that a
// consumer (the mapper) never needs the whole payload's arrays: each call
// sees a ParseResult whose samples, labels and exemplars are that chunk's
// (repeats of earlier series already dropped, as parse() drops them; a
// payload of 4 GiB or more is checked by series hash alone), whose families, arena and
// errors so far are the whole parse's, and whose strings stay valid until
// the returned result is destroyed. The returned result holds everything
// but the samples, labels and exemplars.
using ChunkConsumer = std::function<void(const ParseResult& chunk)>;
ParseResult parse_chunked(std::string_view text, const ParseOptions& options, std::size_t chunk_samples,
                          const ChunkConsumer& consume);

} // namespace fwm::parser
