// Fuzz target: unsubscribe tokens (nudges/unsubscribe.hpp) and the base64url
// codec under them (nudges/email_message.hpp).
// Input: fields separated by 0xFF: secret, account id, a token to verify.
// Properties:
//  - a signed token verifies to its account under its secret, and not under
//    another secret;
//  - a token that verifies is exactly the one sign_unsubscribe_token makes
//    for the account it names: one link per account, no other spelling of it
//    (trailing bits, padding) is accepted;
//  - base64url_decode accepts exactly what base64url_encode writes: decoding
//    then encoding gives the same text, encoding then decoding the same bytes.

#include <string>

#include "nudges/email_message.hpp"
#include "nudges/unsubscribe.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace headroom;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::Fields in(data, size);
  const std::string_view secret = in[0];
  const std::string_view account = in[1];
  const std::string_view token = in[2];

  const std::string signed_token = nudges::sign_unsubscribe_token(secret, account);
  const auto mine = nudges::verify_unsubscribe_token(secret, signed_token);
  if (account.empty()) {
    FUZZ_CHECK(!mine, "a token for the empty account verified");
  } else {
    FUZZ_CHECK(mine && *mine == account, fuzz::show(signed_token));
    FUZZ_CHECK(!nudges::verify_unsubscribe_token(std::string(secret) + "x", signed_token), fuzz::show(signed_token));
  }
  // Another spelling of the signed token: one character of the account part
  // or of the signature replaced by a fuzz-chosen one.
  if (!account.empty() && !token.empty()) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const std::size_t dot = signed_token.find('.');
    std::string other = signed_token;
    const std::size_t pick = static_cast<unsigned char>(token[0]);
    const std::size_t at = (pick & 1) ? dot - 1 : other.size() - 1;  // the last character of either part
    other[at] = kAlphabet[(pick >> 1) % 64];
    if (other != signed_token)
      FUZZ_CHECK(!nudges::verify_unsubscribe_token(secret, other),
                 fuzz::show(other) + " verifies as well as " + fuzz::show(signed_token));
  }
  const std::string url = nudges::unsubscribe_url("https://bank.example/unsubscribe", signed_token);
  FUZZ_CHECK(url == "https://bank.example/unsubscribe?token=" + signed_token, url);

  if (const auto id = nudges::verify_unsubscribe_token(secret, token))
    FUZZ_CHECK(nudges::sign_unsubscribe_token(secret, *id) == token,
               "token " + fuzz::show(token) + " verified for " + fuzz::show(*id) + " but is not its signed token");

  std::string bytes;
  if (nudges::base64url_decode(token, bytes))
    FUZZ_CHECK(nudges::base64url_encode(bytes) == token, fuzz::show(token) + " decoded to " + fuzz::show(bytes));
  FUZZ_CHECK(nudges::base64url_decode(nudges::base64url_encode(token), bytes) && bytes == token, fuzz::show(token));
  return 0;
}
