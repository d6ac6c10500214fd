#include "web/catalog.hpp"

#include <boost/json.hpp>

#include "web/embedded.hpp"

namespace mh::web {

namespace json = boost::json;

namespace {

// "de" and "DE" are one language; catalog codes are lower case.
bool SameLanguage(std::string_view code, std::string_view catalog_language) {
    return code.size() == catalog_language.size() && std::equal(code.begin(), code.end(), catalog_language.begin(),
                                                                [](char a, char b) { return (a | 0x20) == b; });
}

}  // namespace

Result<Catalog> Catalog::Parse(std::string_view language, std::string_view text, const Catalog* fallback) {
    boost::system::error_code ec;
    const json::value parsed = json::parse(text, ec);
    if (ec || !parsed.is_object()) {
        return MakeError(Errc::kInvalidArgument, "catalog " + std::string(language) + ": not a JSON object");
    }
    Catalog catalog;
    catalog.language_ = std::string(language);
    catalog.fallback_ = fallback;
    for (const auto& [key, value] : parsed.get_object()) {
        if (!value.is_string()) {
            return MakeError(Errc::kInvalidArgument,
                             "catalog " + std::string(language) + ": " + std::string(key) + " is not a string");
        }
        catalog.texts_.emplace(std::string(key), std::string(value.get_string()));
    }
    return catalog;
}

std::string_view Catalog::Text(std::string_view key) const {
    if (const auto it = texts_.find(key); it != texts_.end()) return it->second;
    if (fallback_ != nullptr) return fallback_->Text(key);
    return key;
}

std::vector<std::string> Catalog::Keys() const {
    std::vector<std::string> keys;
    for (const auto& [key, text] : texts_) keys.push_back(key);
    return keys;
}

Result<Catalogs> Catalogs::LoadEmbedded() {
    Catalogs catalogs;
    const auto english = FindEmbedded("i18n/en.json");
    if (!english) return MakeError(Errc::kInternal, "the English catalog is not embedded");
    MH_ASSIGN_OR_RETURN(auto en, Catalog::Parse("en", *english, nullptr));
    catalogs.catalogs_.push_back(std::make_unique<Catalog>(std::move(en)));
    for (const auto& file : EmbeddedFiles()) {
        if (!file.name.starts_with("i18n/") || !file.name.ends_with(".json") || file.name == "i18n/en.json") continue;
        const auto language = file.name.substr(5, file.name.size() - 10);
        MH_ASSIGN_OR_RETURN(auto catalog, Catalog::Parse(language, file.data, catalogs.catalogs_.front().get()));
        catalogs.catalogs_.push_back(std::make_unique<Catalog>(std::move(catalog)));
    }
    return catalogs;
}

const Catalog& Catalogs::For(std::string_view language) const {
    const auto primary = language.substr(0, language.find_first_of("-_"));
    for (const auto& catalog : catalogs_) {
        if (SameLanguage(primary, catalog->language())) return *catalog;
    }
    return *catalogs_.front();
}

const Catalog& Catalogs::ForAcceptLanguage(std::string_view header) const {
    // "de-CH,de;q=0.9,en;q=0.8": the first listed language we speak (browsers list by preference).
    std::size_t at = 0;
    while (at < header.size()) {
        auto end = header.find(',', at);
        if (end == std::string_view::npos) end = header.size();
        auto item = header.substr(at, end - at);
        item = item.substr(0, item.find(';'));
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        const auto primary = item.substr(0, item.find_first_of("-_"));
        if (const Catalog& match = For(primary); SameLanguage(primary, match.language())) return match;
        at = end + 1;
    }
    return *catalogs_.front();
}

}  // namespace mh::web
