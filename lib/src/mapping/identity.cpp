#include "mapping/identity.hpp"

#include <algorithm>
#include <cstring>

#include "util/model_tag.hpp"
#include "util/stream_hash.hpp"

namespace fwm::mapping {

using parser::Label;

namespace {

// Whether two label lists are the same, pair by pair, leaving out `le`
// when it is not part of the identity: the cheap test that a sample
// belongs to the previous sample's group (a histogram's bucket lines).
bool same_labels(const std::vector<Label>& a, const Label* b, std::uint32_t b_count, bool skip_le)
{
    std::size_t i = 0;
    for (std::uint32_t j = 0; j < b_count; ++j) {
        if (skip_le && b[j].name == "le")
            continue;
        while (i < a.size() && skip_le && a[i].name == "le")
            ++i;
        if (i == a.size() || a[i].name != b[j].name || a[i].value != b[j].value)
            return false;
        ++i;
    }
    while (i < a.size() && skip_le && a[i].name == "le")
        ++i;
    return i == a.size();
}

} // namespace

void Grouper::reserve(std::size_t samples)
{
    if (by_key_.empty())
        by_key_.reserve(samples / 8 + 16);
}

std::uint32_t Grouper::group(const parser::ParseResult& r, std::uint32_t index, bool histogram,
                             const MappingOptions& options, const std::vector<std::string>& instance_tags)
{
    const parser::Sample& s = r.samples[index];
    const Label* labels = r.labels_of(s);
    if (same_as_last(labels, s.labels_count, histogram)) {
        if (histogram)
            track_source(s.name);
        return last_group_;
    }
    last_labels_.assign(labels, labels + s.labels_count);
    last_histogram_ = histogram;
    collect_tags(labels, s.labels_count, histogram, options);
    if (histogram) {
        last_source_name_ = {};
        track_source(s.name);
    }
    sort_identity(instance_tags);
    return find_or_add();
}

bool Grouper::same_as_last(const Label* labels, std::uint32_t count, bool histogram) const
{
    return last_group_ != kNone && last_histogram_ == histogram && same_labels(last_labels_, labels, count, histogram);
}

// The sample's tags, in the order its labels came; and for a histogram
// bucket, its labels but le order-free (a sum of one hash per label).
void Grouper::collect_tags(const Label* labels, std::uint32_t count, bool histogram, const MappingOptions& options)
{
    const auto& exclude_labels = options.exclude_labels;
    const auto& renames = options.rename_labels;
    sample_text_.clear();
    sample_spans_.clear();
    auto add = [this](std::string_view a, std::string_view b) {
        const std::size_t at = sample_text_.size();
        sample_text_.append(a).append(":").append(b);
        sample_spans_.emplace_back(at, sample_text_.size() - at);
    };
    std::uint64_t label_source = 0;
    for (std::uint32_t i = 0; i < count; ++i) {
        const Label& l = labels[i];
        if (l.value.empty() || (histogram && l.name == "le"))
            continue;
        if (histogram) {
            util::StreamHash h;
            h.add(l.name);
            h.add(l.value);
            label_source += h.finish();
        }
        if (std::find(exclude_labels.begin(), exclude_labels.end(), l.name) != exclude_labels.end())
            continue;
        std::string_view name = l.name;
        if (!renames.empty()) {
            const auto r = std::lower_bound(renames.begin(), renames.end(), name,
                                            [](const auto& rename, std::string_view n) { return rename.first < n; });
            if (r != renames.end() && r->first == name)
                name = r->second;
        }
        add(name, l.value);
        if (l.name == "base_model") {
            const std::string_view model = util::model_tag_of(l.value); // the rule the fleet report uses too
            if (!model.empty())
                add("model", model);
        }
    }
    if (histogram)
        last_label_source_ = label_source;
}

// The sample's tags but those an instance tag gives, sorted, repeats dropped.
void Grouper::sort_identity(const std::vector<std::string>& instance_tags)
{
    identity_.clear();
    for (const auto& [at, size] : sample_spans_) {
        const std::string_view tag(sample_text_.data() + at, size);
        if (!std::binary_search(instance_tags.begin(), instance_tags.end(), tag,
                                [](std::string_view a, std::string_view b) { return a < b; }))
            identity_.push_back(tag);
    }
    std::sort(identity_.begin(), identity_.end());
    identity_.erase(std::unique(identity_.begin(), identity_.end()), identity_.end());
}

bool Grouper::is(const Identity& id) const
{
    if (id.count != identity_.size())
        return false;
    for (std::uint32_t i = 0; i < id.count; ++i) {
        const auto& [at, size] = spans_[id.begin + i];
        if (std::string_view(text_.data() + at, size) != identity_[i])
            return false;
    }
    return true;
}

// The group whose tags are the sample's identity, made when there is none.
std::uint32_t Grouper::find_or_add()
{
    if (last_group_ != kNone && is(identities_[last_group_]))
        return last_group_;
    util::StreamHash h;
    for (const std::string_view tag : identity_)
        h.add(tag);
    const std::uint64_t hash = h.finish();
    for (std::uint64_t key = hash;; key += 0x9e3779b97f4a7c15ULL) { // a collision takes the next key
        const auto [it, inserted] = by_key_.try_emplace(key, static_cast<std::uint32_t>(identities_.size()));
        if (inserted)
            break;
        if (is(identities_[it->second]))
            return last_group_ = it->second;
    }
    last_group_ = static_cast<std::uint32_t>(identities_.size());
    Identity& id = identities_.emplace_back();
    id.hash = hash;
    id.begin = static_cast<std::uint32_t>(spans_.size());
    id.count = static_cast<std::uint32_t>(identity_.size());
    id.text_at = static_cast<std::uint32_t>(text_.size());
    for (const std::string_view tag : identity_) {
        const auto size = static_cast<std::uint32_t>(tag.size());
        char prefix[sizeof size];
        std::memcpy(prefix, &size, sizeof size);
        text_.append(prefix, sizeof size);
        spans_.emplace_back(static_cast<std::uint32_t>(text_.size()), size);
        text_.append(tag);
    }
    id.text_size = static_cast<std::uint32_t>(text_.size()) - id.text_at;
    return last_group_;
}

// A histogram bucket's series: its name's hash plus its labels' (collect_tags).
void Grouper::track_source(std::string_view name)
{
    if (name != last_source_name_) {
        util::StreamHash h;
        h.add(name);
        last_source_ = h.finish() + last_label_source_;
        last_source_name_ = name;
    }
}

void Grouper::append_tags(std::uint32_t g, std::vector<std::string_view>& out) const
{
    const Identity& id = identities_[g];
    for (std::uint32_t i = 0; i < id.count; ++i) {
        const auto& [at, size] = spans_[id.begin + i];
        out.emplace_back(text_.data() + at, size);
    }
}

std::string_view Grouper::text(std::uint32_t g) const
{
    const Identity& id = identities_[g];
    return std::string_view(text_).substr(id.text_at, id.text_size);
}

} // namespace fwm::mapping
