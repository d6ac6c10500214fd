// Template: a small Mustache dialect for the server-rendered pages, parsed once at start.
//
//   {{name}} {{a.b}} {{.}}     the value, HTML-escaped (strings as they are, numbers, true/false)
//   {{{name}}}                 the value unescaped: only for markup the page code built itself
//   {{#name}}..{{/name}}       once per element of an array, once with an object pushed, once if truthy
//   {{^name}}..{{/name}}       once if missing or falsy (null, false, "", [], {})
//   {{>name}}                  another template of the set, rendered in place: it sees every context the
//                              including template sees at that point (its own variables and the outer ones)
//   {{t.key}}                  the user's language's text for `key` (escaped), English when missing
//
// Names resolve from the innermost context outwards, like Mustache. A template that includes itself, directly or
// through other partials, is refused when it is added (even inside a section that may be empty at render time:
// the set stays a tree of inclusions, so rendering never recurses without end). Render() is const and
// thread-safe.
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

    // The names of the partials it includes, each once, in order of first appearance.
    const std::vector<std::string>& partials() const { return *partials_; }

    struct Node;
    const std::vector<Node>& nodes() const { return *nodes_; }

  private:
    std::shared_ptr<const std::vector<Node>> nodes_;
    std::shared_ptr<const std::vector<std::string>> partials_;
};

// Every template of the embedded web/templates/, by file name without ".html".
class TemplateSet {
  public:
    // Parses every embedded template; an error names the template and the position, an inclusion cycle or a
    // partial that no template provides.
    static Result<TemplateSet> LoadEmbedded();
    // Parses and adds (or replaces) `name`. kInvalidArgument for a syntax error, or when the template would
    // include itself, directly or through the set's templates (the message names the chain, e.g.
    // "a > b > a"); the set is then unchanged. A partial not added yet is fine here (see Check).
    Status Add(std::string_view name, std::string_view text);
    // Every partial that a template includes is in the set.
    Status Check() const;

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
