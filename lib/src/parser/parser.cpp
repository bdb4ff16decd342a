// One job, in one file: the exposition grammar (lines, comments, samples,
// labels, exemplars, timestamps) and its error reporting, as one class whose
// hot loop keeps its state together. Over 500 lines because the two formats'
// rules are many; the lexing, numbers and series sets live beside it.
#include "parser/parser.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <unordered_map>

#include <boost/unordered/unordered_flat_map.hpp>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "parser/lex.hpp"
#include "parser/series_set.hpp"
#include "util/stream_hash.hpp"

namespace fwm::parser {

std::string_view to_string(MetricType type) noexcept
{
    switch (type) {
    case MetricType::untyped: return "untyped";
    case MetricType::counter: return "counter";
    case MetricType::gauge: return "gauge";
    case MetricType::histogram: return "histogram";
    case MetricType::summary: return "summary";
    case MetricType::unknown: return "unknown";
    case MetricType::gaugehistogram: return "gaugehistogram";
    case MetricType::stateset: return "stateset";
    case MetricType::info: return "info";
    }
    return "untyped";
}

std::string_view to_string(Format format) noexcept
{
    switch (format) {
    case Format::automatic: return "auto";
    case Format::prometheus: return "prometheus";
    case Format::openmetrics: return "openmetrics";
    }
    return "auto";
}

const std::string_view* ParseResult::find_label(const Sample& s, std::string_view name) const noexcept
{
    const Label* l = labels_of(s);
    for (std::uint32_t i = 0; i < s.labels_count; ++i)
        if (l[i].name == name)
            return &l[i].value;
    return nullptr;
}

namespace {

using lex::is;
using lex::skip_spaces;

bool parse_type(std::string_view word, MetricType& out) noexcept
{
    static constexpr std::pair<std::string_view, MetricType> kTypes[] = {
        {"counter", MetricType::counter},     {"gauge", MetricType::gauge},
        {"histogram", MetricType::histogram}, {"summary", MetricType::summary},
        {"untyped", MetricType::untyped},     {"unknown", MetricType::unknown},
        {"gaugehistogram", MetricType::gaugehistogram},
        {"stateset", MetricType::stateset},   {"info", MetricType::info},
    };
    for (const auto& [name, type] : kTypes) {
        if (word == name) {
            out = type;
            return true;
        }
    }
    return false;
}

// Sample-name suffixes that belong to a family of the given type.
bool suffix_allowed(MetricType type, std::string_view suffix) noexcept
{
    switch (type) {
    case MetricType::histogram:
        return suffix == "_bucket" || suffix == "_count" || suffix == "_sum" || suffix == "_created";
    case MetricType::gaugehistogram:
        return suffix == "_bucket" || suffix == "_gcount" || suffix == "_gsum";
    case MetricType::summary:
        return suffix == "_count" || suffix == "_sum" || suffix == "_created";
    case MetricType::counter:
        return suffix == "_total" || suffix == "_created";
    case MetricType::info:
        return suffix == "_info";
    default:
        return false;
    }
}

bool ends_with_eof(std::string_view text) noexcept
{
    std::size_t n = text.size();
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' ' || text[n - 1] == '\t'))
        --n;
    if (n < 5 || text.substr(n - 5, 5) != "# EOF")
        return false;
    return n == 5 || text[n - 6] == '\n';
}

class Parser {
public:
    Parser(std::string_view text, const ParseOptions& options)
        : begin_(text.data()), end_(text.data() + text.size()), options_(options)
    {
        r_.format = options.format;
        if (r_.format == Format::automatic)
            r_.format = ends_with_eof(text) ? Format::openmetrics : Format::prometheus;
        openmetrics_ = r_.format == Format::openmetrics;
    }

    // Chunked mode (parse_chunked): hand the samples over in chunks.
    void hand_over_in_chunks(std::size_t chunk_samples, const ChunkConsumer* consume)
    {
        chunk_samples_ = std::max<std::size_t>(chunk_samples, 1);
        consume_ = consume;
    }

