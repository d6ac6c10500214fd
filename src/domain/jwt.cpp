#include "domain/jwt.hpp"

#include <sodium.h>

#include <array>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <charconv>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <utility>
#include <variant>

namespace mh::domain {
namespace {

constexpr int kBase64Variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
constexpr std::string_view kHeaderJson = R"({"alg":"HS256","typ":"JWT"})";
constexpr std::size_t kMaxIssuerLength = 128;
constexpr std::size_t kJtiBytes = 16;
constexpr std::size_t kMaxJtiLength = 64;
constexpr std::size_t kMaxJsonMembers = 32;
constexpr std::size_t kMaxJsonNameBytes = 256;
constexpr std::size_t kMaxJsonStringBytes = kMaxTokenBytes;
// NumericDates are accepted from 1970-01-01 to 9999-12-31; this also keeps seconds * 1000 far from overflow.
constexpr std::int64_t kMaxNumericDate = 253'402'300'799;

using Mac = std::array<unsigned char, crypto_auth_hmacsha256_BYTES>;

void InitSodiumOrThrow() {
    static const bool ok = sodium_init() >= 0;
    if (!ok) throw std::runtime_error("libsodium failed to initialise");
}

const unsigned char* Bytes(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());
}

std::string EncodeBase64Url(std::string_view bytes) {
    std::string out(sodium_base64_encoded_len(bytes.size(), kBase64Variant), '\0');
    sodium_bin2base64(out.data(), out.size(), Bytes(bytes), bytes.size(), kBase64Variant);
    out.resize(std::strlen(out.c_str()));
    return out;
}

// Strict: libsodium refuses characters outside the URL-safe alphabet, padding, impossible lengths and
// non-zero trailing bits, so each byte string has exactly one accepted encoding.
std::optional<std::string> DecodeBase64Url(std::string_view text) {
    std::string out(text.size() / 4 * 3 + 3, '\0');
    std::size_t length = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                          &length, nullptr, kBase64Variant) != 0) {
        return std::nullopt;
    }
    out.resize(length);
    return out;
}

Mac Sign(std::string_view secret, std::string_view signing_input) {
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, Bytes(secret), secret.size());
    crypto_auth_hmacsha256_update(&state, Bytes(signing_input), signing_input.size());
    Mac mac;
    crypto_auth_hmacsha256_final(&state, mac.data());
    sodium_memzero(&state, sizeof state);
    return mac;
}

// A JSON value as the claims reader keeps it. Floats, booleans, null, arrays and nested objects make the whole
// segment unreadable: Issue never writes them, and refusing them keeps what a signed token can say small.
using JsonValue = std::variant<std::string, std::int64_t>;
using JsonObject = std::map<std::string, JsonValue, std::less<>>;

// Boost.JSON's event parser does the lexing (escapes, UTF-8 validation, numbers, nesting); this handler keeps
// one flat object of string and integer members. Not boost::json::parse, because its DOM keeps the last of
// duplicate names silently, and a duplicate is refused here: two readers that pick different duplicates are
// how tokens get misread. The limits below are checked by the parser before anything is stored, and the
// caller bounds the input size, so a segment costs at most a few kilobytes. Nothing here throws on input.
class FlatObjectHandler {
  public:
    static constexpr std::size_t max_object_size = kMaxJsonMembers;
    static constexpr std::size_t max_array_size = 0;  // arrays are refused at their first bracket anyway
    static constexpr std::size_t max_key_size = kMaxJsonNameBytes;
    static constexpr std::size_t max_string_size = kMaxJsonStringBytes;

    JsonObject object;

