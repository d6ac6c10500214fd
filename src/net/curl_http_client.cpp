#include "net/curl_http_client.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>
#include <string_view>

#include "net/curl_support.hpp"

namespace mh::net {
namespace {

constexpr std::size_t kMaxMethodLength = 32;

bool IsTokenChar(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), IsTokenChar);
}

bool IsCaseless(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

// The URL as it may appear in a log or an error: no user information, query or fragment, which is where API keys
// and passwords travel.
std::string UrlForLog(std::string_view url) {
    url = url.substr(0, url.find_first_of("?#"));
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return std::string(url.substr(0, 200));
    const auto authority_start = scheme_end + 3;
    const auto authority_end = url.find('/', authority_start);
    const auto at = url.substr(0, authority_end).rfind('@');
    std::string out(url.substr(0, authority_start));
    out += url.substr(at == std::string_view::npos || at < authority_start ? authority_start : at + 1);
    return out.substr(0, 200);
}

// What one transfer collects; the callbacks' user data.
struct Transfer {
    const HttpClientOptions* options = nullptr;
    HttpResponse response;
    std::size_t header_bytes = 0;
    bool body_too_large = false;
    bool headers_too_large = false;
};

std::size_t OnBody(char* data, std::size_t size, std::size_t count, void* user) {
    auto& t = *static_cast<Transfer*>(user);
    const std::size_t n = size * count;
    if (t.response.body.size() + n > t.options->max_response_bytes) {
        t.body_too_large = true;
        return 0;  // anything but n aborts the transfer
    }
    t.response.body.append(data, n);
    return n;
}

std::size_t OnHeader(char* data, std::size_t size, std::size_t count, void* user) {
    auto& t = *static_cast<Transfer*>(user);
    const std::size_t n = size * count;
    t.header_bytes += n;
    if (t.header_bytes > t.options->max_header_bytes) {
        t.headers_too_large = true;
        return 0;
    }
    std::string_view line(data, n);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.starts_with("HTTP/")) {
        // A new response begins (after a 1xx, or a redirect being followed): keep only the last one's.
        t.response.headers.clear();
        t.response.body.clear();
        return n;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return n;  // the blank line, or junk libcurl tolerates
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    t.response.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
    return n;
}

class CurlHttpClient;

class CurlHttpSession final : public HttpSession {
  public:
    CurlHttpSession(const CurlHttpClient& client, curl::Easy easy) : client_(client), easy_(std::move(easy)) {}
    Result<HttpResponse> Send(const HttpRequest& request) override;

  private:
    const CurlHttpClient& client_;
    std::mutex mutex_;  // one transfer at a time on this handle
    curl::Easy easy_;   // holds the cookie jar and the kept-alive connection
};

class CurlHttpClient final : public HttpClient {
  public:
    explicit CurlHttpClient(HttpClientOptions options) : options_(std::move(options)), share_(curl_share_init()) {
        if (share_ == nullptr) throw std::bad_alloc();
        curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &Lock);
        curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &Unlock);
        curl_share_setopt(share_, CURLSHOPT_USERDATA, this);
        // Not the connection cache: libcurl does not support sharing connections between concurrent threads.
        curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    }
    ~CurlHttpClient() override { curl_share_cleanup(share_); }
    CurlHttpClient(const CurlHttpClient&) = delete;
    CurlHttpClient& operator=(const CurlHttpClient&) = delete;

    Result<HttpResponse> Send(const HttpRequest& request) override {
        curl::Easy easy = curl::NewEasy();
        if (!easy) return MakeError(Errc::kInternal, "http: out of memory");
        return Perform(easy.get(), request, /*cookies=*/false);
    }

    std::unique_ptr<HttpSession> NewSession() override {
        curl::Easy easy = curl::NewEasy();
        if (!easy) throw std::bad_alloc();
        return std::make_unique<CurlHttpSession>(*this, std::move(easy));
    }

    Result<HttpResponse> Perform(CURL* easy, const HttpRequest& request, bool cookies) const;

  private:
    static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
        static_cast<CurlHttpClient*>(user)->locks_.at(static_cast<std::size_t>(data)).lock();
    }
    static void Unlock(CURL*, curl_lock_data data, void* user) {
        static_cast<CurlHttpClient*>(user)->locks_.at(static_cast<std::size_t>(data)).unlock();
    }

    Status Check(const HttpRequest& request) const;
    Error Failure(const HttpRequest& request, CURLcode code, const char* detail, const Transfer& transfer) const;

    const HttpClientOptions options_;
    CURLSH* share_;
    mutable std::array<std::mutex, CURL_LOCK_DATA_LAST> locks_;
};

Result<HttpResponse> CurlHttpSession::Send(const HttpRequest& request) {
    std::lock_guard lock(mutex_);
    curl_easy_reset(easy_.get());  // options back to defaults; cookies and the connection stay
    return client_.Perform(easy_.get(), request, /*cookies=*/true);
}

Status CurlHttpClient::Check(const HttpRequest& request) const {
    const auto bad = [&](std::string what) {
        return MakeError(Errc::kInvalidArgument,
                         fmt::format("http {} {}: {}", request.method.substr(0, 32), UrlForLog(request.url), what));
    };
    if (!IsToken(request.method) || request.method.size() > kMaxMethodLength) return bad("not an HTTP method");
    if ((request.method == "GET" || request.method == "HEAD") && !request.body.empty()) {
        return bad("a " + request.method + " request carries no body");
    }
    if (request.url.empty() || request.url.find_first_of(" \t\r\n") != std::string::npos ||
        request.url.find('\0') != std::string::npos) {
        return bad("not a URL");
    }
    for (const auto& [name, value] : request.headers) {
        if (!IsToken(name)) return bad("header name '" + name.substr(0, 64) + "' is not a token");
        if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
            return bad("header " + name + " has a line break");
        }
    }
    return Ok();
}

