// Tests for the authentication building blocks: JwtIssuer, device API keys and RateLimiter.
#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "domain/api_keys.hpp"
#include "domain/jwt.hpp"
#include "domain/login_limits.hpp"
#include "domain/rate_limiter.hpp"

namespace mh::domain {
namespace {

using std::chrono::seconds;

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef-test-secret";
const Timestamp kT0 = FromMillis(1'700'000'000'000);  // a whole second
constexpr std::int64_t kT0Seconds = 1'700'000'000;
constexpr std::size_t kTenKiB = 10'240;

// ---- helpers that build tokens by hand, independently of JwtIssuer ----

std::string Base64Url(std::string_view bytes) {
    EXPECT_GE(sodium_init(), 0);
    constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    std::string out(sodium_base64_encoded_len(bytes.size(), kVariant), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                      kVariant);
    out.resize(std::strlen(out.c_str()));
    return out;
}

std::string HmacSha256(std::string_view key, std::string_view message) {
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()), key.size());
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()), message.size());
    std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
    crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(mac.data()));
    return mac;
}

std::string HmacSha512(std::string_view key, std::string_view message) {
    crypto_auth_hmacsha512_state state;
    crypto_auth_hmacsha512_init(&state, reinterpret_cast<const unsigned char*>(key.data()), key.size());
    crypto_auth_hmacsha512_update(&state, reinterpret_cast<const unsigned char*>(message.data()), message.size());
    std::string mac(crypto_auth_hmacsha512_BYTES, '\0');
    crypto_auth_hmacsha512_final(&state, reinterpret_cast<unsigned char*>(mac.data()));
    return mac;
}

std::string Claims(std::string_view sub = R"("42")", std::int64_t iat = kT0Seconds,
                   std::int64_t exp = kT0Seconds + 3600, std::string_view iss = "meterhub") {
    return R"({"iss":")" + std::string(iss) + R"(","sub":)" + std::string(sub) + R"(,"iat":)" + std::to_string(iat) +
           R"(,"exp":)" + std::to_string(exp) + R"(,"jti":"00112233445566778899aabbccddeeff"})";
}

constexpr std::string_view kHs256Header = R"({"alg":"HS256","typ":"JWT"})";

// header.payload.HMAC-SHA-256(key) over the given JSON texts.
std::string SignedToken(std::string_view header_json, std::string_view claims_json, std::string_view key = kSecret) {
    const std::string input = Base64Url(header_json) + "." + Base64Url(claims_json);
    return input + "." + Base64Url(HmacSha256(key, input));
}

void ExpectRefused(const Result<TokenClaims>& result, std::string_view message_part = "") {
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, Errc::kUnauthenticated);
    EXPECT_NE(result.error().message.find(message_part), std::string::npos) << result.error().message;
}

// ---- JwtIssuer ----