    bool on_document_begin(boost::system::error_code&) { return true; }
    bool on_document_end(boost::system::error_code&) { return true; }
    bool on_object_begin(boost::system::error_code& ec) { return ++depth_ == 1 || Refuse(ec); }
    bool on_object_end(std::size_t, boost::system::error_code&) { return true; }
    bool on_array_begin(boost::system::error_code& ec) { return Refuse(ec); }
    bool on_array_end(std::size_t, boost::system::error_code& ec) { return Refuse(ec); }
    bool on_key_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
        text_.append(s.data(), s.size());
        return true;
    }
    bool on_key(boost::json::string_view s, std::size_t, boost::system::error_code& ec) {
        text_.append(s.data(), s.size());
        key_ = std::move(text_);
        text_.clear();
        if (object.contains(key_)) return Refuse(ec);  // a duplicate name
        return true;
    }
    bool on_string_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
        text_.append(s.data(), s.size());
        return true;
    }
    bool on_string(boost::json::string_view s, std::size_t, boost::system::error_code& ec) {
        text_.append(s.data(), s.size());
        std::string value = std::move(text_);
        text_.clear();
        return Store(JsonValue(std::move(value)), ec);
    }
    bool on_number_part(boost::json::string_view, boost::system::error_code&) { return true; }
    bool on_int64(std::int64_t i, boost::json::string_view, boost::system::error_code& ec) {
        return Store(JsonValue(i), ec);
    }
    // Above INT64_MAX: no NumericDate or other claim of ours is that large.
    bool on_uint64(std::uint64_t, boost::json::string_view, boost::system::error_code& ec) { return Refuse(ec); }
    // Fractions, exponents and integers beyond 64 bits all arrive here.
    bool on_double(double, boost::json::string_view, boost::system::error_code& ec) { return Refuse(ec); }
    bool on_bool(bool, boost::system::error_code& ec) { return Refuse(ec); }
    bool on_null(boost::system::error_code& ec) { return Refuse(ec); }
    bool on_comment_part(boost::json::string_view, boost::system::error_code& ec) { return Refuse(ec); }
    bool on_comment(boost::json::string_view, boost::system::error_code& ec) { return Refuse(ec); }

  private:
    // A scalar at the top level (no key) is not an object.
    bool Store(JsonValue value, boost::system::error_code& ec) {
        if (depth_ != 1) return Refuse(ec);
        object.emplace(std::move(key_), std::move(value));
        key_.clear();
        return true;
    }
    static bool Refuse(boost::system::error_code& ec) {
        ec = boost::json::error::syntax;  // the reason is not reported: every refusal reads "malformed"
        return false;
    }

    int depth_ = 0;
    std::string key_;   // the name of the member whose value comes next
    std::string text_;  // a key or string arriving in parts
};

// One flat JSON object, or nullopt for anything else (see FlatObjectHandler).
std::optional<JsonObject> ParseFlatObject(std::string_view json) {
    boost::json::parse_options options;
    options.max_depth = 1;  // the object itself; anything nested stops the parser at its first bracket
    boost::json::basic_parser<FlatObjectHandler> parser(options);
    boost::system::error_code ec;
    // more = false: the text is complete, so trailing bytes and an unfinished document are errors too.
    const std::size_t used = parser.write_some(false, json.data(), json.size(), ec);
    if (ec || used != json.size() || !parser.done()) return std::nullopt;
    auto& object = parser.handler().object;
    return std::move(object);
}

std::optional<JsonObject> ParseSegment(std::string_view base64) {
    const auto json = DecodeBase64Url(base64);
    if (!json) return std::nullopt;
    return ParseFlatObject(*json);
}

const std::string* FindString(const JsonObject& object, std::string_view name) {
    const auto found = object.find(name);
    return found == object.end() ? nullptr : std::get_if<std::string>(&found->second);
}

const std::int64_t* FindInteger(const JsonObject& object, std::string_view name) {
    const auto found = object.find(name);
    return found == object.end() ? nullptr : std::get_if<std::int64_t>(&found->second);
}

bool IsNumericDate(const std::int64_t* seconds) {
    return seconds != nullptr && *seconds >= 0 && *seconds <= kMaxNumericDate;
}

// "sub" is the user id in canonical decimal: digits only, no sign, no leading zero, positive, fits int64.
std::optional<UserId> ParseSubject(const std::string* subject) {
    if (subject == nullptr || subject->empty() || (*subject)[0] < '1' || (*subject)[0] > '9') return std::nullopt;
    std::int64_t value = 0;
    const char* end = subject->data() + subject->size();
    const auto [ptr, ec] = std::from_chars(subject->data(), end, value);
    if (ec != std::errc{} || ptr != end) return std::nullopt;
    return UserId{value};
}

bool IsValidIssuer(std::string_view issuer) {
    if (issuer.empty() || issuer.size() > kMaxIssuerLength) return false;
    for (const char c : issuer) {
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
    }
    return true;
}

Error Refuse(std::string message) {
    return MakeError(Errc::kUnauthenticated, std::move(message));
}

}  // namespace

JwtIssuer::JwtIssuer(std::string secret, std::string issuer) : secret_(std::move(secret)), issuer_(std::move(issuer)) {
    if (secret_.size() < kMinJwtSecretBytes) {
        throw std::invalid_argument("JWT secret must be at least " + std::to_string(kMinJwtSecretBytes) + " bytes");
    }
    if (!IsValidIssuer(issuer_)) {
        throw std::invalid_argument("JWT issuer must be 1-128 printable ASCII characters without quotes");
    }
    InitSodiumOrThrow();
}

