// Private to net: the libcurl plumbing that the HTTP client and the SMTP sender share. Included only by their .cpp
// files, so that curl.h stays out of every public header.
#pragma once

#include <curl/curl.h>

#include <memory>

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

}  // namespace mh::net::curl
