// A Location header resolved against the URL it came from: RFC 3986 §5.2.
// Boost.URL 1.81's url::resolve is not used: it keeps dot segments above
// the root ("../../../g" gives "/../g", not "/g") and decodes escapes such
// as "%2F" in the path, which changes what the server is asked for. Nor
// does Boost.URL read the reference: it refuses text servers send and
// take, such as "?match[]=up", which is followed as written.
#include "http/url.hpp"

#include <algorithm>

namespace fwm::http {
namespace {

// RFC 3986 §5.2.4 on the path as written: an escaped dot ("%2E") is not a
// dot segment here, so the server reads what it sent. Linear in the size.
std::string remove_dot_segments(std::string_view in)
{
    std::string out;
    out.reserve(in.size());
    const auto pop_segment = [&out] {
        const auto slash = out.rfind('/');
        out.erase(slash == std::string::npos ? 0 : slash);
    };
    while (!in.empty()) {
        if (in.starts_with("../")) {
            in.remove_prefix(3);
        } else if (in.starts_with("./") || in.starts_with("/./")) {
            in.remove_prefix(2);
        } else if (in == "/.") {
            in = "/";
        } else if (in.starts_with("/../")) {
            in.remove_prefix(3);
            pop_segment();
        } else if (in == "/..") {
            in = "/";
            pop_segment();
        } else if (in == "." || in == "..") {
            in = {};
        } else {
            const auto end = std::min(in.find('/', 1), in.size());
            out.append(in.substr(0, end));
            in.remove_prefix(end);
        }
    }
    return out.empty() ? "/" : out;
}

// A target ("path?query") with its path's dot segments removed.
std::string without_dot_segments(std::string_view target)
{
    const auto query = std::min(target.find('?'), target.size());
    return remove_dot_segments(target.substr(0, query)) + std::string(target.substr(query));
}

// RFC 3986 §5.2.2 for a reference with neither scheme nor authority.
Url resolve_relative(const Url& base, std::string_view location)
{
    const std::string_view ref = location.substr(0, location.find('#')); // the fragment stays with the client
    const auto q = std::min(ref.find('?'), ref.size());
    const std::string_view path = ref.substr(0, q), query = ref.substr(q); // query: "" or "?..."
    Url u = base;
    u.user.clear();
    u.password.clear();
    const std::string_view base_path = std::string_view(base.target).substr(0, base.target.find('?'));
    if (path.empty()) // the base's path, and its query unless the reference has one
        u.target = query.empty() ? base.target : std::string(base_path);
    else if (path[0] == '/')
        u.target = remove_dot_segments(path);
    else // §5.2.3: merged with the base path up to its last '/'
        u.target = remove_dot_segments(std::string(base_path.substr(0, base_path.rfind('/') + 1)) + std::string(path));
    u.target += query;
    return u;
}

} // namespace

std::optional<Url> resolve_location(const Url& base, std::string_view location, std::string& error)
{
    if (!printable_ascii(location, error))
        return std::nullopt;
    // RFC 3986 Appendix B: a ':' before any '/', '?' or '#' ends a scheme.
    const auto delimiter = location.find_first_of(":/?#");
    std::optional<Url> u;
    if (location.starts_with("//")) // a network-path reference keeps the scheme
        u = parse_url(base.scheme + ":" + std::string(location), error);
    else if (delimiter != std::string_view::npos && location[delimiter] == ':')
        u = parse_url(location, error);
    else
        return resolve_relative(base, location);
    if (u) {
        u->target = without_dot_segments(u->target);
        u->user.clear(); // a Location's userinfo is never sent anywhere
        u->password.clear();
    }
    return u;
}

} // namespace fwm::http
