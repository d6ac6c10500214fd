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

std::optional<std::pair<Errc, std::string>> TlsFailure(CURLcode code) {
    switch (code) {
        case CURLE_PEER_FAILED_VERIFICATION:
            return std::pair{Errc::kFailedPrecondition, std::string("TLS: the server's certificate was not accepted")};
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM: return std::pair{Errc::kFailedPrecondition, std::string("TLS: cannot use the CA file")};
        case CURLE_SSL_CONNECT_ERROR: return std::pair{Errc::kUnavailable, std::string("TLS handshake failed")};
        default: return std::nullopt;
    }
}

}  // namespace mh::net::curl
