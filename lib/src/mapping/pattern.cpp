// One job, in one file: a Python `re` pattern translated, in one pass, into
// a Boost.Regex one that matches what Python would, or refused naming its
// option. Over 500 lines because that is how many rules the two engines read
// differently.
// Boost.Regex keeps only this file: nothing else includes it, so the
// complexity bound this file is compiled with (BOOST_REGEX_MAX_STATE_COUNT,
// set in lib/CMakeLists.txt) is the one every match in the library uses.
#include "mapping/pattern.hpp"

#include <cctype>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <vector>

#include <boost/regex.hpp>

#include "util/option_reader.hpp"
#include "util/text.hpp"

static_assert(BOOST_REGEX_MAX_STATE_COUNT == 1000000, "lib/CMakeLists.txt sets the bound this file is compiled with");

namespace fwm::mapping {

// Wide characters (UTF-32 on Linux): '.', a negated set or a repeat then
// take one code point, as in Python, not one byte of it.
struct Pattern::Compiled {
    boost::wregex regex;
};

namespace {

constexpr unsigned kMaxGroupDepth = 32;
constexpr unsigned kMaxRepeat = 65535;

bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool is_ascii_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_name_char(char c)
{
    return is_ascii_letter(c) || is_digit(c) || c == '_';
}

// One pass over a Python pattern, writing its Perl form for Boost.
class Translator {
public:
    Translator(const std::string& option, std::string_view text)
        : option_(option), t_(text)
    {
    }

    std::string run()
    {
        if (t_.size() > Pattern::kMaxLength)
            reject("is longer than " + std::to_string(Pattern::kMaxLength) +
                   " characters: split it into several patterns");
        while (i_ < t_.size()) {
            const char c = t_[i_];
            keep_start_ = false;
            if (c == '\\') {
                escape(false);
            } else if (c == '[') {
                char_class();
                last_ = Atom::item;
            } else if (c == '(') {
                open_group();
            } else if (c == ')') {
                close_group();
            } else if (c == '{') {
                brace();
            } else if (c == '*' || c == '+' || c == '?') {
                quantifier(std::string_view(&t_[i_], 1));
            } else if (c == '^') {
                // Python's ^ is the start (or, with (?m), just after a \n);
                // Boost's also follows \r, \f and Unicode line separators.
                literal(mode().multiline ? "(?:\\A|(?<=\\n))" : "\\A");
                last_ = Atom::assertion;
            } else if (c == '$') {
                // Python's $ is the end or just before a final \n (with (?m),
                // before any \n).
                literal(mode().multiline ? "(?=\\n|\\z)" : "(?=\\n?\\z)");
                last_ = Atom::assertion;
            } else if (c == '|') {
                literal("|");
                last_ = Atom::none;
            } else if (c == '.') {
                // Python's '.' stops only at \n; Boost's also at \r, \f and
                // Unicode line separators.
                literal(mode().dotall ? "(?s:.)" : "[^\\n]");
                last_ = Atom::item;
            } else {
                literal(c == '}' ? std::string_view("\\}") : std::string_view(&t_[i_], 1));
                last_ = Atom::item;
            }
            at_start_ = at_start_ && keep_start_; // only global flag groups so far
        }
        if (depth_ != 0)
            reject("has an unclosed group: a '(' without its ')'");
        return std::move(out_);
    }

private:
    // What came last, for what may repeat it.
    enum class Atom { none, item, assertion, lookaround, quantifier, modifier };

    struct Mode {
        bool dotall = false;    // (?s)
        bool multiline = false; // (?m)
        bool icase = false;     // (?i)
    };

    [[noreturn]] void reject(const std::string& why) const
    {
        util::option_wrong(option_, "holds the pattern '" + util::clean_text(t_, 64) + "', which " + why);
    }

    void literal(std::string_view s)
    {
        out_ += s;
        ++i_;
    }

    char at(std::size_t k) const { return k < t_.size() ? t_[k] : '\0'; }

    Mode mode() const { return scopes_.empty() ? base_ : scopes_.back().mode; }

