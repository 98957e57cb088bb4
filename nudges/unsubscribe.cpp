#include "nudges/unsubscribe.hpp"

#include "nudges/email_message.hpp"
#include "nudges/sha256.hpp"

namespace headroom::nudges {

namespace {
constexpr std::string_view kPurpose = "headroom-unsubscribe-v1\x1f";

std::string signature(std::string_view secret, std::string_view account_id) {
  std::string message(kPurpose);
  message.append(account_id);
  const Sha256Digest mac = hmac_sha256(secret, message);
  return base64url_encode({reinterpret_cast<const char*>(mac.data()), mac.size()});
}
}  // namespace

std::string sign_unsubscribe_token(std::string_view secret, std::string_view account_id) {
  return base64url_encode(account_id) + "." + signature(secret, account_id);
}

std::optional<std::string> verify_unsubscribe_token(std::string_view secret, std::string_view token) {
  const std::size_t dot = token.find('.');
  if (dot == std::string_view::npos || dot == 0 || token.find('.', dot + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  std::string account_id;
  if (!base64url_decode(token.substr(0, dot), account_id) || account_id.empty()) return std::nullopt;
  if (!constant_time_equal(token.substr(dot + 1), signature(secret, account_id))) return std::nullopt;
  return account_id;
}

std::string unsubscribe_url(std::string_view base_url, std::string_view token) {
  std::string url(base_url);
  url += base_url.find('?') == std::string_view::npos ? "?token=" : "&token=";
  url.append(token);
  return url;
}

}  // namespace headroom::nudges
