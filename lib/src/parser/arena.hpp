// Bump allocator for the few strings the parser must unescape. Blocks never
// move, so string_views into them survive moves of the owning result.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace fwm::parser {

class Arena {
public:
    // Returns `size` writable bytes that live as long as the arena.
    char* allocate(std::size_t size)
    {
        if (size > left_) {
            const std::size_t block = size > kBlock / 4 ? size : kBlock;
            blocks_.push_back(std::make_unique<char[]>(block));
            next_ = blocks_.back().get();
            left_ = block;
        }
        char* out = next_;
        next_ += size;
        left_ -= size;
        return out;
    }

    std::string_view copy(std::string_view s)
    {
        char* out = allocate(s.size());
        if (!s.empty())
            std::memcpy(out, s.data(), s.size());
        return {out, s.size()};
    }

    std::size_t blocks() const noexcept { return blocks_.size(); }

private:
    static constexpr std::size_t kBlock = 16 * 1024;
    std::vector<std::unique_ptr<char[]>> blocks_;
    char* next_ = nullptr;
    std::size_t left_ = 0;
};

} // namespace fwm::parser
