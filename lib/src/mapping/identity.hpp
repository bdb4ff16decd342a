// Step 2 of a run, identity: which samples become one submission. A
// sample's identity is the set of tags Datadog sees for it (the Agent
// sorts a point's tags and drops repeats to find its series): its labels
// as name:value (renamed as rename_labels says), without the excluded ones,
// the empty values and, for histogram buckets, le; the model tag derived from base_model; and none
// that an instance tag already gives. Samples with equal sets share a
// group, whatever the order or form their labels came in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "mapping/options.hpp"
#include "parser/parser.hpp"
#include "util/stream_hash.hpp"

namespace fwm::mapping {

// The groups of one run, numbered in the order their first sample came.
class Grouper {
public:
    // Room for the groups of a payload of `samples` samples.
    void reserve(std::size_t samples);

    // The group of sample `index` of `r`: an identity not seen before in
    // this run is numbered size() (as it was before the call). What makes
    // two label sets one tag set: the labels left out (exclude_labels), the
    // names they take (rename_labels) and the instance's tags (sorted), the
    // same for every call of a run.
    std::uint32_t group(const parser::ParseResult& r, std::uint32_t index, bool histogram,
                        const MappingOptions& options, const std::vector<std::string>& instance_tags);

    // The series of the histogram bucket grouped last (its name, and its
    // labels but le, order-free), to find an le repeated within one series.
    std::uint64_t source() const { return last_source_; }

    std::size_t size() const { return identities_.size(); }
    // Appends group `g`'s tags, sorted and unique, valid while this lives.
    void append_tags(std::uint32_t g, std::vector<std::string_view>& out) const;
    // Group `g`'s identity as one text: its tags, each after its length (4
    // bytes), so that two identities are equal exactly when their texts are.
    std::string_view text(std::uint32_t g) const;
    // The hash of group `g`'s tags: the same for the same tags in every run.
    std::uint64_t hash(std::uint32_t g) const { return identities_[g].hash; }

private:
    struct Identity {
        std::uint32_t begin = 0; // its tags, sorted, in spans_
        std::uint32_t count = 0;
        std::uint32_t text_at = 0; // its text(), in text_
        std::uint32_t text_size = 0;
        std::uint64_t hash = 0;
    };
    static constexpr std::uint32_t kNone = UINT32_MAX;

    bool same_as_last(const parser::Label* labels, std::uint32_t count, bool histogram) const;
    void collect_tags(const parser::Label* labels, std::uint32_t count, bool histogram, const MappingOptions& options);
    void sort_identity(const std::vector<std::string>& instance_tags);
    bool is(const Identity& id) const;
    std::uint32_t find_or_add();
    void track_source(std::string_view name);

    std::vector<Identity> identities_;
    boost::unordered_flat_map<std::uint64_t, std::uint32_t, util::Prehashed> by_key_; // identity hash -> index; a collision takes the next key
    std::string text_;                                        // every group's text(), back to back
    std::vector<std::pair<std::uint32_t, std::uint32_t>> spans_; // (offset, size) in text_
    // The sample being grouped.
    std::string sample_text_;                                   // its tags
    std::vector<std::pair<std::size_t, std::size_t>> sample_spans_; // (offset, size) in sample_text_
    std::vector<std::string_view> identity_;                    // ... sorted and unique
    // The sample grouped last, usually like the next.
    std::vector<parser::Label> last_labels_;
    bool last_histogram_ = false;
    std::uint32_t last_group_ = kNone;
    std::uint64_t last_label_source_ = 0;
    std::string_view last_source_name_;
    std::uint64_t last_source_ = 0;
};

} // namespace fwm::mapping
