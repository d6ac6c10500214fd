#include "web/template.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <stdexcept>

#include "web/embedded.hpp"

namespace mh::web {

namespace json = boost::json;

struct Template::Node {
    enum class Kind { kText, kValue, kRaw, kSection, kInverted, kPartial };
    Kind kind = Kind::kText;
    std::string text;               // literal text, or the name
    std::vector<std::string> path;  // the name split at dots; empty for "."
    std::vector<Node> children;     // of a section
};

namespace {

using Node = Template::Node;
using Kind = Node::Kind;

std::vector<std::string> SplitPath(std::string_view name) {
    std::vector<std::string> path;
    if (name == ".") return path;
    std::size_t at = 0;
    for (;;) {
        const auto dot = name.find('.', at);
        path.emplace_back(name.substr(at, dot == std::string_view::npos ? std::string_view::npos : dot - at));
        if (dot == std::string_view::npos) break;
        at = dot + 1;
    }
    return path;
}

std::string_view Trim(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
}

// Recursive descent over the tags; `closing` is the section name this level ends at (empty at the top).
class Parser {
  public:
    Parser(std::string_view text, std::string_view name) : text_(text), name_(name) {}

    Result<std::vector<Node>> Parse(std::string_view closing) {
        std::vector<Node> nodes;
        while (at_ < text_.size()) {
            const auto open = text_.find("{{", at_);
            if (open != at_) {
                const auto end = open == std::string_view::npos ? text_.size() : open;
                nodes.push_back(Node{Kind::kText, std::string(text_.substr(at_, end - at_)), {}, {}});
                at_ = end;
                continue;
            }
            const bool triple = text_.substr(open, 3) == "{{{";
            const auto close = text_.find(triple ? "}}}" : "}}", open);
            if (close == std::string_view::npos) return Fail(open, "an unclosed tag");
            std::string_view tag = text_.substr(open + (triple ? 3 : 2), close - open - (triple ? 3 : 2));
            at_ = close + (triple ? 3 : 2);
            if (triple) {
                nodes.push_back(Named(Kind::kRaw, Trim(tag)));
                continue;
            }
            const char sigil = tag.empty() ? '\0' : tag.front();
            const std::string_view name = Trim(
                sigil == '#' || sigil == '^' || sigil == '/' || sigil == '>' || sigil == '!' ? tag.substr(1) : tag);
            if (name.empty()) return Fail(open, "an empty tag");
            switch (sigil) {
                case '!': break;  // a comment
                case '/':
                    if (name != closing) return Fail(open, "{{/" + std::string(name) + "}} closes nothing open");
                    return nodes;
                case '#':
                case '^': {
                    Node section = Named(sigil == '#' ? Kind::kSection : Kind::kInverted, name);
                    auto children = Parse(name);
                    if (!children) return children.error();
                    section.children = std::move(*children);
                    nodes.push_back(std::move(section));
                    break;
                }
                case '>': nodes.push_back(Node{Kind::kPartial, std::string(name), {}, {}}); break;
                default: nodes.push_back(Named(Kind::kValue, name));
            }
        }
        if (!closing.empty()) return Fail(text_.size(), "{{#" + std::string(closing) + "}} is never closed");
        return nodes;
    }

  private:
    static Node Named(Kind kind, std::string_view name) { return Node{kind, std::string(name), SplitPath(name), {}}; }

    Error Fail(std::size_t at, const std::string& what) const {
        std::size_t line = 1;
        for (std::size_t i = 0; i < at && i < text_.size(); ++i) line += text_[i] == '\n' ? 1 : 0;
        return MakeError(Errc::kInvalidArgument,
                         "template " + std::string(name_) + ", line " + std::to_string(line) + ": " + what);
    }

    std::string_view text_;
    std::string_view name_;
    std::size_t at_ = 0;
};

bool Truthy(const json::value* value) {
    if (value == nullptr || value->is_null()) return false;
    if (value->is_bool()) return value->get_bool();
    if (value->is_string()) return !value->get_string().empty();
    if (value->is_array()) return !value->get_array().empty();
    if (value->is_object()) return !value->get_object().empty();
    return true;
}

constexpr int kMaxPartialDepth = 32;

// The partials `nodes` include, sections searched too, each name once.
void CollectPartials(const std::vector<Node>& nodes, std::vector<std::string>& out) {
    for (const Node& node : nodes) {
        if (node.kind == Kind::kPartial && std::find(out.begin(), out.end(), node.text) == out.end()) {
            out.push_back(node.text);
        }
        CollectPartials(node.children, out);
    }
}

struct Renderer {
    const Catalog& texts;
    const TemplateSet& partials;
    std::string& out;
    std::vector<const json::value*> stack;
    int depth = 0;

    const json::value* Lookup(const std::vector<std::string>& path) const {
        if (path.empty()) return stack.back();
        const json::value* found = nullptr;
        for (auto it = stack.rbegin(); it != stack.rend() && found == nullptr; ++it) {
            if (const auto* object = (*it)->if_object()) found = object->if_contains(path.front());
        }
        for (std::size_t i = 1; i < path.size() && found != nullptr; ++i) {
            if (const auto* array = found->if_array()) {  // "list.0": an element, e.g. to test for a non-empty list
                std::size_t index = 0;
                const auto [end, ec] = std::from_chars(path[i].data(), path[i].data() + path[i].size(), index);
                const bool ok = ec == std::errc() && end == path[i].data() + path[i].size() && index < array->size();
                found = ok ? &(*array)[index] : nullptr;
                continue;
            }
            const auto* object = found->if_object();
            found = object ? object->if_contains(path[i]) : nullptr;
        }
        return found;
    }