    ParseResult run()
    {
        const char* p = begin_;
        while (p < end_) {
            const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end_ - p)));
            const char* next = nl ? nl + 1 : end_;
            const char* le = nl ? nl : end_;
            if (le > p && le[-1] == '\r')
                --le;
            ++line_;
            line_begin_ = p;
            if (!parse_line(p, le))
                record_error();
            p = next;
            if (r_.saw_eof) {
                check_after_eof(p);
                break;
            }
            if (consume_) {
                if (r_.samples.size() >= chunk_samples_)
                    hand_over_chunk();
            } else if (r_.samples.size() == kEstimateAfter && !estimated_) {
                reserve_estimates(p);
            }
        }
        r_.lines = line_;
        if (consume_) {
            hand_over_chunk();
            return std::move(r_);
        }
        if (options_.reject_duplicate_series)
            remove_duplicate_series();
        r_.sample_count = r_.samples.size();
        r_.exemplar_count = r_.exemplars.size();
        return std::move(r_);
    }

private:
    static constexpr std::size_t kEstimateAfter = 1024;

    // ---- lines -----------------------------------------------------------

    bool parse_line(const char* p, const char* end)
    {
        p = skip_spaces(p, end);
        if (p == end)
            return true;
        if (*p == '#')
            return parse_comment(p + 1, end);
        return parse_sample(p, end);
    }

    bool parse_comment(const char* p, const char* end)
    {
        p = skip_spaces(p, end);
        const char* kw_end = lex::token_end(p, end);
        const std::string_view kw(p, static_cast<std::size_t>(kw_end - p));
        enum { kHelp, kType, kUnit } which;
        if (kw == "HELP") {
            which = kHelp;
        } else if (kw == "TYPE") {
            which = kType;
        } else if (kw == "UNIT") {
            which = kUnit;
        } else {
            // "# EOF" ends an OpenMetrics body; in Prometheus text it is a comment.
            if (openmetrics_ && kw == "EOF" && skip_spaces(kw_end, end) == end)
                r_.saw_eof = true;
            return true;
        }
        p = skip_spaces(kw_end, end);
        std::string_view name;
        if (!read_comment_name(p, end, name))
            return false;
        if (which == kHelp) {
            Family& f = family(name);
            std::uint32_t& help_line = help_lines_[static_cast<std::size_t>(&f - r_.families.data())];
            if (help_line != 0)
                return fail_dup("HELP", name, help_line);
            help_line = line_;
            f.help = unescape_help({p, static_cast<std::size_t>(end - p)});
            return true;
        }
        const char* word_end = lex::token_end(p, end);
        const std::string_view word(p, static_cast<std::size_t>(word_end - p));
        if (skip_spaces(word_end, end) != end)
            return fail(which == kType ? "unexpected text after TYPE" : "unexpected text after UNIT", word_end, end);
        if (which == kType) {
            MetricType type;
            if (!parse_type(word, type))
                return fail(word.empty() ? "missing metric type" : "unknown metric type", p, end);
            Family& f = family(name);
            if (f.type_line != 0)
                return fail_dup("TYPE", name, f.type_line);
            f.type = type;
            f.type_line = line_;
            return true;
        }
        Family& f = family(name);
        f.unit = word;
        return true;
    }

    // The metric name of a HELP, TYPE or UNIT line (plain or quoted), and
    // the spaces after it; `p` is left on what follows.
    bool read_comment_name(const char*& p, const char* end, std::string_view& name)
    {
        if (p < end && *p == '"') {
            if (!read_quoted(p, end, name))
                return false;
        } else if (p < end && is(*p, lex::kNameStart)) {
            const char* q = lex::skip_class(p + 1, end, lex::kName);
            name = {p, static_cast<std::size_t>(q - p)};
            p = q;
        } else {
            return fail(p == end ? "missing metric name" : "invalid metric name", p, end);
        }
        if (name.size() > options_.max_name_bytes)
            return fail_long("metric name", options_.max_name_bytes);
        if (p < end && !is(*p, lex::kSpace))
            return fail("invalid metric name", p, end);
        p = skip_spaces(p, end);
        return true;
    }

    bool parse_sample(const char* p, const char* end)
    {
        const std::size_t labels_mark = r_.labels.size();
        Sample s;
        s.line = line_;
        s.labels_begin = static_cast<std::uint32_t>(labels_mark);
        std::string_view name;
        if (is(*p, lex::kNameStart)) {
            const char* q = lex::skip_class(p + 1, end, lex::kName);
            name = {p, static_cast<std::size_t>(q - p)};
            p = q;
            if (p < end && *p != '{') {
                if (!is(*p, lex::kSpace))
                    return fail("invalid character in metric name", p, end);
                p = skip_spaces(p, end);
            }
        } else if (*p != '{') {
            return fail("invalid metric name", p, end);
        }
        if (p < end && *p == '{') {
            if (!parse_labels(p, end, name.empty() ? &name : nullptr, s.labels_count, s.labels_sorted))
                return rollback(labels_mark);
            p = skip_spaces(p, end);
        }
        if (name.empty())
            return rollback(labels_mark, fail("missing metric name", p, end));
        if (name.size() > options_.max_name_bytes)
            return rollback(labels_mark, fail_long("metric name", options_.max_name_bytes));
        s.name = name;
        if (p == end)
            return rollback(labels_mark, fail("missing value", p, end));

        const char* value_end = lex::token_end(p, end);
        if (!lex::parse_value({p, static_cast<std::size_t>(value_end - p)}, s.value))
            return rollback(labels_mark, fail("invalid value", p, end));
        p = skip_spaces(value_end, end);

        if (p < end && *p != '#') {
            const char* ts_end = lex::token_end(p, end);
            if (!read_timestamp({p, static_cast<std::size_t>(ts_end - p)}, s.timestamp))
                return rollback(labels_mark, fail("invalid timestamp", p, end));
            s.has_timestamp = true;
            p = skip_spaces(ts_end, end);
        }
        Exemplar ex;
        bool has_exemplar = false;
        if (p < end && *p == '#') {
            if (!parse_exemplar(p + 1, end, ex))
                return rollback(labels_mark);
            has_exemplar = true;
            p = end;
        }
        if (p != end)
            return rollback(labels_mark, fail("unexpected text after sample", p, end));
        add_sample(s, has_exemplar ? &ex : nullptr);
        return true;
    }

    // Keeps a sample read whole, its exemplar, and its series hash.
    void add_sample(Sample& s, Exemplar* ex)
    {
        const bool has_exemplar = ex != nullptr;
        const auto index = static_cast<std::uint32_t>(r_.samples.size());
        s.family = resolve_family(s.name);
        if (has_exemplar) {
            ex->sample = index;
            s.exemplar = static_cast<std::uint32_t>(r_.exemplars.size());
        }
        r_.samples.push_back(s);
        if (has_exemplar)
            r_.exemplars.push_back(*ex);
        if (options_.reject_duplicate_series) { // while the line is still in cache
            hashes_.push_back(series_hash(r_, r_.samples.back()));
            if (consume_)
                starts_.push_back(static_cast<std::size_t>(line_begin_ - begin_));
        }
    }

    // Drops every repeat of an earlier series, in one pass after parsing.
    void remove_duplicate_series()
    {
        const std::size_t n = r_.samples.size();
        SeriesSet set(r_, hashes_.data(), n);
        std::vector<std::pair<std::uint32_t, std::uint32_t>> repeats; // (sample, line of the first)
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint32_t first = set.insert(static_cast<std::uint32_t>(i));
            if (first != SeriesSet::kNone)
                repeats.emplace_back(static_cast<std::uint32_t>(i), r_.samples[first].line);
        }
        drop_repeats(repeats);
    }

    // Chunked mode: the chunk's repeats of any earlier series go, then the
    // consumer gets the chunk, which is then cleared. An earlier chunk's
    // labels are gone, so a series is remembered by its hash and where its
    // line starts: when hashes match, that line is parsed again and compared.
    void hand_over_chunk()
    {
        if (options_.reject_duplicate_series) {
            std::vector<std::pair<std::uint32_t, std::uint32_t>> repeats; // (sample, line of the first)
            const bool verifiable = end_ - begin_ < static_cast<std::ptrdiff_t>(UINT32_MAX);
            for (std::size_t i = 0; i < r_.samples.size(); ++i) {
                const Seen here{r_.samples[i].line, verifiable ? static_cast<std::uint32_t>(starts_[i]) : 0};
                for (std::uint64_t key = hashes_[i];; key += 0x9e3779b97f4a7c15ULL) { // a collision takes the next key
                    const auto [it, inserted] = seen_.try_emplace(key, here);
                    if (inserted)
                        break;
                    if (!verifiable || same_as_line(it->second.start, r_.samples[i])) {
                        repeats.emplace_back(static_cast<std::uint32_t>(i), it->second.line);
                        break;
                    }
                }
            }
            drop_repeats(repeats);
        }
        r_.sample_count += r_.samples.size();
        r_.exemplar_count += r_.exemplars.size();
        if (!r_.samples.empty())
            (*consume_)(r_);
        r_.samples.clear();
        r_.labels.clear();
        r_.exemplars.clear();
        hashes_.clear();
        starts_.clear();
    }

    // Whether the sample on the line starting at `start` is the series of `s`.
    bool same_as_line(std::uint32_t start, const Sample& s) const
    {
        const char* p = begin_ + start;
        const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end_ - p)));
        ParseOptions one = options_;
        one.format = r_.format;
        one.reject_duplicate_series = false;
        one.max_errors = 0;
        const ParseResult earlier = parse(std::string_view(p, static_cast<std::size_t>((nl ? nl : end_) - p)), one);
        return earlier.samples.size() == 1 && same_series(earlier, earlier.samples[0], r_, s);
    }

    void drop_repeats(const std::vector<std::pair<std::uint32_t, std::uint32_t>>& repeats)
    {
        if (repeats.empty())
            return;
        const std::size_t n = r_.samples.size();
        std::vector<LineError> found;
        for (const auto& [i, first_line] : repeats)
            found.push_back(LineError{r_.samples[i].line,
                                      "duplicate series (first on line " + std::to_string(first_line) + ")"});
        // Compact samples and exemplars in place, keeping payload order.
        std::size_t out = 0, next_repeat = 0, ex_out = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (next_repeat < repeats.size() && repeats[next_repeat].first == i) {
                ++next_repeat;
                continue;
            }
            Sample s = r_.samples[i];
            if (s.exemplar != kNoExemplar) {
                Exemplar e = r_.exemplars[s.exemplar];
                e.sample = static_cast<std::uint32_t>(out);
                s.exemplar = static_cast<std::uint32_t>(ex_out);
                r_.exemplars[ex_out++] = e;
            }
            r_.samples[out++] = s;
        }
        r_.samples.resize(out);
        r_.exemplars.resize(ex_out);
        // Labels of dropped samples stay in `labels`, unreferenced.

        r_.invalid_lines += repeats.size();
        std::vector<LineError> merged;
        merged.reserve(r_.errors.size() + found.size());
        std::merge(std::make_move_iterator(r_.errors.begin()), std::make_move_iterator(r_.errors.end()),
                   std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()),
                   std::back_inserter(merged),
                   [](const LineError& a, const LineError& b) { return a.line < b.line; });
        if (merged.size() > options_.max_errors)
            merged.resize(options_.max_errors);
        r_.errors = std::move(merged);
    }

    // "# {labels} value [timestamp]" after a sample; p is just past the '#'.
    bool parse_exemplar(const char* p, const char* end, Exemplar& ex)
    {
        p = skip_spaces(p, end);
        if (p == end || *p != '{')
            return fail("invalid exemplar: expected '{'", p, end);
        ex.labels_begin = static_cast<std::uint32_t>(r_.labels.size());
        bool sorted = true;
        if (!parse_labels(p, end, nullptr, ex.labels_count, sorted))
            return false;
        p = skip_spaces(p, end);
        const char* value_end = lex::token_end(p, end);
        if (p == end || !lex::parse_value({p, static_cast<std::size_t>(value_end - p)}, ex.value))
            return fail("invalid exemplar value", p, end);
        p = skip_spaces(value_end, end);
        if (p < end) {
            const char* ts_end = lex::token_end(p, end);
            // Exemplar timestamps are float seconds in OpenMetrics.
            if (!lex::parse_timestamp_s({p, static_cast<std::size_t>(ts_end - p)}, ex.timestamp))
                return fail("invalid exemplar timestamp", p, end);
            ex.has_timestamp = true;
            if (skip_spaces(ts_end, end) != end)
                return fail("unexpected text after exemplar", ts_end, end);
        }
        return true;
    }

    // p is at '{'; on success p is just past the matching '}'. A quoted
    // string that is not followed by '=' is the metric name (Prometheus 3
    // UTF-8 syntax) when `metric_name` is given. `sorted` tells whether the
    // label names came in strictly increasing order.
    bool parse_labels(const char*& p, const char* end, std::string_view* metric_name, std::uint32_t& count,
                      bool& sorted)
    {
        sorted = true;
        const std::size_t begin = r_.labels.size();
        ++p;
        for (;;) {
            p = skip_spaces(p, end);
            if (p == end)
                return fail("unterminated label set", p, end);
            if (*p == '}') {
                ++p;
                break;
            }
            std::string_view lname;
            if (*p == '"') {
                if (!read_quoted(p, end, lname))
                    return false;
                const char* q = skip_spaces(p, end);
                if (q == end || *q != '=') {
                    if (metric_name == nullptr || !metric_name->empty() || r_.labels.size() != begin)
                        return fail("expected '=' after label name", q, end);
                    *metric_name = lname;
                    p = q;
                    if (!next_label(p, end))
                        return false;
                    if (p[-1] == '}')
                        break;
                    continue;
                }
                p = q;
            } else if (is(*p, lex::kLabelStart)) {
                const char* q = lex::skip_class(p + 1, end, lex::kLabel);
                lname = {p, static_cast<std::size_t>(q - p)};
                p = skip_spaces(q, end);
            } else {
                return fail("invalid label name", p, end);
            }
            if (p == end || *p != '=')
                return fail("expected '=' after label name", p, end);
            if (lname.size() > options_.max_name_bytes)
                return fail_long("label name", options_.max_name_bytes);
            if (r_.labels.size() - begin >= options_.max_labels)
                return fail_too_many_labels();
            p = skip_spaces(p + 1, end);
            if (p == end || *p != '"')
                return fail("label value must be quoted", p, end);
            std::string_view lvalue;
            if (!read_quoted(p, end, lvalue))
                return false;
            if (lvalue.size() > options_.max_label_value_bytes)
                return fail_long("label value", options_.max_label_value_bytes);
            // Strictly increasing names cannot repeat; only otherwise look back.
            if (sorted && r_.labels.size() > begin && !lex::name_less(r_.labels.back().name, lname))
                sorted = false;
            if (!sorted) {
                for (std::size_t i = begin; i < r_.labels.size(); ++i)
                    if (r_.labels[i].name == lname)
                        return fail("duplicate label name", lname.data(), end);
            }
            r_.labels.push_back(Label{lname, lvalue});
            if (!next_label(p, end))
                return false;
            if (p[-1] == '}')
                break;
        }
        count = static_cast<std::uint32_t>(r_.labels.size() - begin);
        return true;
    }

    // After a label: consume ',' or '}' (the caller checks which via p[-1]).
    bool next_label(const char*& p, const char* end)
    {
        p = skip_spaces(p, end);
        if (p < end && (*p == ',' || *p == '}')) {
            ++p;
            return true;
        }
        return fail(p == end ? "unterminated label set" : "expected ',' or '}' after label", p, end);
    }

    // p is at the opening quote; on success p is past the closing quote and
    // `out` holds the unescaped text (a view into the input when no escape).
    bool read_quoted(const char*& p, const char* end, std::string_view& out)
    {
        const char* start = ++p;
        const char* q = start;
        unsigned high = 0;
#if defined(__SSE2__)
        // Reads may run past the line end (never past the buffer); a hit
        // beyond `end` is treated as "not found on this line".
        const __m128i quote = _mm_set1_epi8('"');
        const __m128i slash = _mm_set1_epi8('\\');
        while (q < end && end_ - q >= 16) {
            const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
            const unsigned hit = static_cast<unsigned>(
                _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, slash))));
            high |= static_cast<unsigned>(_mm_movemask_epi8(v));
            if (hit) {
                q += __builtin_ctz(hit);
                break;
            }
            q += 16;
        }
        if (q > end)
            q = end;
