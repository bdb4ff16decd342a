// One job, in one file: the tolerant field readers every API answer's reader
// uses (json_fields.hpp says their rules). Over 500 lines because protobuf's
// JSON mapping gives each type several spellings.
#include "fleet/json_fields.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <stdexcept>
#include <utility>

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include "parser/decimal.hpp"
#include "util/json_kind.hpp"
#include "util/text.hpp"

namespace fwm::fleet {

void Problems::add(std::string what)
{
    ++count;
    if (first.size() < kKept)
        first.push_back(util::clean_text(what, 300));
}

namespace {

std::string where_of(std::string_view where, const char* name)
{
    std::string w(where);
    if (!w.empty())
        w += '.';
    return w + name;
}

void wrong_kind(Problems& problems, std::string_view where, const char* name, const char* expected,
                const rapidjson::Value& v)
{
    problems.add(where_of(where, name) + ": expected " + expected + ", got " + util::json_kind(v));
}

// A JSON number as a message shows it (read_answer makes one beyond a
// double's range ±inf).
std::string number_text(double d)
{
    return std::isfinite(d) ? std::to_string(d) : std::string("a number beyond the range of a double");
}

} // namespace

std::optional<std::uint64_t> parse_count(std::string_view s) noexcept
{
    if (s.empty() || s.size() > 20)
        return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9')
            return std::nullopt;
        const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
        if (v > (UINT64_MAX - digit) / 10)
            return std::nullopt;
        v = v * 10 + digit;
    }
    return v;
}