Result<std::string> JwtIssuer::Issue(UserId user, Timestamp now, std::chrono::seconds lifetime) const {
    if (!user.valid()) return MakeError(Errc::kInvalidArgument, "token subject must be a valid user id");
    if (lifetime <= std::chrono::seconds::zero()) {
        return MakeError(Errc::kInvalidArgument, "token lifetime must be positive");
    }
    const std::int64_t issued_at = std::chrono::floor<std::chrono::seconds>(now).time_since_epoch().count();
    if (issued_at < 0 || issued_at > kMaxNumericDate || lifetime.count() > kMaxNumericDate - issued_at) {
        return MakeError(Errc::kInvalidArgument, "token times out of range");
    }
    const std::int64_t expires_at = issued_at + lifetime.count();

    std::array<unsigned char, kJtiBytes> jti_bytes;
    randombytes_buf(jti_bytes.data(), jti_bytes.size());
    std::array<char, kJtiBytes * 2 + 1> jti;
    sodium_bin2hex(jti.data(), jti.size(), jti_bytes.data(), jti_bytes.size());

    const std::string payload = R"({"iss":")" + issuer_ + R"(","sub":")" + std::to_string(user.value()) +
                                R"(","iat":)" + std::to_string(issued_at) + R"(,"exp":)" + std::to_string(expires_at) +
                                R"(,"jti":")" + jti.data() + R"("})";
    std::string token = EncodeBase64Url(kHeaderJson) + '.' + EncodeBase64Url(payload);
    const Mac mac = Sign(secret_, token);
    token += '.';
    token += EncodeBase64Url(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
    return token;
}

Result<TokenClaims> JwtIssuer::Verify(std::string_view token, Timestamp now) const {
    if (token.size() > kMaxTokenBytes) return Refuse("token too large");
    const std::size_t first_dot = token.find('.');
    const std::size_t second_dot = first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
    if (second_dot == std::string_view::npos || token.find('.', second_dot + 1) != std::string_view::npos) {
        return Refuse("malformed token");
    }

    // The header is read before the signature is checked, but only to refuse: the algorithm is fixed.
    const auto header = ParseSegment(token.substr(0, first_dot));
    if (!header) return Refuse("malformed token header");
    const std::string* alg = FindString(*header, "alg");
    if (alg == nullptr || *alg != "HS256") return Refuse("unsupported token algorithm");
    for (const auto& [name, value] : *header) {
        const auto* text = std::get_if<std::string>(&value);
        if (name != "alg" && !(name == "typ" && text != nullptr && *text == "JWT")) {
            return Refuse("unsupported token header");
        }
    }

    const auto signature = DecodeBase64Url(token.substr(second_dot + 1));
    if (!signature || signature->size() != crypto_auth_hmacsha256_BYTES) return Refuse("bad token signature");
    const Mac expected = Sign(secret_, token.substr(0, second_dot));
    if (sodium_memcmp(expected.data(), signature->data(), expected.size()) != 0) return Refuse("bad token signature");

    const auto claims = ParseSegment(token.substr(first_dot + 1, second_dot - first_dot - 1));
    if (!claims) return Refuse("malformed token claims");
    const std::string* iss = FindString(*claims, "iss");
    if (iss == nullptr || *iss != issuer_) return Refuse("wrong token issuer");
    const std::optional<UserId> user = ParseSubject(FindString(*claims, "sub"));
    if (!user) return Refuse("invalid token subject");
    const std::int64_t* iat = FindInteger(*claims, "iat");
    const std::int64_t* exp = FindInteger(*claims, "exp");
    if (!IsNumericDate(iat) || !IsNumericDate(exp) || *exp <= *iat) return Refuse("invalid token times");
    const std::string* jti = FindString(*claims, "jti");
    if (jti == nullptr || jti->empty() || jti->size() > kMaxJtiLength) return Refuse("invalid token id");

    const std::int64_t now_ms = ToMillis(now);
    if (*exp * 1000 <= now_ms) return Refuse("token expired");
    if (*iat * 1000 - Millis(kMaxClockSkew).count() > now_ms) return Refuse("token not yet valid");
    return TokenClaims{*user, *iat, *exp, *jti};
}

}  // namespace mh::domain