    // '*', '+', '?' or a {m,n} repeat at i_, written as `text`.
    void quantifier(std::string_view text)
    {
        if ((text == "?" || text == "+") && last_ == Atom::quantifier) {
            literal(text); // lazy or possessive
            last_ = Atom::modifier;
            return;
        }
        if (last_ == Atom::quantifier || last_ == Atom::modifier)
            reject("repeats a repeat, which Python refuses (multiple repeat)");
        if (last_ == Atom::none)
            reject("has nothing to repeat before a '*', '+', '?' or '{'");
        if (last_ == Atom::assertion)
            reject("repeats an assertion (^, $, \\A, \\Z, \\b or \\B), which Python refuses");
        if (last_ == Atom::lookaround)
            reject("repeats a look-around group, which this engine reads differently from Python");
        out_ += text;
        i_ += text.size() == 1 ? 1 : 0;
        last_ = Atom::quantifier;
    }

    // The code point of the set member at `k` (a character or a one-character
    // escape), or -1 for a class escape such as \d. `len` is its length.
    long member_code(std::size_t k, std::size_t& len) const
    {
        const auto c = static_cast<unsigned char>(at(k));
        len = 1;
        if (c == '\\') {
            const char e = at(k + 1);
            len = 2;
            if (e == 'x' && is_hex(at(k + 2)) && is_hex(at(k + 3))) {
                len = 4;
                return std::stol(std::string(t_.substr(k + 2, 2)), nullptr, 16);
            }
            static constexpr std::string_view kCodes = "a\ab\bf\fn\nr\rt\tv\v";
            if (const auto p = kCodes.find(e); p != std::string_view::npos && p % 2 == 0)
                return static_cast<unsigned char>(kCodes[p + 1]);
            return is_ascii_letter(e) || is_digit(e) ? -1 : static_cast<unsigned char>(e);
        }
        if (c < 0x80)
            return c;
        const auto* p = reinterpret_cast<const unsigned char*>(t_.data()) + k;
        len = util::utf8_sequence_length(p, reinterpret_cast<const unsigned char*>(t_.data()) + t_.size());
        if (len == 0) {
            len = 1;
            return -1;
        }
        long cp = len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
        for (std::size_t i = 1; i < len; ++i)
            cp = (cp << 6) | (p[i] & 0x3F);
        return cp;
    }

    // t_[i_] is a backslash.
    void escape(bool in_class)
    {
        if (i_ + 1 >= t_.size())
            reject("ends with a lone backslash");
        const char e = t_[i_ + 1];
        if (!in_class)
            last_ = std::string_view("AZbB").find(e) != std::string_view::npos ? Atom::assertion : Atom::item;
        if (is_digit(e)) {
            // Python: \0 and three octal digits are octal escapes, \1..\99
            // back-references; inside a set every digit escape is octal.
            const bool octal3 = e <= '7' && at(i_ + 2) >= '0' && at(i_ + 2) <= '7' && at(i_ + 3) >= '0' &&
                                at(i_ + 3) <= '7';
            if (in_class || e == '0' || octal3)
                reject("uses an octal escape; write \\xHH instead");
            std::size_t n = 1;
            if (is_digit(at(i_ + 2)))
                n = 2;
            const unsigned group = static_cast<unsigned>(std::stoul(std::string(t_.substr(i_ + 1, n))));
            if (group > closed_.size() || !closed_[group - 1])
                reject("refers to group " + std::to_string(group) + ", which is not a closed group before it");
            out_.append(t_.substr(i_, 1 + n));
            i_ += 1 + n;
            return;
        }
        if (e == 'x') {
            if (!is_hex(at(i_ + 2)) || !is_hex(at(i_ + 3)))
                reject("uses \\x without two hexadecimal digits");
            out_.append(t_.substr(i_, 4));
            i_ += 4;
            return;
        }
        if (is_ascii_letter(e)) {
            std::string_view keep;
            if (!in_class && e == 'Z')
                keep = "\\z"; // Python's \Z is the very end; Boost's \z is
            else if (!in_class && (e == 'A' || e == 'b' || e == 'B'))
                keep = t_.substr(i_, 2);
            else if (in_class && e == 'b')
                keep = "\\x08"; // a backspace inside a set, in Python
            else if (std::string_view("dDsSwWafnrtv").find(e) != std::string_view::npos)
                keep = t_.substr(i_, 2);
            else
                reject(std::string("uses the escape \\") + e + ", which Python's re does not accept here");
            out_ += keep;
            i_ += 2;
            return;
        }
        // Any other escaped character stands for itself in Python. Boost
        // gives some a meaning (\< \> \` \' are anchors there): an ASCII one
        // goes over as its code, anything else as itself.
        if (static_cast<unsigned char>(e) < 0x80) {
            static constexpr char kHex[] = "0123456789abcdef";
            out_ += "\\x";
            out_ += kHex[static_cast<unsigned char>(e) >> 4];
            out_ += kHex[static_cast<unsigned char>(e) & 15];
        } else {
            out_ += e;
        }
        i_ += 2;
    }