#endif
        while (q < end && *q != '"' && *q != '\\') {
            high |= static_cast<unsigned char>(*q) & 0x80u;
            ++q;
        }
        if (q == end)
            return fail("unterminated quoted string", start - 1, end);
        if (*q == '"') {
            out = {start, static_cast<std::size_t>(q - start)};
            p = q + 1;
        } else if (!unescape_quoted(p, end, out)) {
            return false;
        } else {
            high = 1; // the scan stopped at the escape: check all of it
        }
        if (high && !lex::valid_utf8(out))
            return fail("quoted string is not valid UTF-8", start - 1, end);
        return true;
    }

    // Slow path of read_quoted: p is just past the opening quote.
    bool unescape_quoted(const char*& p, const char* end, std::string_view& out)
    {
        const char* start = p;
        const char* q = start;
        while (q < end && *q != '"') {
            if (*q == '\\' && q + 1 < end)
                ++q;
            ++q;
        }
        if (q >= end)
            return fail("unterminated quoted string", start - 1, end);
        char* dst = r_.arena.allocate(static_cast<std::size_t>(q - start));
        char* d = dst;
        for (const char* s = start; s < q; ++s) {
            if (*s != '\\') {
                *d++ = *s;
                continue;
            }
            const char c = *++s;
            if (c == 'n')
                *d++ = '\n';
            else if (c == '\\' || c == '"')
                *d++ = c;
            else { // an unknown escape keeps its backslash
                *d++ = '\\';
                *d++ = c;
            }
        }
        out = {dst, static_cast<std::size_t>(d - dst)};
        p = q + 1;
        return true;
    }

    std::string_view unescape_help(std::string_view text)
    {
        if (text.find('\\') == std::string_view::npos)
            return text;
        char* dst = r_.arena.allocate(text.size());
        char* d = dst;
        for (std::size_t i = 0; i < text.size(); ++i) {
            const char c = text[i];
            if (c != '\\' || i + 1 == text.size()) {
                *d++ = c;
                continue;
            }
            const char e = text[++i];
            if (e == 'n')
                *d++ = '\n';
            else if (e == '\\' || (e == '"' && openmetrics_))
                *d++ = e;
            else {
                *d++ = '\\';
                *d++ = e;
            }
        }
        return {dst, static_cast<std::size_t>(d - dst)};
    }

    bool read_timestamp(std::string_view token, double& seconds) const noexcept
    {
        return openmetrics_ ? lex::parse_timestamp_s(token, seconds) : lex::parse_timestamp_ms(token, seconds);
    }

    // ---- families --------------------------------------------------------

    Family& family(std::string_view name)
    {
        auto [it, inserted] = family_index_.try_emplace(name, static_cast<std::uint32_t>(r_.families.size()));
        if (inserted) {
            r_.families.push_back(Family{name, {}, {}, MetricType::untyped, 0});
            help_lines_.push_back(0);
            last_name_ = {}; // a new family may claim the cached name
        }
        return r_.families[it->second];
    }

    std::uint32_t resolve_family(std::string_view name)
    {
        if (family_index_.empty())
            return kNoFamily;
        if (name == last_name_)
            return last_family_;
        last_name_ = name;
        last_family_ = kNoFamily;
        if (auto it = family_index_.find(name); it != family_index_.end()) {
            last_family_ = it->second;
            return last_family_;
        }
        static constexpr std::string_view kSuffixes[] = {"_bucket", "_count", "_sum", "_total",
                                                         "_created", "_gcount", "_gsum", "_info"};
        for (std::string_view suffix : kSuffixes) {
            if (name.size() <= suffix.size() || name.substr(name.size() - suffix.size()) != suffix)
                continue;
            auto it = family_index_.find(name.substr(0, name.size() - suffix.size()));
            if (it != family_index_.end() && suffix_allowed(r_.families[it->second].type, suffix)) {
                last_family_ = it->second;
                break;
            }
        }
        return last_family_;
    }

    // ---- errors ------------------------------------------------------------

    bool fail(std::string_view reason, const char* at, const char* end)
    {
        reason_ = reason;
        at_ = at;
        at_end_ = end;
        return false;
    }

    bool fail_dup(std::string_view what, std::string_view name, std::uint32_t first_line)
    {
        dynamic_reason_ = "duplicate ";
        dynamic_reason_ += what;
        dynamic_reason_ += " line for '";
        dynamic_reason_ += util::clean_text(name, 64); // never cut inside a character
        dynamic_reason_ += "' (first on line " + std::to_string(first_line) + ")";
        reason_ = dynamic_reason_;
        at_ = at_end_ = nullptr;
        return false;
    }

    bool fail_long(const char* what, std::uint32_t limit)
    {
        dynamic_reason_ = what;
        dynamic_reason_ += " longer than " + std::to_string(limit) + " bytes";
        reason_ = dynamic_reason_;
        at_ = at_end_ = nullptr;
        return false;
    }

    bool fail_too_many_labels()
    {
        dynamic_reason_ = "more than " + std::to_string(options_.max_labels) + " labels";
        reason_ = dynamic_reason_;
        at_ = at_end_ = nullptr;
        return false;
    }

    bool rollback(std::size_t labels_mark, bool result = false)
    {
        r_.labels.resize(labels_mark);
        return result;
    }

    void record_error()
    {
        ++r_.invalid_lines;
        if (r_.errors.size() >= options_.max_errors)
            return;
        std::string reason(reason_);
        if (at_ != nullptr) {
            std::size_t n = static_cast<std::size_t>(at_end_ - at_);
            if (n == 0) {
                reason += " at end of line";
            } else {
                reason += " at '";
                reason += excerpt(at_, n);
                reason += "'";
            }
        }
        r_.errors.push_back(LineError{line_, std::move(reason)});
    }

    static std::string excerpt(const char* p, std::size_t n)
    {
        constexpr std::size_t kMax = 32;
        bool cut = n > kMax;
        if (cut) {
            n = kMax;
            while (n > 0 && (static_cast<unsigned char>(p[n]) & 0xC0) == 0x80)
                --n;
        }
        std::string out(p, n);
        const bool utf8 = lex::valid_utf8(out);
        for (char& c : out) {
            const auto u = static_cast<unsigned char>(c);
            if (u < 0x20 || u == 0x7f || (!utf8 && u >= 0x80))
                c = '?';
        }
        if (cut)
            out += "...";
        return out;
    }

    void check_after_eof(const char* p)
    {
        for (; p < end_; ++p) {
            if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t') {
                ++line_;
                reason_ = "content after '# EOF' ignored";
                at_ = nullptr;
                record_error();
                return;
            }
        }
    }

    // Reserve the result's arrays from the first samples' density, so that a
    // large payload does not grow (and transiently double) them repeatedly.
    void reserve_estimates(const char* p)
    {
        estimated_ = true;
        const double consumed = static_cast<double>(p - begin_);
        const double scale = static_cast<double>(end_ - begin_) / consumed * 1.05;
        const auto samples = static_cast<std::size_t>(static_cast<double>(r_.samples.size()) * scale) + 16;
        const auto labels = static_cast<std::size_t>(static_cast<double>(r_.labels.size()) * scale) + 64;
        r_.samples.reserve(samples);
        r_.labels.reserve(labels);
        if (options_.reject_duplicate_series)
            hashes_.reserve(samples);
    }

    const char* begin_;
    const char* end_;
    const ParseOptions& options_;
    ParseResult r_;
    bool openmetrics_ = false;
    bool estimated_ = false;
    std::uint32_t line_ = 0;

    std::unordered_map<std::string_view, std::uint32_t> family_index_;
    std::vector<std::uint32_t> help_lines_; // per family: line of its HELP, 0 if none
    std::string_view last_name_;
    std::uint32_t last_family_ = kNoFamily;
    std::vector<std::uint64_t, util::PageAllocator<std::uint64_t>> hashes_; // series_hash of each sample, when deduplicating
    std::size_t chunk_samples_ = 0;
    const ChunkConsumer* consume_ = nullptr;
    struct Seen {
        std::uint32_t line;  // of the series' first sample
        std::uint32_t start; // offset of that line in the payload
    };
    boost::unordered_flat_map<std::uint64_t, Seen, util::Prehashed> seen_; // chunked: series hash -> its first sample
    std::vector<std::size_t> starts_;             // chunked: where each sample's line starts
    const char* line_begin_ = nullptr;

    std::string_view reason_;
    std::string dynamic_reason_;
    const char* at_ = nullptr;
    const char* at_end_ = nullptr;
};

} // namespace

ParseResult parse(std::string_view text, const ParseOptions& options)
{
    return Parser(text, options).run();
}

ParseResult parse_chunked(std::string_view text, const ParseOptions& options, std::size_t chunk_samples,
                          const ChunkConsumer& consume)
{
    Parser parser(text, options);
    parser.hand_over_in_chunks(chunk_samples, &consume);
    return parser.run();
}

} // namespace fwm::parser
