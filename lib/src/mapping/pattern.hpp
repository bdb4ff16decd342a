// A filter pattern from the configuration (`metrics`, `exclude_metrics`,
// `deployments`): Python `re` syntax, as users of Datadog checks write it,
// matched against the whole subject (re.fullmatch).
//
// The engine is Boost.Regex: its matcher keeps its backtracking state on the
// heap (the stack does not grow with the subject) and gives up past a
// complexity bound instead of running for ever. What Python and Boost would
// read differently is translated, and what cannot be honoured is rejected
// with the option's name. Character classes are ASCII. (RE2 would match in
// linear time but refuses look-arounds and backreferences that Python reads;
// the README says why Boost.Regex was kept.)
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace fwm::mapping {

class Pattern {
public:
    static constexpr std::size_t kMaxLength = 200;  // characters in one pattern
    static constexpr std::size_t kMaxSubject = 256; // bytes of a name or label value a pattern is tried on
    static constexpr unsigned kGiveUpAfter = 2;      // complexity failures in one run before it rests

    enum class Match { yes, no, too_costly };

    // Throws util::OptionError naming `option` when `text` is not a pattern
    // this engine can honour as Python would.
    Pattern(std::string option, std::string text);
    Pattern(const Pattern& other);
    Pattern& operator=(const Pattern& other);
    ~Pattern();

    // Whole-subject match. too_costly when the engine hit its complexity
    // bound, when it did so kGiveUpAfter times already in this run (the
    // pattern rests until new_run(), so a pathological pattern costs a
    // bounded time per run), or when the subject is longer than kMaxSubject
    // (Datadog takes no metric name that long; the bound keeps each try
    // within about 0.1 s). The cost of a try grows with the subject's
    // length times the square of the pattern's.
    Match full_match(std::string_view subject) const noexcept;

    // A new run: the pattern is tried again.
    void new_run() const noexcept { failures_.store(0, std::memory_order_relaxed); }

    const std::string& option() const { return option_; }
    const std::string& text() const { return text_; }
    bool resting() const { return failures_.load(std::memory_order_relaxed) >= kGiveUpAfter; }

private:
    struct Compiled;
    std::string option_;
    std::string text_;
    std::shared_ptr<const Compiled> compiled_;
    mutable std::atomic<unsigned> failures_{0};
};

// The Boost.Regex (Perl) form of a Python `re` pattern; throws
// util::OptionError naming `option` for what Python rejects or reads
// differently and cannot be translated. Exposed for the tests.
std::string python_to_boost(const std::string& option, std::string_view text);

} // namespace fwm::mapping
