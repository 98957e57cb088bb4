#pragma once
// Per-account signed unsubscribe tokens for List-Unsubscribe (RFC 8058).
//
// token = base64url(account_id) "." base64url(HMAC-SHA256(secret, "headroom-unsubscribe-v1" ␟ account_id))
// No expiry: an unsubscribe link must keep working for as long as the email
// sits in a mailbox. The secret comes from the daemon's configuration (never
// from flags); rotating it invalidates outstanding links, so keep the old one
// verifying for a while (verify against both). Verification compares in
// constant time.

#include <optional>
#include <string>
#include <string_view>

namespace headroom::nudges {

std::string sign_unsubscribe_token(std::string_view secret, std::string_view account_id);
// The account id when the token is well formed and its signature matches.
std::optional<std::string> verify_unsubscribe_token(std::string_view secret, std::string_view token);
// base_url + ("?" or "&") + "token=" + token (the token is URL-safe as is).
std::string unsubscribe_url(std::string_view base_url, std::string_view token);

}  // namespace headroom::nudges