    // A range of a set, [lo-hi], that Python and Boost read alike.
    void check_range(long lo, long hi) const
    {
        if (lo < 0 || hi < 0)
            reject("has a bad character range: a range cannot start or end at \\d, \\w or \\s");
        if (!mode().icase)
            return;
        // Case-insensitive ranges across letters and other characters fold
        // differently in the two engines: refuse those.
        const auto letters_in = [&](long a, long b) { return lo <= b && hi >= a; };
        const bool has_letters = letters_in('A', 'Z') || letters_in('a', 'z');
        const bool one_case = (lo >= 'A' && hi <= 'Z') || (lo >= 'a' && hi <= 'z');
        if (has_letters && !one_case)
            reject("has a case-insensitive range mixing letters and other characters, which this engine reads "
                   "differently from Python: list them (for example [A-Za-z_])");
    }

    // t_[i_] is '['; copies the set up to its closing ']'.
    void char_class()
    {
        out_ += '[';
        ++i_;
        if (at(i_) == '^') {
            out_ += '^';
            ++i_;
        }
        long previous = -2; // the last member's code; -2 when there is none yet
        if (at(i_) == ']') { // a leading ']' is a literal in Python
            out_ += "\\]";
            ++i_;
            previous = ']';
        }
        while (i_ < t_.size() && t_[i_] != ']') {
            const char c = t_[i_];
            if (c == '-' && previous != -2 && at(i_ + 1) != ']' && at(i_ + 1) != '\0') {
                std::size_t len = 0;
                check_range(previous, member_code(i_ + 1, len));
                literal("-");
                previous = -2; // a range's end cannot start another
                continue;
            }
            std::size_t len = 0;
            const long code = member_code(i_, len);
            if (c == '\\') {
                escape(true);
            } else if (c == '[') {
                // Python reads '[' in a set as itself; Boost would start a
                // POSIX class such as [:alpha:] there.
                literal("\\[");
            } else {
                out_.append(t_.substr(i_, len));
                i_ += len;
            }
            previous = code;
        }
        if (i_ >= t_.size())
            reject("has an unterminated character set: a '[' without its ']'");
        out_ += ']';
        ++i_;
    }

    void open_group()
    {
        last_ = Atom::none;
        if (at(i_ + 1) != '?') {
            push_group(true);
            out_ += '(';
            ++i_;
            return;
        }
        const char k = at(i_ + 2);
        if (k == ':' || k == '>') {
            push_group();
            out_.append(t_.substr(i_, 3));
            i_ += 3;
        } else if (k == '=' || k == '!') {
            push_group(false, {}, true);
            out_.append(t_.substr(i_, 3));
            i_ += 3;
        } else if (k == '<' && (at(i_ + 3) == '=' || at(i_ + 3) == '!')) {
            push_group(false, {}, true);
            out_.append(t_.substr(i_, 4));
            i_ += 4;
        } else if (k == '#') {
            const std::size_t close = t_.find(')', i_);
            if (close == std::string_view::npos)
                reject("has an unterminated comment group (?#...");
            i_ = close + 1; // comments are dropped
        } else if (k == 'P') {
            named(at(i_ + 3));
        } else if (k == '(') {
            conditional();
        } else if (std::string_view("aiLmsux-").find(k) != std::string_view::npos && k != '\0') {
            flags();
        } else {
            reject(std::string("uses (?") + (k == '\0' ? std::string() : std::string(1, k)) +
                   ", which is not Python re syntax");
        }
    }

    // (?P<name>...), (?P=name)
    void named(char kind)
    {
        std::size_t j = i_ + 4;
        while (j < t_.size() && is_name_char(t_[j]))
            ++j;
        const std::string_view name = t_.substr(i_ + 4, j - (i_ + 4));
        if (kind == '<' && !name.empty() && at(j) == '>') {
            push_group(true, std::string(name));
            out_ += "(?<";
            out_ += name;
            out_ += '>';
            i_ = j + 1;
        } else if (kind == '=' && !name.empty() && at(j) == ')') {
            if (closed_names_.find(std::string(name)) == closed_names_.end())
                reject("refers to the group '" + std::string(name) + "', which is not a closed group before it");
            out_ += "\\k<";
            out_ += name;
            out_ += '>';
            i_ = j + 1;
            last_ = Atom::item;
        } else {
            reject("has a malformed (?P group");
        }
    }

