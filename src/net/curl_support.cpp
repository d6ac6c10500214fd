#include "net/curl_support.hpp"

#include <mutex>
#include <stdexcept>

namespace mh::net::curl {

Easy NewEasy() {
    static std::once_flag once;
    std::call_once(once, [] {
        // Fatal start-up: without it libcurl cannot work at all.
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("curl_global_init failed");
    });
    return Easy(curl_easy_init());
}

bool Append(Slist& list, const char* text) {
    curl_slist* appended = curl_slist_append(list.get(), text);
    if (appended == nullptr) return false;
    (void)list.release();  // curl_slist_append returns the head, which is the old head when there was one
    list.reset(appended);
    return true;
}

}  // namespace mh::net::curl
