// clean_text: what every message, log line and reason goes through before
// it leaves the library.
#include <boost/test/unit_test.hpp>

#include <string>

#include "util/model_tag.hpp"
#include "util/text.hpp"

using fwm::util::clean_text;
using fwm::util::is_clean_text;
using fwm::util::valid_utf8;

BOOST_AUTO_TEST_SUITE(text)

BOOST_AUTO_TEST_CASE(clean_text_passes_printable_utf8_as_it_is)
{
    const std::string s = "caf\xc3\xa9 \xe2\x82\xac 100 \xf0\x9f\x94\xa5 done";
    BOOST_TEST(clean_text(s) == s);
    BOOST_TEST(is_clean_text(s));
}

BOOST_AUTO_TEST_CASE(control_bytes_and_invalid_utf8_are_escaped)
{
    BOOST_TEST(clean_text("a\nb\rc\td\x1b[31m\x7f") == "a\\nb\\rc\\td\\x1b[31m\\x7f");
    BOOST_TEST(clean_text("\xff\xfe ok \xc3") == "\\xff\\xfe ok \\xc3");
    BOOST_TEST(clean_text("\xed\xa0\x80") == "\\xed\\xa0\\x80"); // a surrogate is not UTF-8
    BOOST_TEST(clean_text("\xc0\xaf") == "\\xc0\\xaf");          // nor an overlong '/'
}

BOOST_AUTO_TEST_CASE(characters_that_steer_a_terminal_or_a_reader_are_escaped)
{
    // C1 CSI, NEL, line separator, right-to-left override, isolate, zero width space, BOM.
    BOOST_TEST(clean_text("a\xc2\x9b" "31mb") == "a\\u009b31mb");
    BOOST_TEST(clean_text("\xc2\x85|\xe2\x80\xa8|\xe2\x80\xae|\xe2\x81\xa6|\xe2\x80\x8b|\xef\xbb\xbf") ==
               "\\u0085|\\u2028|\\u202e|\\u2066|\\u200b|\\ufeff");
    BOOST_TEST(!is_clean_text("evil\xe2\x80\xaetxt.exe"));
    // Soft hyphen, Mongolian vowel separator, a Hangul filler, an invisible tag character.
    BOOST_TEST(clean_text("\xc2\xad|\xe1\xa0\x8e|\xe3\x85\xa4|\xf3\xa0\x80\x81") == "\\u00ad|\\u180e|\\u3164|\\U000e0001");
}

BOOST_AUTO_TEST_CASE(text_is_cut_at_a_character_boundary)
{
    std::string s;
    for (int i = 0; i < 100; ++i)
        s += "\xc3\xa9"; // 200 bytes of two-byte characters
    for (std::size_t max = 1; max < 40; ++max) {
        const std::string out = clean_text(s, max);
        BOOST_TEST(valid_utf8(out));
        BOOST_TEST(out.size() <= max + 3);
        BOOST_TEST(out.substr(out.size() - 3) == "...");
    }
    BOOST_TEST(fwm::util::utf8_prefix(s, 5) == 4u);
}

BOOST_AUTO_TEST_CASE(the_model_tag_is_the_base_models_last_segment_and_never_a_guess)
{
    using fwm::util::model_tag_of;
    BOOST_TEST(model_tag_of("accounts/fireworks/models/llama-v3p1-8b-instruct") == "llama-v3p1-8b-instruct");
    BOOST_TEST(model_tag_of("llama") == "llama");
    // A name ending in '/' names no model: no tag, rather than "models".
    BOOST_TEST(model_tag_of("accounts/fireworks/models/") == "");
    BOOST_TEST(model_tag_of("") == "");
    BOOST_TEST(model_tag_of("/") == "");
}

BOOST_AUTO_TEST_SUITE_END()