    // (?(1)yes|no) and (?(name)yes|no)
    void conditional()
    {
        std::size_t j = i_ + 3;
        while (j < t_.size() && is_name_char(t_[j]))
            ++j;
        const std::string_view ref = t_.substr(i_ + 3, j - (i_ + 3));
        if (ref.empty() || at(j) != ')')
            reject("has a malformed conditional group (?(...)");
        bool digits = true;
        for (char c : ref)
            digits = digits && is_digit(c);
        if (digits ? (ref.size() > 2 || std::stoul(std::string(ref)) == 0 ||
                      std::stoul(std::string(ref)) > closed_.size())
                   : closed_names_.find(std::string(ref)) == closed_names_.end())
            reject("has a conditional group on '" + std::string(ref) + "', which is not a group before it");
        push_group();
        out_ += "(?(";
        if (digits) {
            out_ += ref;
        } else {
            out_ += '<';
            out_ += ref;
            out_ += '>';
        }
        out_ += ')';
        i_ = j + 1;
    }

    // (?aiLmsux) at the start, or (?imsx-imsx:...) anywhere. The modes are
    // tracked here, because '.', '^', '$' and ranges are written out by them.
    void flags()
    {
        std::size_t j = i_ + 2;
        std::string on, off;
        bool minus = false;
        for (; j < t_.size() && t_[j] != ')' && t_[j] != ':'; ++j) {
            const char f = t_[j];
            if (f == '-' && !minus) {
                minus = true;
                continue;
            }
            if (f == 'L')
                reject("uses the L (locale) flag, which Python allows only for bytes patterns");
            if (f == 'x')
                reject("uses the x (verbose) flag, which is not supported here");
            if (f == 'a' || f == 'u')
                continue; // matching is ASCII already; Unicode classes are not honoured
            if (std::string_view("ims").find(f) == std::string_view::npos)
                reject(std::string("uses an unknown flag '") + util::clean_text(std::string_view(&t_[j], 1)) + "'");
            (minus ? off : on) += f;
        }
        if (j >= t_.size())
            reject("has an unterminated flag group (?...");
        const bool scoped = t_[j] == ':';
        if (!scoped && !at_start_)
            reject("sets inline flags such as (?i) after the start, which Python does not allow");
        if (!scoped && minus)
            reject("turns flags off outside a (?-...:...) group, which Python does not allow");
        Mode m = mode();
        for (const auto& [flag, field] : {std::pair{'s', &Mode::dotall}, std::pair{'m', &Mode::multiline},
                                          std::pair{'i', &Mode::icase}}) {
            if (on.find(flag) != std::string::npos)
                m.*field = true;
            if (off.find(flag) != std::string::npos)
                m.*field = false;
        }
        // Only case folding goes over as a flag: '.', '^' and '$' are written
        // out by mode above.
        const bool i_on = on.find('i') != std::string::npos, i_off = off.find('i') != std::string::npos;
        const std::string group = std::string(i_on ? "i" : "") + (i_off ? "-i" : "");
        if (scoped) {
            push_group();
            scopes_.back().mode = m;
            out_ += "(?" + group + ":";
        } else {
            base_ = m;
            if (!group.empty())
                out_ += "(?" + group + ")";
        }
        i_ = j + 1;
        keep_start_ = !scoped;
    }

    // A group opens: its modes start as the enclosing one's; a capturing
    // group gets the next number (and maybe a name) for back-references.
    void push_group(bool capturing = false, std::string name = {}, bool lookaround = false)
    {
        if (++depth_ > kMaxGroupDepth)
            reject("nests groups more than " + std::to_string(kMaxGroupDepth) + " deep");
        Scope scope{mode(), 0, std::move(name), lookaround};
        if (capturing) {
            closed_.push_back(false);
            scope.group = closed_.size();
        }
        scopes_.push_back(std::move(scope));
    }

    void close_group()
    {
        if (depth_ == 0)
            reject("has a ')' without its '('");
        --depth_;
        const Scope& scope = scopes_.back();
        if (scope.group)
            closed_[scope.group - 1] = true;
        if (!scope.name.empty())
            closed_names_.insert(scope.name);
        last_ = scope.lookaround ? Atom::lookaround : Atom::item;
        scopes_.pop_back();
        out_ += ')';
        ++i_;
    }

