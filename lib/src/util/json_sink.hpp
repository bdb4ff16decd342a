// RapidJSON output straight into a std::string: the buffers the ABI hands
// out are built in place, without a second copy. RapidJSON calls Put() once
// per character, so the sink writes through a raw cursor and grows the
// string geometrically instead of calling push_back. Every Put() is checked:
// no unchecked PutUnsafe() for this sink, since the room RapidJSON reserves
// for a string (2 + 6 x its length, in 32 bits) wraps past 715 MB.
//
// JsonWriter is the library's one JSON writer. Its default flags copy a
// string's bytes as they are (a writer that validates stops mid-document at
// a bad byte) and refuse NaN and infinities (callers write those their way).
#pragma once

#include <string>
#include <string_view>

#include <rapidjson/writer.h>

namespace fwm::util {

class StringSink {
public:
    using Ch = char;

    explicit StringSink(std::string& out)
        : out_(out), size_(out.size())
    {
        out_.resize(out_.capacity() > size_ + 64 ? out_.capacity() : size_ + 256);
    }
    ~StringSink() { out_.resize(size_); }
    StringSink(const StringSink&) = delete;
    StringSink& operator=(const StringSink&) = delete;

    void Put(char c)
    {
        if (size_ == out_.size()) [[unlikely]]
            grow();
        out_[size_++] = c;
    }
    void Flush() { out_.resize(size_); }

private:
    [[gnu::noinline]] void grow() { out_.resize(out_.size() * 2 + 256); }

    std::string& out_;
    std::size_t size_;
};

using JsonWriter = rapidjson::Writer<StringSink>;

inline void write_string(JsonWriter& w, std::string_view s)
{
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

} // namespace fwm::util