    void Write(const json::value* value, bool escape) {
        if (value == nullptr) return;
        switch (value->kind()) {
            case json::kind::string: {
                const auto& s = value->get_string();
                if (escape) {
                    AppendEscaped(out, s);
                } else {
                    out.append(s.data(), s.size());
                }
                break;
            }
            case json::kind::int64: out += std::to_string(value->get_int64()); break;
            case json::kind::uint64: out += std::to_string(value->get_uint64()); break;
            case json::kind::double_:
            case json::kind::bool_: out += json::serialize(*value); break;
            default: break;  // null, objects and arrays print nothing
        }
    }

    void Run(const std::vector<Node>& nodes) {
        for (const Node& node : nodes) {
            switch (node.kind) {
                case Kind::kText: out += node.text; break;
                case Kind::kValue:
                    if (node.path.size() == 2 && node.path[0] == "t") {
                        AppendEscaped(out, texts.Text(node.path[1]));
                    } else {
                        Write(Lookup(node.path), true);
                    }
                    break;
                case Kind::kRaw: Write(Lookup(node.path), false); break;
                case Kind::kSection: Section(node); break;
                case Kind::kInverted:
                    if (!Truthy(Lookup(node.path))) Run(node.children);
                    break;
                case Kind::kPartial: Partial(node.text); break;
            }
        }
    }

    void Section(const Node& node) {
        const json::value* value = Lookup(node.path);
        if (!Truthy(value)) return;
        if (const auto* array = value->if_array()) {
            for (const auto& element : *array) {
                stack.push_back(&element);
                Run(node.children);
                stack.pop_back();
            }
        } else if (value->is_object()) {
            stack.push_back(value);
            Run(node.children);
            stack.pop_back();
        } else {
            Run(node.children);
        }
    }

    // In place, with the whole context stack: the partial sees what the including template sees. The set
    // refuses inclusion cycles (TemplateSet::Add), so the depth is bounded by the set; the guard is a backstop
    // that counts across the whole render, not per partial.
    void Partial(const std::string& name) {
        const Template* partial = partials.Find(name);
        if (partial == nullptr) throw std::logic_error("template: no partial named " + name);
        if (++depth > kMaxPartialDepth) throw std::logic_error("template: partials nest deeper than 32");
        Run(partial->nodes());
        --depth;
    }
};

}  // namespace

Result<Template> Template::Parse(std::string_view text, std::string_view name) {
    Parser parser(text, name);
    auto nodes = parser.Parse("");
    if (!nodes) return nodes.error();
    Template out;
    auto partials = std::make_shared<std::vector<std::string>>();
    CollectPartials(*nodes, *partials);
    out.nodes_ = std::make_shared<const std::vector<Node>>(std::move(*nodes));
    out.partials_ = std::move(partials);
    return out;
}

void Template::Render(const json::value& context, const Catalog& texts, const TemplateSet& partials,
                      std::string& out) const {
    Renderer renderer{texts, partials, out, {&context}};
    renderer.Run(*nodes_);
}

Result<TemplateSet> TemplateSet::LoadEmbedded() {
    TemplateSet set;
    constexpr std::string_view kPrefix = "templates/";
    constexpr std::string_view kSuffix = ".html";
    for (const auto& file : EmbeddedFiles()) {
        if (!file.name.starts_with(kPrefix) || !file.name.ends_with(kSuffix)) continue;
        const auto name = file.name.substr(kPrefix.size(), file.name.size() - kPrefix.size() - kSuffix.size());
        MH_RETURN_IF_ERROR(set.Add(name, file.data));
    }
    MH_RETURN_IF_ERROR(set.Check());
    return set;
}

Status TemplateSet::Add(std::string_view name, std::string_view text) {
    MH_ASSIGN_OR_RETURN(auto parsed, Template::Parse(text, name));
    // The set is acyclic before this Add, so a cycle now must pass through `name`: search the inclusions from
    // the new template, over the templates present, for a way back to it.
    std::vector<std::string> chain{std::string(name)};
    std::vector<std::string> visited;
    const auto reaches_name = [&](const auto& self, const std::vector<std::string>& includes) -> bool {
        for (const std::string& partial : includes) {
            chain.push_back(partial);
            if (partial == name) return true;
            if (std::find(visited.begin(), visited.end(), partial) == visited.end()) {
                visited.push_back(partial);
                if (const Template* next = Find(partial); next != nullptr && self(self, next->partials())) return true;
            }
            chain.pop_back();
        }
        return false;
    };
    if (reaches_name(reaches_name, parsed.partials())) {
        std::string path;
        for (const std::string& step : chain) path += (path.empty() ? "" : " > ") + step;
        return MakeError(Errc::kInvalidArgument, "template " + std::string(name) + " includes itself: " + path);
    }
    templates_.insert_or_assign(std::string(name), std::move(parsed));
    return {};
}

Status TemplateSet::Check() const {
    for (const auto& [name, page] : templates_) {
        for (const std::string& partial : page.partials()) {
            if (Find(partial) == nullptr) {
                return MakeError(Errc::kInvalidArgument,
                                 "template " + name + " includes " + partial + ", which is no template of the set");
            }
        }
    }
    return {};
}

const Template* TemplateSet::Find(std::string_view name) const {
    const auto it = templates_.find(name);
    return it == templates_.end() ? nullptr : &it->second;
}

std::string TemplateSet::Render(std::string_view name, const json::value& context, const Catalog& texts) const {
    const Template* page = Find(name);
    if (page == nullptr) throw std::logic_error("template: no template named " + std::string(name));
    std::string out;
    out.reserve(16 * 1024);
    page->Render(context, texts, *this, out);
    return out;
}

void AppendEscaped(std::string& out, std::string_view text) {
    for (const char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
}

std::string Escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    AppendEscaped(out, text);
    return out;
}

}  // namespace mh::web