    // {m}, {m,}, {m,n} and {,n} repeat; Python reads any other '{' as itself.
    void brace()
    {
        std::size_t j = i_ + 1;
        const std::size_t lo_begin = j;
        while (is_digit(at(j)))
            ++j;
        const std::string_view lo = t_.substr(lo_begin, j - lo_begin);
        bool comma = false;
        std::string_view hi;
        if (at(j) == ',') {
            comma = true;
            const std::size_t hi_begin = ++j;
            while (is_digit(at(j)))
                ++j;
            hi = t_.substr(hi_begin, j - hi_begin);
        }
        if (at(j) != '}' || (lo.empty() && !comma)) {
            literal("\\{");
            last_ = Atom::item;
            return;
        }
        for (std::string_view n : {lo, hi})
            if (n.size() > 5 || (!n.empty() && std::stoul(std::string(n)) > kMaxRepeat))
                reject("repeats more than " + std::to_string(kMaxRepeat) + " times");
        std::string repeat = "{" + std::string(lo.empty() ? std::string_view("0") : lo);
        if (comma)
            repeat += "," + std::string(hi);
        repeat += "}";
        quantifier(repeat);
        i_ = j + 1;
    }

    const std::string& option_;
    std::string_view t_;
    std::size_t i_ = 0;
    unsigned depth_ = 0;
    struct Scope {
        Mode mode;
        std::size_t group; // 1-based number of a capturing group, else 0
        std::string name;
        bool lookaround;
    };
    std::vector<Scope> scopes_;
    Mode base_;                            // the pattern-wide flags
    Atom last_ = Atom::none;
    std::vector<bool> closed_;             // per capturing group: closed yet
    std::set<std::string> closed_names_;
    bool at_start_ = true;
    bool keep_start_ = false;
    std::string out_;
};

// UTF-8 to code points. Subjects come validated by the parser; a byte that
// is not UTF-8 becomes U+FFFD rather than being guessed at.
std::wstring widen(std::string_view s)
{
    std::wstring out;
    out.reserve(s.size());
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        const std::size_t n = util::utf8_sequence_length(p, end);
        if (n == 0) {
            out += static_cast<wchar_t>(0xFFFD);
            ++p;
            continue;
        }
        std::uint32_t cp = n == 1 ? *p : n == 2 ? (*p & 0x1Fu) : n == 3 ? (*p & 0x0Fu) : (*p & 0x07u);
        for (std::size_t i = 1; i < n; ++i)
            cp = (cp << 6) | (p[i] & 0x3Fu);
        out += static_cast<wchar_t>(cp);
        p += n;
    }
    return out;
}

} // namespace

std::string python_to_boost(const std::string& option, std::string_view text)
{
    return Translator(option, text).run();
}

Pattern::Pattern(std::string option, std::string text)
    : option_(std::move(option)), text_(std::move(text))
{
    const std::string perl = python_to_boost(option_, text_);
    auto compiled = std::make_shared<Compiled>();
    try {
        // Python's defaults: '^' and '$' at the ends only, '.' not matching a
        // newline; (?m) and (?s) still turn them on.
        compiled->regex.assign(widen(perl), boost::regex::perl | boost::regex::no_mod_m | boost::regex::no_mod_s);
    } catch (const std::exception& e) {
        util::option_wrong(option_, "holds the pattern '" + util::clean_text(text_, 64) +
                                        "', which is not a valid regular expression: " + util::clean_text(e.what(), 160));
    }
    compiled_ = std::move(compiled);
}

Pattern::Pattern(const Pattern& other)
    : option_(other.option_), text_(other.text_), compiled_(other.compiled_), failures_(other.failures_.load())
{
}

Pattern& Pattern::operator=(const Pattern& other)
{
    option_ = other.option_;
    text_ = other.text_;
    compiled_ = other.compiled_;
    failures_.store(other.failures_.load());
    return *this;
}

Pattern::~Pattern() = default;

Pattern::Match Pattern::full_match(std::string_view subject) const noexcept
{
    if (subject.size() > kMaxSubject || resting())
        return Match::too_costly;
    try {
        const std::wstring wide = widen(subject);
        return boost::regex_match(wide.begin(), wide.end(), compiled_->regex) ? Match::yes : Match::no;
    } catch (...) {
        // The complexity bound, or the matcher's own memory bound.
        failures_.fetch_add(1, std::memory_order_relaxed);
        return Match::too_costly;
    }
}

} // namespace fwm::mapping
