// Template: a small Mustache dialect for the server-rendered pages, parsed once at start.
//
//   {{name}} {{a.b}} {{.}}     the value, HTML-escaped (strings as they are, numbers, true/false)
//   {{{name}}}                 the value unescaped: only for markup the page code built itself
//   {{#name}}..{{/name}}       once per element of an array, once with an object pushed, once if truthy
//   {{^name}}..{{/name}}       once if missing or falsy (null, false, "", [], {})
//   {{>name}}                  another template of the set, rendered in the current context
//   {{t.key}}                  the user's language's text for `key` (escaped), English when missing
//
// Names resolve from the innermost context outwards, like Mustache. Render() is const and thread-safe.
#pragma once

#include <boost/json/value.hpp>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "web/catalog.hpp"

namespace mh::web {

class TemplateSet;

class Template {
  public:
    static Result<Template> Parse(std::string_view text, std::string_view name);

    void Render(const boost::json::value& context, const Catalog& texts, const TemplateSet& partials,
                std::string& out) const;

    struct Node;

  private:
    std::shared_ptr<const std::vector<Node>> nodes_;
};

// Every template of the embedded web/templates/, by file name without ".html".
class TemplateSet {
  public:
    // Parses every embedded template; an error names the template and the position.
    static Result<TemplateSet> LoadEmbedded();
    Status Add(std::string_view name, std::string_view text);

    const Template* Find(std::string_view name) const;
    // Renders `name`; an unknown name is a programming error (throws).
    std::string Render(std::string_view name, const boost::json::value& context, const Catalog& texts) const;

  private:
    std::map<std::string, Template, std::less<>> templates_;
};

// Appends `text` with & < > " ' replaced by entities.
void AppendEscaped(std::string& out, std::string_view text);
std::string Escape(std::string_view text);

}  // namespace mh::web
