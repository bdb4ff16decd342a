// A filter pattern from the configuration (`metrics`, `exclude_metrics`,
// `deployments`): Python `re` syntax, as users of Datadog checks write it,
// matched against the whole subject (re.fullmatch).
//
// The engine is Boost.Regex: its matcher keeps its backtracking state on the
// heap (the stack does not grow with the subject) and gives up past a
// complexity bound instead of running for ever. What Python and Boost would
// read differently is translated, and what cannot be honoured is rejected
// with the option's name. Character classes are ASCII.
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
    static constexpr unsigned kGiveUpAfter = 2;      // complexity failures before it is retired

    enum class Match { yes, no, too_costly };

    // Throws util::OptionError naming `option` when `text` is not a pattern
    // this engine can honour as Python would.
    Pattern(std::string option, std::string text);
    Pattern(const Pattern& other);
    Pattern& operator=(const Pattern& other);
    ~Pattern();

    // Whole-subject match. too_costly when the engine hit its complexity
    // bound (or did so kGiveUpAfter times before: the pattern is retired,
    // so a pathological pattern costs a bounded time per instance).
    Match full_match(std::string_view subject) const noexcept;

    const std::string& option() const { return option_; }
    const std::string& text() const { return text_; }
    bool retired() const { return failures_.load(std::memory_order_relaxed) >= kGiveUpAfter; }

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