TEST(Jwt, IssueVerifyRoundTrip) {
    const JwtIssuer jwt{std::string(kSecret)};
    const Result<std::string> token = jwt.Issue(UserId{42}, kT0 + Millis(750), seconds(3600));
    ASSERT_TRUE(token.has_value());
    EXPECT_EQ(std::count(token->begin(), token->end(), '.'), 2);
    EXPECT_EQ(token->find('='), std::string::npos);

    const Result<TokenClaims> claims = jwt.Verify(*token, kT0 + seconds(10));
    ASSERT_TRUE(claims.has_value()) << claims.error().message;
    EXPECT_EQ(claims->user, UserId{42});
    EXPECT_EQ(claims->issued_at_s, kT0Seconds);  // rounded down to the second
    EXPECT_EQ(claims->expires_at_s, kT0Seconds + 3600);
    ASSERT_EQ(claims->id.size(), 32u);
    EXPECT_EQ(claims->id.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(Jwt, TokenIdsAreUnique) {
    const JwtIssuer jwt{std::string(kSecret)};
    std::set<std::string> ids;
    for (int i = 0; i < 200; ++i) {
        const auto token = jwt.Issue(UserId{7}, kT0, seconds(60));
        ASSERT_TRUE(token.has_value());
        ids.insert(jwt.Verify(*token, kT0).value().id);
    }
    EXPECT_EQ(ids.size(), 200u);
}

TEST(Jwt, HandBuiltHs256TokenIsAccepted) {
    // Validates the helpers the refusal tests below rely on.
    const JwtIssuer jwt{std::string(kSecret)};
    const Result<TokenClaims> claims = jwt.Verify(SignedToken(kHs256Header, Claims()), kT0);
    ASSERT_TRUE(claims.has_value()) << claims.error().message;
    EXPECT_EQ(claims->user, UserId{42});
    EXPECT_EQ(claims->id, "00112233445566778899aabbccddeeff");
    // Whitespace, member order, a header without typ and unknown claims are all fine once signed.
    EXPECT_TRUE(jwt.Verify(SignedToken(R"( { "alg" : "HS256" } )",
                                       R"({"extra":"x","exp":1700003600,"jti":"j","sub":"42","iat":1700000000,)"
                                       R"("iss":"meterhub","n":-5})"),
                           kT0)
                    .has_value());
}

TEST(Jwt, ExpiresExactlyAtExp) {
    const JwtIssuer jwt{std::string(kSecret)};
    FakeClock clock(kT0);
    const std::string token = jwt.Issue(UserId{1}, clock.Now(), seconds(3600)).value();
    clock.Advance(Millis(3'600'000 - 1));
    EXPECT_TRUE(jwt.Verify(token, clock.Now()).has_value());
    clock.Advance(Millis(1));  // now == exp
    ExpectRefused(jwt.Verify(token, clock.Now()), "expired");
    clock.Advance(seconds(86400));
    ExpectRefused(jwt.Verify(token, clock.Now()), "expired");
}

TEST(Jwt, IssuedTooFarInTheFutureIsNotYetValid) {
    const JwtIssuer jwt{std::string(kSecret)};
    const std::string at_skew = jwt.Issue(UserId{1}, kT0 + seconds(60), seconds(3600)).value();
    EXPECT_TRUE(jwt.Verify(at_skew, kT0).has_value());
    const std::string beyond_skew = jwt.Issue(UserId{1}, kT0 + seconds(61), seconds(3600)).value();
    ExpectRefused(jwt.Verify(beyond_skew, kT0), "not yet valid");
}

TEST(Jwt, TamperedPayloadOrSignatureIsRefused) {
    const JwtIssuer jwt{std::string(kSecret)};
    const std::string token = jwt.Issue(UserId{42}, kT0, seconds(3600)).value();
    const std::size_t first_dot = token.find('.');
    const std::size_t second_dot = token.rfind('.');

    // Another user's claims under the original signature.
    const std::string forged = token.substr(0, first_dot + 1) + Base64Url(Claims(R"("1")")) + token.substr(second_dot);
    ExpectRefused(jwt.Verify(forged, kT0), "signature");

    std::string bad_signature = token;
    bad_signature[second_dot + 1] = bad_signature[second_dot + 1] == 'A' ? 'B' : 'A';
    ExpectRefused(jwt.Verify(bad_signature, kT0), "signature");

    ExpectRefused(jwt.Verify(token.substr(0, second_dot + 1), kT0), "signature");  // signature stripped
    ExpectRefused(jwt.Verify(token + "A", kT0), "signature");
    ExpectRefused(jwt.Verify(token.substr(0, token.size() - 1), kT0));
}

TEST(Jwt, EverySingleCharacterChangeIsRefused) {
    const JwtIssuer jwt{std::string(kSecret)};
    const std::string token = jwt.Issue(UserId{42}, kT0, seconds(3600)).value();
    for (std::size_t i = 0; i < token.size(); ++i) {
        for (const char replacement : {'A', 'B', 'a', 'z', '0', '-', '_', '.', '=', '+', '/', '\0'}) {
            if (token[i] == replacement) continue;
            std::string mutated = token;
            mutated[i] = replacement;
            const auto result = jwt.Verify(mutated, kT0);
            ASSERT_FALSE(result.has_value()) << "offset " << i << " -> " << replacement;
            EXPECT_EQ(result.error().code, Errc::kUnauthenticated);
        }
    }
}

TEST(Jwt, EveryPrefixIsRefused) {
    const JwtIssuer jwt{std::string(kSecret)};
    const std::string token = jwt.Issue(UserId{42}, kT0, seconds(3600)).value();
    for (std::size_t length = 0; length < token.size(); ++length) {
        ExpectRefused(jwt.Verify(std::string_view(token).substr(0, length), kT0));
    }
}

TEST(Jwt, AlgorithmsOtherThanHs256AreRefused) {
    const JwtIssuer jwt{std::string(kSecret)};
    const std::string claims = Claims();
    const std::string none_input = Base64Url(R"({"alg":"none","typ":"JWT"})") + "." + Base64Url(claims);
    ExpectRefused(jwt.Verify(none_input + ".", kT0), "algorithm");
    ExpectRefused(jwt.Verify(none_input + "." + Base64Url(HmacSha256(kSecret, none_input)), kT0), "algorithm");
    // alg none even with a correct HS256 signature: the header's alg never selects anything.
    ExpectRefused(jwt.Verify(SignedToken(R"({"alg":"none"})", claims), kT0), "algorithm");

    const std::string rs256_input = Base64Url(R"({"alg":"RS256","typ":"JWT"})") + "." + Base64Url(claims);
    ExpectRefused(jwt.Verify(rs256_input + "." + Base64Url(std::string(256, '\x5a')), kT0), "algorithm");
    ExpectRefused(jwt.Verify(SignedToken(R"({"alg":"RS256","typ":"JWT"})", claims), kT0), "algorithm");

    const std::string hs512_input = Base64Url(R"({"alg":"HS512","typ":"JWT"})") + "." + Base64Url(claims);
    ExpectRefused(jwt.Verify(hs512_input + "." + Base64Url(HmacSha512(kSecret, hs512_input)), kT0), "algorithm");

    for (const std::string_view header : {R"({"alg":"hs256"})", R"({"alg":"HS256 "})", R"({"typ":"JWT"})",
                                          R"({"alg":256})", R"({"alg":"HS256","alg":"HS256"})"}) {
        ExpectRefused(jwt.Verify(SignedToken(header, claims), kT0));
    }
}

TEST(Jwt, UnexpectedHeaderFieldsAreRefused) {
    const JwtIssuer jwt{std::string(kSecret)};
    for (const std::string_view header :
         {R"({"alg":"HS256","kid":"1"})", R"({"alg":"HS256","crit":"exp"})", R"({"alg":"HS256","typ":"JWS"})",
          R"({"alg":"HS256","jku":"https://evil.example/keys"})"}) {
        ExpectRefused(jwt.Verify(SignedToken(header, Claims()), kT0), "header");
    }
}

TEST(Jwt, WrongSecretIsRefused) {
    const JwtIssuer ours{std::string(kSecret)};
    const JwtIssuer theirs{std::string(kSecret) + "-other"};
    const std::string token = theirs.Issue(UserId{42}, kT0, seconds(3600)).value();
    ExpectRefused(ours.Verify(token, kT0), "signature");
    EXPECT_TRUE(theirs.Verify(token, kT0).has_value());
}

TEST(Jwt, WrongIssuerIsRefused) {
    const JwtIssuer ours{std::string(kSecret)};
    const JwtIssuer theirs{std::string(kSecret), "other-hub"};
    ExpectRefused(ours.Verify(theirs.Issue(UserId{42}, kT0, seconds(3600)).value(), kT0), "issuer");
    ExpectRefused(
        ours.Verify(SignedToken(kHs256Header, R"({"sub":"42","iat":1700000000,"exp":1700003600,"jti":"j"})"), kT0),
        "issuer");
}

TEST(Jwt, MissingOrInvalidSubjectIsRefused) {
    const JwtIssuer jwt{std::string(kSecret)};
    for (const std::string_view sub : {R"("")", R"("0")", R"("-5")", R"("+5")", R"("007")", R"("42x")", R"(" 42")",
                                       R"("abc")", R"("9223372036854775808")", "42", R"("4.2")"}) {
        ExpectRefused(jwt.Verify(SignedToken(kHs256Header, Claims(sub)), kT0), "subject");
    }
    ExpectRefused(
        jwt.Verify(SignedToken(kHs256Header, R"({"iss":"meterhub","iat":1700000000,"exp":1700003600,"jti":"j"})"), kT0),
        "subject");
    EXPECT_TRUE(jwt.Verify(SignedToken(kHs256Header, Claims(R"("9223372036854775807")")), kT0).has_value());
}

TEST(Jwt, MissingOrInvalidTimesAreRefused) {
    const JwtIssuer jwt{std::string(kSecret)};
    ExpectRefused(jwt.Verify(SignedToken(kHs256Header, Claims(R"("42")", kT0Seconds, kT0Seconds)), kT0), "times");
    ExpectRefused(jwt.Verify(SignedToken(kHs256Header, Claims(R"("42")", -1, kT0Seconds + 10)), kT0), "times");
    ExpectRefused(jwt.Verify(SignedToken(kHs256Header, Claims(R"("42")", kT0Seconds, 9'000'000'000'000'000'000)), kT0),
                  "times");
    ExpectRefused(
        jwt.Verify(SignedToken(kHs256Header, R"({"iss":"meterhub","sub":"42","iat":1700000000,"jti":"j"})"), kT0),
        "times");
    // Floats, strings and overflowing numbers are not NumericDates here.
    for (const std::string_view claims :
         {R"({"iss":"meterhub","sub":"42","iat":1700000000,"exp":1700003600.5,"jti":"j"})",
          R"({"iss":"meterhub","sub":"42","iat":1700000000,"exp":"1700003600","jti":"j"})",
          R"({"iss":"meterhub","sub":"42","iat":1700000000,"exp":99999999999999999999,"jti":"j"})",
          R"({"iss":"meterhub","sub":"42","iat":1700000000,"exp":1.7e9,"jti":"j"})",
          R"({"iss":"meterhub","sub":"42","iat":1700000000,"exp":01700003600,"jti":"j"})"}) {
        ExpectRefused(jwt.Verify(SignedToken(kHs256Header, claims), kT0));
    }
}

TEST(Jwt, MalformedClaimsAreRefused) {
    const JwtIssuer jwt{std::string(kSecret)};
    for (const std::string_view claims :
         {"", "null", "[]", "{", R"({"iss":"meterhub"})", R"({"iss":"meterhub","iss":"meterhub"})",
          R"({"nested":{"a":1}})", R"({"a":[1]})", R"({"a":true})", R"({"a":"\u0041"})", "{}x", R"({"a":1,})"}) {
        ExpectRefused(jwt.Verify(SignedToken(kHs256Header, claims), kT0));
    }
    // No jti.
    ExpectRefused(
        jwt.Verify(SignedToken(kHs256Header, R"({"iss":"meterhub","sub":"42","iat":1700000000,"exp":1700003600})"),
                   kT0),
        "id");
}

TEST(Jwt, GarbageIsRefusedWithoutCrashing) {
    const JwtIssuer jwt{std::string(kSecret)};
    const std::string valid = jwt.Issue(UserId{42}, kT0, seconds(3600)).value();
    std::vector<std::string> garbage = {
        "",
        ".",
        "..",
        "...",
        "a.b",
        "a.b.c",
        "a.b.c.d",
        valid + ".",
        "." + valid,
        valid + "." + valid,
        "!!!.@@@.###",
        "eyJ.eyJ.eyJ",
        "e30.e30.",
        "e30.e30.e30",
        "Bearer " + valid,
        valid + "\n",
        valid + "==",
        std::string("\0\0.\0\0.\0\0", 8),
        std::string(kTenKiB, 'a'),
        std::string(kTenKiB, '.'),
        std::string(5000, 'a') + "." + std::string(5000, 'b') + "." + std::string(43, 'c'),
    };
    for (const std::string& text : garbage) ExpectRefused(jwt.Verify(text, kT0));
    ExpectRefused(jwt.Verify(std::string(kTenKiB, 'a'), kT0), "too large");
}

TEST(Jwt, TokensOver4KiBAreRefused) {
    const JwtIssuer jwt{std::string(kSecret)};
    const auto token_with_padding_claim = [](std::size_t padding) {
        return SignedToken(kHs256Header, Claims() + std::string(padding, ' '));
    };
    // Find the largest padding that stays within the bound, then step over it.
    std::size_t padding = 0;
    while (token_with_padding_claim(padding + 1).size() <= kMaxTokenBytes) ++padding;
    EXPECT_TRUE(jwt.Verify(token_with_padding_claim(padding), kT0).has_value());
    const std::string too_large = token_with_padding_claim(padding + 3);
    ASSERT_GT(too_large.size(), kMaxTokenBytes);
    ExpectRefused(jwt.Verify(too_large, kT0), "too large");
}

// ---- hostile segments: Boost.JSON reads them, the flat-object rules refuse what Issue never writes ----

std::string ClaimsWith(std::string_view extra_members) {
    std::string claims = Claims();
    claims.insert(claims.size() - 1, std::string(",") + std::string(extra_members));
    return claims;
}

TEST(Jwt, SegmentsAreReadAsStandardJson) {
    const JwtIssuer jwt{std::string(kSecret)};
    // Escapes are decoded (\u included, which the old reader refused), and whitespace may sit anywhere.
    const auto escaped =
        jwt.Verify(SignedToken(R"({"alg":"HS\u0032\u0035\u0036","typ":"J\u0057T"})",
                               "{\n\t\"iss\" : \"meter\\u0068ub\" , \"sub\":\"4\\u0032\",\r\n\"iat\":1700000000,"
                               "\"exp\":1700003600,\"jti\":\"a\\/b\\\"c\\u00e9\\ud83d\\ude00\"}"),
                   kT0);
    ASSERT_TRUE(escaped.has_value()) << escaped.error().message;
    EXPECT_EQ(escaped->user, UserId{42});
    EXPECT_EQ(escaped->id, "a/b\"c\xc3\xa9\xf0\x9f\x98\x80");
    // Claims we do not know are ignored when they are strings or integers.
    EXPECT_TRUE(jwt.Verify(SignedToken(kHs256Header, ClaimsWith(R"("aud2":"x","n":-5,"big":9223372036854775807)")), kT0)
                    .has_value());
}

TEST(Jwt, DeeplyNestedSegmentsAreRefusedWithoutRecursion) {
    const JwtIssuer jwt{std::string(kSecret)};
    // As deep as a token of at most 4 KiB allows, in the unsigned header and in the signed claims.
    for (const std::size_t depth : {2u, 10u, 1000u}) {
        const std::string arrays = std::string(depth, '[') + std::string(depth, ']');
        const std::size_t object_depth = std::min<std::size_t>(depth, 400);  // six bytes a level
        std::string objects;
        for (std::size_t i = 0; i < object_depth; ++i) objects += R"({"a":)";
        objects += "1" + std::string(object_depth, '}');
        for (const std::string& nested : {arrays, objects}) {
            ExpectRefused(jwt.Verify(SignedToken(nested, Claims()), kT0), "header");
            ExpectRefused(jwt.Verify(SignedToken(kHs256Header, nested), kT0), "claims");
            if (nested.size() < 1500) {
                ExpectRefused(jwt.Verify(SignedToken(kHs256Header, ClaimsWith(R"("x":)" + nested)), kT0), "claims");
            }
        }
    }
    // Unbalanced: opened and never closed, or closed more than opened.
    ExpectRefused(jwt.Verify(SignedToken(kHs256Header, std::string(2000, '{')), kT0), "claims");
    ExpectRefused(jwt.Verify(SignedToken(kHs256Header, Claims() + std::string(100, '}')), kT0), "claims");
}

TEST(Jwt, MembersOfOtherTypesAreRefused) {
    const JwtIssuer jwt{std::string(kSecret)};
    // The claims Verify reads, each of the wrong type.
    for (const std::string_view claims :
         {R"({"iss":"meterhub","sub":42,"iat":1700000000,"exp":1700003600,"jti":"j"})",
          R"({"iss":null,"sub":"42","iat":1700000000,"exp":1700003600,"jti":"j"})",
          R"({"iss":["meterhub"],"sub":"42","iat":1700000000,"exp":1700003600,"jti":"j"})",
          R"({"iss":"meterhub","sub":"42","iat":"1700000000","exp":1700003600,"jti":"j"})",
          R"({"iss":"meterhub","sub":"42","iat":true,"exp":1700003600,"jti":"j"})",
          R"({"iss":"meterhub","sub":"42","iat":1700000000,"exp":1700003600e0,"jti":"j"})",
          R"({"iss":"meterhub","sub":"42","iat":1700000000,"exp":1700003600,"jti":{"id":"j"}})",
          R"({"iss":"meterhub","sub":"42","iat":1700000000,"exp":1700003600,"jti":7})"}) {
        ExpectRefused(jwt.Verify(SignedToken(kHs256Header, claims), kT0));
    }
    // A claim we would ignore still makes the segment malformed when it is of a type Issue never writes.
    for (const std::string_view extra :
         {R"("x":true)", R"("x":false)", R"("x":null)", R"("x":1.5)", R"("x":[])", R"("x":{})", R"("x":-0.0)"}) {
        ExpectRefused(jwt.Verify(SignedToken(kHs256Header, ClaimsWith(extra)), kT0), "claims");
    }
    // The header's members are checked the same way before the signature.
    for (const std::string_view header : {R"({"alg":"HS256","typ":null})", R"({"alg":["HS256"]})",
                                          R"({"alg":"HS256","typ":true})", R"("HS256")", "[]", "42"}) {
        ExpectRefused(jwt.Verify(SignedToken(header, Claims()), kT0), "header");
    }
    // Not a JSON object at the top at all.
    for (const std::string_view claims : {R"("a string")", "42", "true", "null", R"([{"iss":"meterhub"}])"}) {
        ExpectRefused(jwt.Verify(SignedToken(kHs256Header, claims), kT0), "claims");
    }
}

// Decided: a duplicate name refuses the token, whichever copy holds the valid value. Last-wins (what
// boost::json::parse does) and first-wins readers disagree, and a token two readers read differently is a
// forgery waiting to happen.
TEST(Jwt, DuplicateNamesAreRefusedWhicheverCopyIsValid) {
    const JwtIssuer jwt{std::string(kSecret)};
    for (const std::string_view claims :
         {R"({"iss":"meterhub","sub":"42","sub":"43","iat":1700000000,"exp":1700003600,"jti":"j"})",
          R"({"iss":"meterhub","sub":"43","sub":"42","iat":1700000000,"exp":1700003600,"jti":"j"})",
          R"({"iss":"other","iss":"meterhub","sub":"42","iat":1700000000,"exp":1700003600,"jti":"j"})",
          R"({"iss":"meterhub","sub":"42","iat":1700000000,"exp":1700003600,"exp":1900000000,"jti":"j"})",
          R"({"iss":"meterhub","sub":"42","iat":1700000000,"exp":1700003600,"jti":"j","x":1,"x":1})",
          R"({"iss":"meterhub","sub":"42","iat":1700000000,"exp":1700003600,"jti":"j","\u0078":1,"x":1})"}) {
        ExpectRefused(jwt.Verify(SignedToken(kHs256Header, claims), kT0), "claims");
    }
    for (const std::string_view header : {R"({"alg":"none","alg":"HS256"})", R"({"alg":"HS256","alg":"none"})",
                                          R"({"alg":"HS256","typ":"JWT","typ":"JWT"})"}) {
        ExpectRefused(jwt.Verify(SignedToken(header, Claims()), kT0), "header");
    }
}

TEST(Jwt, HugeNumbersAreRefused) {
    const JwtIssuer jwt{std::string(kSecret)};
    const auto with_exp = [](std::string_view exp) {
        return R"({"iss":"meterhub","sub":"42","iat":1700000000,"exp":)" + std::string(exp) + R"(,"jti":"j"})";
    };
    // In int64 but not a NumericDate up to year 9999.
    ExpectRefused(jwt.Verify(SignedToken(kHs256Header, with_exp("9223372036854775807")), kT0), "times");
    ExpectRefused(jwt.Verify(SignedToken(kHs256Header, with_exp("-9223372036854775808")), kT0), "times");
    // Beyond int64, beyond uint64, beyond double, and a number as long as a token may hold.
    for (const std::string& exp :
         {std::string("9223372036854775808"), std::string("18446744073709551615"), std::string("18446744073709551616"),
          std::string("-9223372036854775809"), std::string("1e400"), std::string("-1e400"), std::string("1e-400"),
          std::string(2500, '9'), "1" + std::string(2500, '0'), "0." + std::string(2500, '0') + "1"}) {
        ExpectRefused(jwt.Verify(SignedToken(kHs256Header, with_exp(exp)), kT0), "claims");
    }
    // Numbers JSON does not have.
    for (const std::string_view exp : {"+1700003600", "0x6553f100", "NaN", "Infinity", "1700003600.", ".5", "-"}) {
        ExpectRefused(jwt.Verify(SignedToken(kHs256Header, with_exp(exp)), kT0), "claims");
    }
}

TEST(Jwt, InvalidTextInSegmentsIsRefused) {
    const JwtIssuer jwt{std::string(kSecret)};
    const auto with_jti = [](std::string_view jti) {
        return R"({"iss":"meterhub","sub":"42","iat":1700000000,"exp":1700003600,"jti":")" + std::string(jti) + R"("})";
    };
    // Bytes that are not UTF-8 (the old reader passed them through), a raw control character, a lone
    // surrogate, an unknown escape, comments and trailing commas (not JSON).
    for (const std::string_view jti : {"\xff\xfe", "\xc3", "\xed\xa0\x80",
                                       "a\x01"
                                       "b",
                                       "a\nb", R"(\ud800)", R"(\udc00x)", R"(\x41)", R"(\u12)"}) {
        ExpectRefused(jwt.Verify(SignedToken(kHs256Header, with_jti(jti)), kT0), "claims");
    }
    ExpectRefused(jwt.Verify(SignedToken(kHs256Header, "/* hi */" + Claims()), kT0), "claims");
    ExpectRefused(jwt.Verify(SignedToken(kHs256Header, ClaimsWith(R"("x":1 // hi)"
                                                                  "\n")),
                             kT0),
                  "claims");
    ExpectRefused(jwt.Verify(SignedToken(R"({"alg":"HS256",})", Claims()), kT0), "header");
    ExpectRefused(jwt.Verify(SignedToken(kHs256Header, Claims() + std::string(1, '\0')), kT0), "claims");
    // More members than any token of ours has.
    std::string many;
    for (int i = 0; i < 40; ++i) many += (i ? "," : "") + std::string("\"m") + std::to_string(i) + "\":1";
    ExpectRefused(jwt.Verify(SignedToken(kHs256Header, ClaimsWith(many)), kT0), "claims");
}

TEST(Jwt, ConstructorRefusesWeakSecretsAndOddIssuers) {
    EXPECT_THROW(JwtIssuer(std::string(31, 'x')), std::invalid_argument);
    EXPECT_THROW(JwtIssuer(""), std::invalid_argument);
    EXPECT_NO_THROW(JwtIssuer(std::string(32, 'x')));
    EXPECT_THROW(JwtIssuer(std::string(kSecret), ""), std::invalid_argument);
    EXPECT_THROW(JwtIssuer(std::string(kSecret), R"(a"b)"), std::invalid_argument);
    EXPECT_THROW(JwtIssuer(std::string(kSecret), "a\\b"), std::invalid_argument);
    EXPECT_THROW(JwtIssuer(std::string(kSecret), std::string(129, 'a')), std::invalid_argument);
}

TEST(Jwt, IssueRefusesBadArguments) {
    const JwtIssuer jwt{std::string(kSecret)};
    EXPECT_EQ(jwt.Issue(UserId{0}, kT0, seconds(60)).error().code, Errc::kInvalidArgument);
    EXPECT_EQ(jwt.Issue(UserId{-3}, kT0, seconds(60)).error().code, Errc::kInvalidArgument);
    EXPECT_EQ(jwt.Issue(UserId{1}, kT0, seconds(0)).error().code, Errc::kInvalidArgument);
    EXPECT_EQ(jwt.Issue(UserId{1}, kT0, seconds(-1)).error().code, Errc::kInvalidArgument);
    EXPECT_EQ(jwt.Issue(UserId{1}, FromMillis(-1000), seconds(60)).error().code, Errc::kInvalidArgument);
    EXPECT_EQ(jwt.Issue(UserId{1}, kT0, seconds(std::numeric_limits<std::int64_t>::max())).error().code,
              Errc::kInvalidArgument);
}

// ---- API keys ----

constexpr std::string_view kBase32 = "0123456789abcdefghjkmnpqrstvwxyz";

TEST(ApiKeys, HaveTheDocumentedShape) {
    for (int i = 0; i < 100; ++i) {
        const NewApiKey key = GenerateApiKey();
        ASSERT_EQ(key.prefix.size(), 12u);
        EXPECT_TRUE(key.prefix.starts_with("mhk_"));
        EXPECT_EQ(key.prefix.find_first_not_of(kBase32, 4), std::string::npos) << key.prefix;
        ASSERT_EQ(key.plaintext.size(), 45u);
        EXPECT_TRUE(key.plaintext.starts_with(key.prefix + "_")) << key.plaintext;
        EXPECT_EQ(key.plaintext.find_first_not_of(kBase32, 13), std::string::npos) << key.plaintext;
        ASSERT_EQ(key.secret_hash.size(), 64u);
        EXPECT_EQ(key.secret_hash.find_first_not_of("0123456789abcdef"), std::string::npos);
        EXPECT_EQ(key.secret_hash, HashApiKey(key.plaintext));
        EXPECT_EQ(ApiKeyPrefix(key.plaintext), key.prefix);
    }
}

TEST(ApiKeys, AreUnique) {
    std::set<std::string> prefixes;
    std::set<std::string> plaintexts;
    std::set<std::string> hashes;
    for (int i = 0; i < 2000; ++i) {
        const NewApiKey key = GenerateApiKey();
        prefixes.insert(key.prefix);
        plaintexts.insert(key.plaintext);
        hashes.insert(key.secret_hash);
    }
    EXPECT_EQ(prefixes.size(), 2000u);
    EXPECT_EQ(plaintexts.size(), 2000u);
    EXPECT_EQ(hashes.size(), 2000u);
}

TEST(ApiKeys, MatchTheirOwnHashOnly) {
    const NewApiKey a = GenerateApiKey();
    const NewApiKey b = GenerateApiKey();
    EXPECT_TRUE(ApiKeyMatches(a.plaintext, a.secret_hash));
    EXPECT_TRUE(ApiKeyMatches(b.plaintext, b.secret_hash));
    EXPECT_FALSE(ApiKeyMatches(a.plaintext, b.secret_hash));
    EXPECT_FALSE(ApiKeyMatches(b.plaintext, a.secret_hash));

    std::string upper = a.secret_hash;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_TRUE(ApiKeyMatches(a.plaintext, upper));

    std::string changed = a.plaintext;
    changed.back() = changed.back() == '0' ? '1' : '0';
    EXPECT_FALSE(ApiKeyMatches(changed, a.secret_hash));
    EXPECT_FALSE(ApiKeyMatches(a.plaintext + " ", a.secret_hash));
    EXPECT_FALSE(ApiKeyMatches("", a.secret_hash));
    EXPECT_FALSE(ApiKeyMatches(a.prefix, a.secret_hash));

    EXPECT_FALSE(ApiKeyMatches(a.plaintext, ""));
    EXPECT_FALSE(ApiKeyMatches(a.plaintext, a.secret_hash.substr(1)));
    EXPECT_FALSE(ApiKeyMatches(a.plaintext, a.secret_hash + "0"));
    EXPECT_FALSE(ApiKeyMatches(a.plaintext, std::string(64, 'g')));
    EXPECT_FALSE(ApiKeyMatches(a.plaintext, a.plaintext));
}

TEST(ApiKeys, HashIsSha256Hex) {
    EXPECT_EQ(HashApiKey(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(HashApiKey("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ApiKeys, PrefixParsingRejectsMalformedKeys) {
    const std::string good = GenerateApiKey().plaintext;
    const std::string tail = good.substr(4);
    ASSERT_TRUE(ApiKeyPrefix(good).has_value());
    EXPECT_EQ(ApiKeyPrefix("mhk_0123abcd_" + std::string(32, 'z')), "mhk_0123abcd");

    std::vector<std::string> malformed = {
        "",
        "mhk_",
        "mhk_0123abcd",
        "mhk_0123abcd_",
        good.substr(0, 44),
        good + "0",
        good + "\n",
        " " + good,
        "MHK_" + tail,
        "mhx_" + tail,
        "mhk-" + tail,
        "mhk_0123abcd-" + std::string(32, 'z'),         // wrong separator
        "mhk_0123abc_0" + std::string(32, 'z'),         // separator in the wrong place
        "mhk_0123ABCD_" + std::string(32, 'z'),         // uppercase
        "mhk_0123abcl_" + std::string(32, 'z'),         // ambiguous letters are not in the alphabet
        "mhk_0123abcd_" + std::string(31, 'z') + "o",   //
        "mhk_0123abcd_" + std::string(31, 'z') + "u",   //
        "mhk_0123abcd_" + std::string(31, 'z') + "_",   //
        "mhk_0123abcd_" + std::string(31, 'z') + '\0',  //
        std::string("mhk_0123\0bcd_", 13) + std::string(32, 'z'),
    };
    for (const std::string& key : malformed) EXPECT_FALSE(ApiKeyPrefix(key).has_value()) << key;
}

// ---- RateLimiter ----

TEST(RateLimiter, AllowsLimitThenRefusesUntilTheWindowEnds) {
    FakeClock clock(kT0);
    RateLimiter limiter(clock, 3, seconds(60));
    for (std::int64_t i = 1; i <= 3; ++i) {
        const auto decision = limiter.Take("client");
        EXPECT_TRUE(decision.allowed);
        EXPECT_EQ(decision.limit, 3);
        EXPECT_EQ(decision.remaining, 3 - i);
        EXPECT_EQ(decision.reset_s, 60);
        EXPECT_EQ(decision.retry_after_s, 0);
    }
    auto refused = limiter.Take("client");
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.remaining, 0);
    EXPECT_EQ(refused.reset_s, 60);
    EXPECT_EQ(refused.retry_after_s, 60);

    clock.Advance(Millis(20'500));  // 39.5 s left: rounded up
    refused = limiter.Take("client");
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.retry_after_s, 40);
    EXPECT_EQ(refused.reset_s, 40);

    clock.Advance(Millis(39'499));  // 1 ms left
    refused = limiter.Take("client");
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.retry_after_s, 1);

    clock.Advance(Millis(1));  // the window has ended: a new one starts now
    const auto fresh = limiter.Take("client");
    EXPECT_TRUE(fresh.allowed);
    EXPECT_EQ(fresh.remaining, 2);
    EXPECT_EQ(fresh.reset_s, 60);
}

TEST(RateLimiter, KeysAreIndependent) {
    FakeClock clock(kT0);
    RateLimiter limiter(clock, 2, seconds(10));
    EXPECT_TRUE(limiter.Take("a").allowed);
    EXPECT_TRUE(limiter.Take("a").allowed);
    EXPECT_FALSE(limiter.Take("a").allowed);
    clock.Advance(seconds(5));
    const auto b = limiter.Take("b");
    EXPECT_TRUE(b.allowed);
    EXPECT_EQ(b.remaining, 1);
    EXPECT_EQ(b.reset_s, 10);
    EXPECT_EQ(limiter.Take("a").retry_after_s, 5);
    EXPECT_TRUE(limiter.Take(std::string_view("a\0", 2)).allowed);  // keys are bytes, not C strings
    EXPECT_EQ(limiter.Size(), 3u);
}

TEST(RateLimiter, CostsAndRefusalsSpendOnlyWhatIsAllowed) {
    FakeClock clock(kT0);
    RateLimiter limiter(clock, 10, seconds(60));
    EXPECT_EQ(limiter.Take("k", 7).remaining, 3);
    const auto too_much = limiter.Take("k", 4);
    EXPECT_FALSE(too_much.allowed);
    EXPECT_EQ(too_much.remaining, 3);  // a refusal spends nothing
    EXPECT_TRUE(limiter.Take("k", 3).allowed);
    const auto peek = limiter.Take("k", 0);
    EXPECT_TRUE(peek.allowed);
    EXPECT_EQ(peek.remaining, 0);
    EXPECT_EQ(limiter.Take("k", -5).remaining, 0);

    const auto never = limiter.Take("other", 11);
    EXPECT_FALSE(never.allowed);
    EXPECT_EQ(never.remaining, 10);
    EXPECT_EQ(never.retry_after_s, 60);
}

TEST(RateLimiter, EvictsExpiredWindowsFirstThenTheOldest) {
    FakeClock clock(kT0);
    RateLimiter limiter(clock, 5, seconds(10), 2);
    EXPECT_EQ(limiter.Take("a", 5).remaining, 0);
    clock.Advance(seconds(5));
    EXPECT_EQ(limiter.Take("b", 4).remaining, 1);
    EXPECT_EQ(limiter.Size(), 2u);

    clock.Advance(seconds(7));  // a (started at 0 s) has ended, b (5 s) has not
    EXPECT_EQ(limiter.Take("c").remaining, 4);
    EXPECT_EQ(limiter.Size(), 2u);
    EXPECT_EQ(limiter.Take("b", 0).remaining, 1);  // b survived with its count

    clock.Advance(seconds(1));  // 13 s: nothing has ended, b (5 s) is the oldest
    EXPECT_EQ(limiter.Take("d").remaining, 4);
    EXPECT_EQ(limiter.Size(), 2u);
    EXPECT_EQ(limiter.Take("c", 0).remaining, 4);  // c (12 s) survived
    // b was evicted: it starts again, evicting c, now the oldest.
    EXPECT_EQ(limiter.Take("b").remaining, 4);
    EXPECT_EQ(limiter.Take("d", 0).remaining, 4);
    EXPECT_EQ(limiter.Size(), 2u);
}

TEST(RateLimiter, IdleKeysAreDroppedOverTime) {
    FakeClock clock(kT0);
    RateLimiter limiter(clock, 5, seconds(10), 100'000);
    for (int i = 0; i < 1000; ++i) (void)limiter.Take("idle-" + std::to_string(i));
    EXPECT_EQ(limiter.Size(), 1000u);
    clock.Advance(seconds(11));
    // Each Take sheds expired windows of its own shard, so traffic spread over keys sheds them all.
    for (int i = 0; i < 1000; ++i) {
        (void)limiter.Take("new-" + std::to_string(i));
        (void)limiter.Take("new-" + std::to_string(i));
    }
    EXPECT_EQ(limiter.Size(), 1000u);
}

TEST(RateLimiter, MaxKeysHoldsUnderAMillionDistinctKeys) {
    FakeClock clock(kT0);
    constexpr std::size_t kMaxKeys = 10'000;
    RateLimiter limiter(clock, 5, seconds(60), kMaxKeys);
    std::size_t largest = 0;
    std::string key;
    for (int i = 0; i < 1'000'000; ++i) {
        key = "client-" + std::to_string(i);
        ASSERT_TRUE(limiter.Take(key).allowed);
        if (i % 1000 == 999) {
            largest = std::max(largest, limiter.Size());
            clock.Advance(Millis(1));
        }
    }
    EXPECT_LE(largest, kMaxKeys);
    EXPECT_LE(limiter.Size(), kMaxKeys);
    EXPECT_GT(limiter.Size(), kMaxKeys / 2);  // the bound is used, not starved
    // The most recent key is still counted.
    EXPECT_EQ(limiter.Take(key).remaining, 3);
}

TEST(RateLimiter, ConcurrentTakesCountExactly) {
    FakeClock clock(kT0);
    constexpr std::int64_t kLimit = 25'000;
    constexpr int kThreads = 4;
    constexpr int kTakesPerThread = 10'000;
    RateLimiter limiter(clock, kLimit, seconds(60), 100'000);
    std::atomic<std::int64_t> allowed_shared{0};
    std::atomic<std::int64_t> allowed_own{0};
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            const std::string own = "thread-" + std::to_string(t);
            for (int i = 0; i < kTakesPerThread; ++i) {
                if (limiter.Take("shared").allowed) allowed_shared.fetch_add(1);
                if (limiter.Take(own).allowed) allowed_own.fetch_add(1);
                (void)limiter.Take("spread-" + std::to_string(i % 500));
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(allowed_shared.load(), kLimit);
    EXPECT_EQ(allowed_own.load(), std::int64_t{kThreads} * kTakesPerThread);
    EXPECT_EQ(limiter.Take("shared", 0).remaining, 0);
    EXPECT_EQ(limiter.Take("spread-0", 0).remaining, kLimit - std::int64_t{kThreads} * (kTakesPerThread / 500));
    EXPECT_EQ(limiter.Size(), 1u + kThreads + 500u);
}

TEST(LoginLimits, AddressAndAccountBudgetsAndSeparateSignUpAndResetBudgets) {
    FakeClock clock(kT0);
    LoginLimits limits(clock, 2);
    EXPECT_TRUE(limits.TakeLogin("10.0.0.1", "a@x").allowed);
    EXPECT_TRUE(limits.TakeLogin("10.0.0.2", "a@x").allowed);
    EXPECT_FALSE(limits.TakeLogin("10.0.0.3", "a@x").allowed);  // the account's budget, from any address
    EXPECT_TRUE(limits.TakeLogin("10.0.0.1", "b@x").allowed);
    EXPECT_FALSE(limits.TakeLogin("10.0.0.1", "c@x").allowed);  // the address's budget, for any account
    EXPECT_TRUE(limits.TakeLogin("10.0.0.4", "c@x").allowed);   // ...which spent nothing of c's
    EXPECT_TRUE(limits.TakeLogin("10.0.0.5", "c@x").allowed);
    // Sign-ups and resets have budgets of their own per address.
    for (int i = 0; i < 2; ++i) {
        EXPECT_TRUE(limits.TakeSignUp("10.0.0.1").allowed);
        EXPECT_TRUE(limits.TakePasswordReset("10.0.0.1").allowed);
    }
    EXPECT_FALSE(limits.TakeSignUp("10.0.0.1").allowed);
    EXPECT_FALSE(limits.TakePasswordReset("10.0.0.1").allowed);
    clock.Advance(seconds(60));
    EXPECT_TRUE(limits.TakeLogin("10.0.0.1", "a@x").allowed);
    EXPECT_THROW(LoginLimits(clock, 0), std::invalid_argument);
}

TEST(RateLimiter, ConstructorRefusesNonsense) {
    FakeClock clock(kT0);
    EXPECT_THROW(RateLimiter(clock, 0, seconds(60)), std::invalid_argument);
    EXPECT_THROW(RateLimiter(clock, -1, seconds(60)), std::invalid_argument);
    EXPECT_THROW(RateLimiter(clock, 10, seconds(0)), std::invalid_argument);
    EXPECT_THROW(RateLimiter(clock, 10, seconds(60), 0), std::invalid_argument);
}

}  // namespace
}  // namespace mh::domain