Error CurlHttpClient::Failure(const HttpRequest& request, CURLcode code, const char* detail,
                              const Transfer& transfer) const {
    const std::string what = detail[0] != '\0' ? detail : curl_easy_strerror(code);
    const auto error = [&](Errc errc, std::string message) {
        return MakeError(errc, fmt::format("http {} {}: {}", request.method, UrlForLog(request.url), message));
    };
    if (transfer.body_too_large || code == CURLE_FILESIZE_EXCEEDED) {
        return error(Errc::kResourceExhausted,
                     fmt::format("the response is larger than {} bytes", options_.max_response_bytes));
    }
    if (transfer.headers_too_large) {
        return error(Errc::kResourceExhausted,
                     fmt::format("the response headers are larger than {} bytes", options_.max_header_bytes));
    }
    if (auto tls = curl::TlsFailure(code)) return error(tls->first, tls->second + " (" + what + ")");
    switch (code) {
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT: return error(Errc::kInvalidArgument, "not an http:// or https:// URL (" + what + ")");
        case CURLE_OPERATION_TIMEDOUT: return error(Errc::kUnavailable, "timed out (" + what + ")");
        case CURLE_TOO_MANY_REDIRECTS:
            return error(Errc::kFailedPrecondition, fmt::format("more than {} redirects", options_.max_redirects));
        case CURLE_OUT_OF_MEMORY: return error(Errc::kInternal, what);
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT:
        case CURLE_GOT_NOTHING:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_PARTIAL_FILE:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_BAD_CONTENT_ENCODING: return error(Errc::kUnavailable, what);
        default: return error(Errc::kInternal, fmt::format("libcurl error {}: {}", static_cast<int>(code), what));
    }
}

Result<HttpResponse> CurlHttpClient::Perform(CURL* easy, const HttpRequest& request, bool cookies) const {
    MH_RETURN_IF_ERROR(Check(request));
    Transfer transfer;
    transfer.options = &options_;
    std::array<char, CURL_ERROR_SIZE> detail{};
    curl::Slist headers;
    bool has_expect = false;
    for (const auto& [name, value] : request.headers) {
        has_expect = has_expect || IsCaseless(name, "Expect");
        // "Name;" is libcurl's spelling of a header with an empty value ("Name:" would remove the header).
        const std::string line = value.empty() ? name + ";" : name + ": " + value;
        if (!curl::Append(headers, line.c_str())) return MakeError(Errc::kInternal, "http: out of memory");
    }
    // No "Expect: 100-continue" round trip before larger bodies unless the caller asks for it.
    if (!has_expect && !curl::Append(headers, "Expect:")) return MakeError(Errc::kInternal, "http: out of memory");

    const auto timeout = request.timeout.value_or(options_.total_timeout);
    const bool follow = request.follow_redirects && options_.max_redirects > 0;
    curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);  // worker threads: timeouts without SIGALRM
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, follow ? 1L : 0L);
    curl_easy_setopt(easy, CURLOPT_MAXREDIRS, static_cast<long>(options_.max_redirects));
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!options_.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, options_.ca_file.c_str());
    curl_easy_setopt(easy, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");  // every encoding this libcurl can undo
    curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options_.max_response_bytes));
    curl_easy_setopt(easy, CURLOPT_SHARE, share_);
    if (cookies) curl_easy_setopt(easy, CURLOPT_COOKIEFILE, "");  // the in-memory cookie engine, no file
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, detail.data());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers.get());
    if (request.method == "GET") {
        curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    } else if (request.method == "HEAD") {
        curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    } else {
        // The body goes as POST fields (not copied: `request` outlives the transfer); another method renames the
        // request line. libcurl turns a POST into a GET after a 301, 302 or 303, as browsers do.
        if (request.method != "POST") curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
    }

    const CURLcode code = curl_easy_perform(easy);
    // The handle may be reused by a session: leave no pointers into this frame behind.
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, nullptr);
    if (code != CURLE_OK) return Failure(request, code, detail.data(), transfer);

    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    char* final_url = nullptr;
    curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &final_url);
    transfer.response.status = static_cast<int>(status);
    transfer.response.final_url = final_url != nullptr ? final_url : request.url;
    return std::move(transfer.response);
}

}  // namespace

Result<std::unique_ptr<HttpClient>> MakeCurlHttpClient(HttpClientOptions options) {
    const auto bad = [](const std::string& what) { return MakeError(Errc::kInvalidArgument, "http client: " + what); };
    if (options.connect_timeout.count() <= 0 || options.total_timeout.count() <= 0) return bad("timeouts must be > 0");
    if (options.max_response_bytes == 0 || options.max_header_bytes == 0) return bad("size caps must be > 0");
    if (options.max_redirects < 0) return bad("max_redirects must not be negative");
    if (!options.ca_file.empty() && ::access(options.ca_file.c_str(), R_OK) != 0) {
        return bad("cannot read the CA file " + options.ca_file);
    }
    std::unique_ptr<HttpClient> client = std::make_unique<CurlHttpClient>(std::move(options));
    return client;
}

}  // namespace mh::net