std::string_view last_segment(std::string_view name) noexcept
{
    const auto slash = name.rfind('/');
    return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

std::optional<std::string> text_field(const rapidjson::Value& o, const char* name, std::string_view where,
                                      std::size_t max_bytes, Problems& problems)
{
    const auto it = o.FindMember(name);
    if (it == o.MemberEnd() || it->value.IsNull())
        return std::nullopt;
    if (!it->value.IsString()) {
        wrong_kind(problems, where, name, "a string", it->value);
        return std::nullopt;
    }
    return util::clean_text(std::string_view(it->value.GetString(), it->value.GetStringLength()), max_bytes);
}

std::optional<std::uint64_t> count_field(const rapidjson::Value& o, const char* name, std::string_view where,
                                         Problems& problems)
{
    const auto it = o.FindMember(name);
    if (it == o.MemberEnd() || it->value.IsNull())
        return std::nullopt;
    const rapidjson::Value& v = it->value;
    if (v.IsUint64())
        return v.GetUint64();
    if (v.IsString()) {
        if (auto n = parse_count(std::string_view(v.GetString(), v.GetStringLength())))
            return n;
        problems.add(where_of(where, name) + ": \"" +
                     util::clean_text(std::string_view(v.GetString(), v.GetStringLength()), 40) +
                     "\" is not a whole number from 0 to 2^64-1");
        return std::nullopt;
    }
    if (v.IsNumber()) {
        problems.add(where_of(where, name) + ": " + number_text(v.GetDouble()) + " is not a whole number >= 0");
        return std::nullopt;
    }
    wrong_kind(problems, where, name, "a whole number", v);
    return std::nullopt;
}

namespace {

// A JSON number or a decimal string ("12.5"; "-1" when `sign` allows it);
// nothing (noted) when neither. Not checked for range here.
std::optional<double> number_or_decimal(const rapidjson::Value& v, std::string_view where, const char* name,
                                        bool sign, Problems& problems)
{
    if (v.IsNumber())
        return v.GetDouble();
    if (!v.IsString()) {
        wrong_kind(problems, where, name, "a number", v);
        return std::nullopt;
    }
    std::string_view s(v.GetString(), v.GetStringLength());
    const bool negative = sign && !s.empty() && s[0] == '-';
    if (negative)
        s.remove_prefix(1);
    double out = 0;
    if (s.empty() || s.size() > 64 || parser::to_double(s, false, out) != parser::Conversion::ok) {
        problems.add(where_of(where, name) + ": \"" + util::clean_text(std::string_view(v.GetString(), v.GetStringLength()), 40) +
                     "\" is not a decimal number");
        return std::nullopt;
    }
    return negative ? -out : out;
}

} // namespace

std::optional<double> quantity_field(const rapidjson::Value& o, const char* name, std::string_view where,
                                     Problems& problems)
{
    const auto it = o.FindMember(name);
    if (it == o.MemberEnd() || it->value.IsNull())
        return std::nullopt;
    const auto out = number_or_decimal(it->value, where, name, false, problems);
    if (out && (!std::isfinite(*out) || *out < 0)) {
        problems.add(where_of(where, name) + ": " + number_text(*out) + " is not a finite number >= 0");
        return std::nullopt;
    }
    return out;
}

std::optional<double> number_field(const rapidjson::Value& o, const char* name, std::string_view where,
                                   Problems& problems)
{
    const auto it = o.FindMember(name);
    if (it == o.MemberEnd() || it->value.IsNull())
        return std::nullopt;
    const auto out = number_or_decimal(it->value, where, name, true, problems);
    if (out && !std::isfinite(*out)) {
        problems.add(where_of(where, name) + ": " + number_text(*out) + " is not a finite number");
        return std::nullopt;
    }
    return out;
}

const rapidjson::Value* object_member(const rapidjson::Value& o, const char* name, const std::string& where,
                                      Problems& problems)
{
    const auto it = o.FindMember(name);
    if (it == o.MemberEnd() || it->value.IsNull())
        return nullptr;
    if (!it->value.IsObject()) {
        problems.add(where + "." + name + ": expected a mapping, got " + util::json_kind(it->value));
        return nullptr;
    }
    return &it->value;
}

std::string page_token(const rapidjson::Value& v, const char* what, std::size_t max_bytes, Problems& problems)
{
    if (v.IsNull())
        return {};
    if (!v.IsString()) {
        problems.add(std::string("nextPageToken: expected a string, got ") + util::json_kind(v));
        return {};
    }
    // Percent-encoded when sent back: any printable token is usable.
    const std::string_view t(v.GetString(), v.GetStringLength());
    if (t.size() > max_bytes || !util::is_clean_text(t))
        throw std::runtime_error(std::string(what) + "'s nextPageToken is not a usable page token (" +
                                 std::to_string(t.size()) + " bytes)");
    return std::string(t);
}

namespace {

// RapidJSON 1.1 refuses a number beyond a double's range ("Number too big")
// even when told to hand numbers over as text, which would fail the whole
// answer over a field nobody reads. So the reader reads the answer through
// this stream, which follows strings as the bytes go by and shows such a
// number as 0 padded with spaces (offsets unchanged), keeping its text for
// the handler. This small lexer is kept only for that; it copies nothing.
class AnswerStream {
public:
    using Ch = char;

    explicit AnswerStream(std::string_view json) : json_(json)
    {
        // What EncodedInputStream does for a UTF-8 answer: a BOM is skipped.
        if (json_.substr(0, 3) == "\xEF\xBB\xBF")
            pos_ = 3;
        look();
    }
    Ch Peek() const { return pos_ < json_.size() ? shown(pos_) : '\0'; }
    Ch Take()
    {
        if (pos_ >= json_.size())
            return '\0';
        const Ch c = shown(pos_);
        follow(json_[pos_++]);
        look();
        return c;
    }
    std::size_t Tell() const { return pos_; }
    // Only for in-situ parsing, which read_answer does not ask for.
    Ch* PutBegin() { return nullptr; }
    void Put(Ch) {}
    void Flush() {}
    std::size_t PutEnd(Ch*) { return 0; }

    // The text of the number just read as 0, once; empty when it was read as it is.
    std::string_view take_big() { return std::exchange(big_, std::string_view()); }

private:
    Ch shown(std::size_t i) const
    {
        if (i >= big_start_ && i < big_end_)
            return i == big_start_ ? '0' : ' ';
        return json_[i];
    }
    void follow(Ch c)
    {
        if (pos_ <= number_end_) // inside a number: no quote can be there
            return;
        if (escape_)
            escape_ = false;
        else if (in_string_ && c == '\\')
            escape_ = true;
        else if (c == '"')
            in_string_ = !in_string_;
    }
    // At a number's first byte, finds where it ends and whether RapidJSON
    // would refuse it (conservatively: past 300 integer digits or a power of
    // ten of 300; such numbers are converted here, correctly, instead).
    void look();

    std::string_view json_;
    std::size_t pos_ = 0;
    bool in_string_ = false, escape_ = false;
    std::size_t number_end_ = 0;
    std::size_t big_start_ = 0, big_end_ = 0;
    std::string_view big_;
};

void AnswerStream::look()
{
    const auto digit = [&](std::size_t i) { return i < json_.size() && json_[i] >= '0' && json_[i] <= '9'; };
    if (in_string_ || pos_ < number_end_ || pos_ >= json_.size() || (json_[pos_] != '-' && !digit(pos_)))
        return;
    // Only a number that follows the JSON grammar exactly is ever shown as
    // 0: anything else stays as it is for the reader to refuse.
    std::size_t i = pos_;
    if (json_[i] == '-')
        ++i;
    const std::size_t int_start = i;
    for (; digit(i); ++i) {
    }
    const std::size_t int_digits = i - int_start;
    bool grammar = int_digits == 1 || (int_digits > 1 && json_[int_start] != '0');
    if (i < json_.size() && json_[i] == '.') {
        const std::size_t fraction = ++i;
        for (; digit(i); ++i) {
        }
        grammar = grammar && i > fraction;
    }
    std::size_t exponent = 0;
    bool negative_exponent = false;
    if (i < json_.size() && (json_[i] == 'e' || json_[i] == 'E')) {
        ++i;
        if (i < json_.size() && (json_[i] == '+' || json_[i] == '-'))
            negative_exponent = json_[i++] == '-';
        const std::size_t exponent_start = i;
        for (; digit(i); ++i)
            exponent = std::min<std::size_t>(exponent * 10 + static_cast<std::size_t>(json_[i] - '0'), 100000);
        grammar = grammar && i > exponent_start;
    }
    number_end_ = i;
    if (grammar && (int_digits > 300 || (!negative_exponent && int_digits + exponent > 300))) {
        big_start_ = pos_;
        big_end_ = i;
        big_ = json_.substr(pos_, i - pos_);
    }
}

// A number from its JSON text, as RapidJSON would type it: whole numbers
// that fit stay exact integers, the rest are correctly rounded doubles,
// and one beyond a double's range is ±inf for the field readers to note.
bool number_from_text(std::string_view text, rapidjson::Document& out)
{
    const bool negative = !text.empty() && text[0] == '-';
    const std::string_view magnitude = text.substr(negative ? 1 : 0);
    if (const auto n = parse_count(magnitude)) {
        if (!negative)
            return out.Uint64(*n);
        if (*n <= std::uint64_t{1} << 63)
            return out.Int64(static_cast<std::int64_t>(0 - *n)); // two's complement, defined in C++20
    }
    double d = 0;
    if (parser::to_double(magnitude, false, d) == parser::Conversion::syntax)
        d = std::nan("");
    return out.Double(negative ? -d : d);
}

enum class Kind { null, boolean, number, string, object, array };

const char* kind_text(Kind k)
{
    switch (k) {
    case Kind::null: return "null";
    case Kind::boolean: return "a boolean";
    case Kind::number: return "a number";
    case Kind::string: return "a string";
    case Kind::object: return "a mapping";
    case Kind::array: return "a list";
    }
    return "a value";
}

// RapidJSON's SAX handler for read_answer. It is in one of three places:
// at the root between members, in a wanted list between elements, or in a
// value being captured (built into `doc_`, or only skipped).
class AnswerHandler {
public:
    AnswerHandler(const char* what, const AnswerParts& parts, AnswerStream& stream)
        : what_(what), parts_(parts), stream_(stream), list_seen_(parts.lists.size()),
          member_seen_(parts.members.size())
    {
    }

    bool Null() { return value(Kind::null, [](rapidjson::Document& d) { return d.Null(); }); }
    bool Bool(bool b) { return value(Kind::boolean, [b](rapidjson::Document& d) { return d.Bool(b); }); }
    // Only RawNumber is called (kParseNumbersAsStringsFlag); these complete the handler.
    bool Int(int i) { return Int64(i); }
    bool Uint(unsigned u) { return Uint64(u); }
    bool Int64(std::int64_t i) { return value(Kind::number, [i](rapidjson::Document& d) { return d.Int64(i); }); }
    bool Uint64(std::uint64_t u) { return value(Kind::number, [u](rapidjson::Document& d) { return d.Uint64(u); }); }
    bool Double(double x) { return value(Kind::number, [x](rapidjson::Document& d) { return d.Double(x); }); }
    bool RawNumber(const char* s, rapidjson::SizeType n, bool)
    {
        std::string_view text = stream_.take_big();
        if (text.empty())
            text = std::string_view(s, n);
        return value(Kind::number, [text](rapidjson::Document& d) { return number_from_text(text, d); });
    }
    bool String(const char* s, rapidjson::SizeType n, bool)
    {
        return value(Kind::string, [s, n](rapidjson::Document& d) { return d.String(s, n, true); });
    }
    bool StartObject() { return value(Kind::object, [](rapidjson::Document& d) { return d.StartObject(); }); }
    bool StartArray() { return value(Kind::array, [](rapidjson::Document& d) { return d.StartArray(); }); }
    bool EndObject(rapidjson::SizeType n) { return end([n](rapidjson::Document& d) { return d.EndObject(n); }); }
    bool EndArray(rapidjson::SizeType n) { return end([n](rapidjson::Document& d) { return d.EndArray(n); }); }
    bool Key(const char* s, rapidjson::SizeType n, bool);

    // Why the handler stopped the reader, if it did.
    std::string error;
    std::exception_ptr thrown;

private:
    enum class Next { skip, list, member };          // what the root's next value is for
    enum class Capture { none, skip, element, member };

    template <class Forward>
    bool value(Kind kind, Forward&& forward);
    template <class Forward>
    bool end(Forward&& forward);
    template <class Forward>
    bool begin(Capture c, std::size_t target, Kind kind, Forward&& forward);
    bool finish();
    bool fail(std::string why)
    {
        error = std::move(why);
        return false;
    }

    const char* what_;
    const AnswerParts& parts_;
    AnswerStream& stream_;
    std::vector<bool> list_seen_, member_seen_;

    std::size_t depth_ = 0; // containers open, the root being 1
    Next next_ = Next::skip;
    std::size_t next_index_ = 0;
    std::optional<std::size_t> list_; // the list whose elements come (depth_ == 2)
    bool list_wanted_ = true;
    std::size_t list_index_ = 0, unread_ = 0;
    Capture capture_ = Capture::none;
    std::size_t capture_depth_ = 0, capture_target_ = 0;

    // Each element is built into a pool that starts in this buffer and is
    // cleared after it, so a small row costs no allocation of its own.
    alignas(16) char buffer_[4096];
    rapidjson::MemoryPoolAllocator<> pool_{buffer_, sizeof buffer_};
    rapidjson::Document doc_{&pool_};
};

bool AnswerHandler::Key(const char* s, rapidjson::SizeType n, bool)
{
    if (capture_ != Capture::none)
        return capture_ == Capture::skip || doc_.Key(s, n, true);
    // A key outside a capture is one of the root's.
    const std::string_view name(s, n);
    next_ = Next::skip;
    for (std::size_t i = 0; i < parts_.lists.size(); ++i)
        if (name == parts_.lists[i] && !list_seen_[i]) {
            list_seen_[i] = true;
            next_ = Next::list;
            next_index_ = i;
        }
    for (std::size_t i = 0; i < parts_.members.size(); ++i)
        if (name == parts_.members[i] && !member_seen_[i]) {
            member_seen_[i] = true;
            next_ = Next::member;
            next_index_ = i;
        }
    return true;
}

template <class Forward>
bool AnswerHandler::value(Kind kind, Forward&& forward)
{
    if (capture_ != Capture::none) {
        if (capture_ != Capture::skip)
            forward(doc_);
        if (kind == Kind::object || kind == Kind::array)
            ++depth_;
        return true;
    }
    if (depth_ == 0) {
        if (kind != Kind::object)
            return fail(std::string(what_) + " is " + kind_text(kind) + ", not a mapping");
        depth_ = 1;
        return true;
    }
    if (list_) {
        const std::size_t index = list_index_++;
        if (!list_wanted_) {
            ++unread_;
            return begin(Capture::skip, index, kind, forward);
        }
        return begin(Capture::element, index, kind, forward);
    }
    switch (next_) {
    case Next::skip:
        return begin(Capture::skip, 0, kind, forward);
    case Next::member:
        return begin(Capture::member, next_index_, kind, forward);
    case Next::list:
        if (kind == Kind::null)
            return true;
        if (kind != Kind::array)
            return fail(std::string(what_) + "'s \"" + parts_.lists[next_index_] + "\" is " + kind_text(kind) +
                        ", not a list");
        list_ = next_index_;
        list_wanted_ = true;
        list_index_ = unread_ = 0;
        depth_ = 2;
        return true;
    }
    return true;
}

template <class Forward>
bool AnswerHandler::begin(Capture c, std::size_t target, Kind kind, Forward&& forward)
{
    capture_ = c;
    capture_target_ = target;
    capture_depth_ = depth_;
    if (c != Capture::skip)
        forward(doc_);
    if (kind == Kind::object || kind == Kind::array) {
        ++depth_;
        return true;
    }
    return finish();
}

template <class Forward>
bool AnswerHandler::end(Forward&& forward)
{
    if (capture_ != Capture::none) {
        if (capture_ != Capture::skip)
            forward(doc_);
        return --depth_ == capture_depth_ ? finish() : true;
    }
    // The end of a list being read, or of the root.
    --depth_;
    if (list_ && depth_ == 1) {
        const std::size_t list = *list_, unread = unread_;
        list_.reset();
        if (unread > 0 && parts_.unread) {
            try {
                parts_.unread(list, unread);
            } catch (...) {
                thrown = std::current_exception();
                return false;
            }
        }
    }
    return true;
}

bool AnswerHandler::finish()
{
    const Capture c = capture_;
    capture_ = Capture::none;
    if (c == Capture::skip)
        return true;
    // The captured value is alone on the document's stack: an empty
    // generator makes Populate move it to the root.
    auto nothing_more = [](rapidjson::Document&) { return true; };
    doc_.Populate(nothing_more);
    try {
        if (c == Capture::element) {
            if (parts_.element && !parts_.element(*list_, capture_target_, doc_))
                list_wanted_ = false;
        } else if (parts_.member) {
            parts_.member(capture_target_, doc_);
        }
    } catch (...) {
        thrown = std::current_exception();
        return false;
    }
    doc_.SetNull();
    pool_.Clear();
    return true;
}

} // namespace

void read_answer(std::string_view json, const char* what, const AnswerParts& parts)
{
    AnswerStream stream(json);
    AnswerHandler handler(what, parts, stream);
    rapidjson::Reader reader;
    constexpr unsigned kFlags =
        rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag | rapidjson::kParseNumbersAsStringsFlag;
    reader.Parse<kFlags>(stream, handler);
    if (handler.thrown)
        std::rethrow_exception(handler.thrown);
    if (!handler.error.empty())
        throw std::runtime_error(handler.error);
    if (reader.HasParseError())
        throw std::runtime_error(std::string(what) + " is not valid JSON: " +
                                 rapidjson::GetParseError_En(reader.GetParseErrorCode()) + " at offset " +
                                 std::to_string(reader.GetErrorOffset()));
}

} // namespace fwm::fleet
