// Reading fields of Fireworks' API answers, which follow protobuf's JSON
// mapping: int64 values may come as strings, any field may be missing, and
// an answer from the network is hostile until checked. Every field that is
// present but unusable is noted as a problem and read as absent; a field
// that is not read cannot fail the answer, whatever it holds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

namespace fwm::fleet {

// Problems met while reading one answer: counted, the first few kept.
struct Problems {
    static constexpr std::size_t kKept = 5;
    std::size_t count = 0;
    std::vector<std::string> first;
    void add(std::string what);
};

// The longest text kept from an answer's field: Datadog's tag length.
inline constexpr std::size_t kMaxTextBytes = 200;

// A bounded, printable copy of a string field (clean_text), or nothing.
std::optional<std::string> text_field(const rapidjson::Value& object, const char* name, std::string_view where,
                                      std::size_t max_bytes, Problems& problems);

// A count: a non-negative JSON integer or a string of decimal digits (an
// int64 in protobuf JSON), read exactly; nothing when absent or unusable
// (a fraction, a negative, or a number beyond a double's range is noted).
std::optional<std::uint64_t> count_field(const rapidjson::Value& object, const char* name, std::string_view where,
                                         Problems& problems);

// A non-negative finite quantity: a JSON number or a decimal string
// ("12", "12.5"), read with correct rounding; one beyond a double's range
// is noted and read as absent.
std::optional<double> quantity_field(const rapidjson::Value& object, const char* name, std::string_view where,
                                     Problems& problems);

// A number that may be negative or fractional: a JSON number or a decimal
// string ("-1", "12.5"); nothing when absent, unusable or not finite (noted).
std::optional<double> number_field(const rapidjson::Value& object, const char* name, std::string_view where,
                                   Problems& problems);

// A member that must be a mapping when present; null when absent, null or
// not a mapping (noted).
const rapidjson::Value* object_member(const rapidjson::Value& object, const char* name, const std::string& where,
                                      Problems& problems);

// A List answer's nextPageToken ("" when absent or null). Throws
// std::runtime_error naming `what` when it is not a usable token (too long
// or not printable): a page token is sent back, so it is never guessed at.
std::string page_token(const rapidjson::Value& v, const char* what, std::size_t max_bytes, Problems& problems);

// What a reader wants of one answer. The answer is read as a stream: each
// element of a `lists` member is built alone into a small Document, handed
// to `element` and dropped; a `members` member is built whole and handed to
// `member`; everything else is read past without being stored. So memory is
// the body plus one element plus what the callbacks keep, whatever arrives.
// Only the first of two members with the same name is read (as FindMember).
// Numbers are read from their text, so none can fail the answer: a whole
// number that fits is an exact integer, any other a correctly rounded
// double, ±inf beyond a double's range (the field readers above note it).
struct AnswerParts {
    std::vector<const char*> lists;
    std::vector<const char*> members;
    // The index-th element of lists[list]; false to only count the rest of that list.
    std::function<bool(std::size_t list, std::size_t index, const rapidjson::Value& element)> element;
    // How many elements of lists[list] came after the one `element` declined.
    std::function<void(std::size_t list, std::size_t count)> unread;
    std::function<void(std::size_t member, const rapidjson::Value& value)> member;
};

// Sets parts.element and parts.unread to read the one list of `parts` into
// `out`: `read(element, index, item)` fills an item (false: not usable,
// skipped); past `max` items the rest are skipped and that is noted, naming
// `what` ("quotas").
template <class T, class Read>
void read_list_into(AnswerParts& parts, std::vector<T>& out, std::size_t max, std::size_t& skipped, Problems& problems,
                    const char* what, Read read)
{
    parts.element = [&out, &skipped, &problems, max, what, read](std::size_t, std::size_t index,
                                                                 const rapidjson::Value& v) {
        if (out.size() == max) {
            ++skipped;
            problems.add("more than " + std::to_string(max) + " " + what + " in one answer; the rest are skipped");
            return false;
        }
        T item;
        if (read(v, index, item))
            out.push_back(std::move(item));
        else
            ++skipped;
        return true;
    };
    parts.unread = [&skipped](std::size_t, std::size_t count) { skipped += count; };
}

// Reads one API answer (iteratively: no nesting depth can exhaust the
// stack). Throws std::runtime_error naming `what` ("the usage answer") when
// it is not valid JSON, not a mapping, or one of `lists` is present, not
// null and not a list; an exception from a callback ends the read and
// passes through.
void read_answer(std::string_view json, const char* what, const AnswerParts& parts);

// Exactly reads a string of 1 to 20 decimal digits into a uint64.
std::optional<std::uint64_t> parse_count(std::string_view digits) noexcept;

// The last path segment of a resource name ("accounts/a/deployments/d" -> "d").
std::string_view last_segment(std::string_view name) noexcept;

} // namespace fwm::fleet
