// Catalog: the texts of one language (web/i18n/<lang>.json, flat "key": "text" objects), falling back to
// English for keys a translation lacks. Immutable once built; thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace mh::web {

class Catalog {
  public:
    // Parses a catalog's JSON text; `fallback` (may be null) answers keys this one lacks.
    static Result<Catalog> Parse(std::string_view language, std::string_view json, const Catalog* fallback);

    const std::string& language() const { return language_; }
    // The text for `key`; the key itself when no catalog has it (visible, so that a missing text is noticed).
    std::string_view Text(std::string_view key) const;
    bool Has(std::string_view key) const { return texts_.contains(key); }
    std::vector<std::string> Keys() const;

  private:
    std::string language_;
    std::map<std::string, std::string, std::less<>> texts_;
    const Catalog* fallback_ = nullptr;
};

// The languages the UI speaks, English first (the fallback of the others).
class Catalogs {
  public:
    static Result<Catalogs> LoadEmbedded();

    // The catalog for a language code ("de", "de-CH" and "de_DE" all give German); English when unknown.
    const Catalog& For(std::string_view language) const;
    // The best of an Accept-Language header's languages.
    const Catalog& ForAcceptLanguage(std::string_view header) const;
    const std::vector<std::unique_ptr<Catalog>>& all() const { return catalogs_; }

  private:
    std::vector<std::unique_ptr<Catalog>> catalogs_;  // stable addresses: each points at English
};

}  // namespace mh::web
