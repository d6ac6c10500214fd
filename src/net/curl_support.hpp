// Private to net: the libcurl plumbing that the HTTP client and the SMTP sender share. Included only by their .cpp
// files, so that curl.h stays out of every public header.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "core/result.hpp"

namespace mh::net::curl {

struct EasyDeleter {
    void operator()(CURL* handle) const noexcept { curl_easy_cleanup(handle); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;

// curl_global_init once per process (thread-safe), then a fresh easy handle; null only when out of memory.
Easy NewEasy();

struct SlistDeleter {
    void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// Appends `text` (copied) to `list`; false when out of memory.
bool Append(Slist& list, const char* text);

// What a TLS failure means for the caller, the same for HTTP and SMTP: the category and the message (without the
// peer's name, which the caller adds). nullopt for codes that are not about TLS.
std::optional<std::pair<Errc, std::string>> TlsFailure(CURLcode code);

}  // namespace mh::net::curl
