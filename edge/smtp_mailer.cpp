#include "edge/smtp_mailer.hpp"

#include <cstring>
#include <stdexcept>

#include <curl/curl.h>
#include <spdlog/spdlog.h>

namespace headroom::edge {

namespace {

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

struct ReadCursor {
  const std::string* data;
  std::size_t offset;
};

size_t read_message(char* buffer, size_t size, size_t nitems, void* user) {
  auto* cursor = static_cast<ReadCursor*>(user);
  const std::size_t room = size * nitems;
  const std::size_t left = cursor->data->size() - cursor->offset;
  const std::size_t n = left < room ? left : room;
  std::memcpy(buffer, cursor->data->data() + cursor->offset, n);
  cursor->offset += n;
  return n;
}

}  // namespace

const char* to_string(DeliveryStatus status) {
  switch (status) {
    case DeliveryStatus::kDelivered: return "delivered";
    case DeliveryStatus::kTransient: return "transient";
    case DeliveryStatus::kPermanent: return "permanent";
  }
  return "?";
}

void validate_smtp_settings(const SmtpSettings& s) {
  if (!starts_with(s.url, "smtp://") && !starts_with(s.url, "smtps://")) {
    throw std::invalid_argument("HEADROOM_SMTP_URL must start with smtp:// or smtps://");
  }
  if (s.from.empty() || s.from.find('@') == std::string::npos || s.from.find_first_of("\r\n<> ") != std::string::npos) {
    throw std::invalid_argument("HEADROOM_SMTP_FROM must be a plain address like headroom@bank.example");
  }
  if (s.user.empty() != s.password.empty() && !s.user.empty()) {
    throw std::invalid_argument("HEADROOM_SMTP_USER is set but HEADROOM_SMTP_PASSWORD(_FILE) is not");
  }
}

struct SmtpMailer::Impl {
  SmtpSettings settings;
  CURL* curl = nullptr;
  std::string envelope_from;
  char error[CURL_ERROR_SIZE] = {};
  std::uint64_t connections = 0;
};

SmtpMailer::SmtpMailer(SmtpSettings settings) : impl_(std::make_unique<Impl>()) {
  validate_smtp_settings(settings);
  impl_->settings = std::move(settings);
  impl_->envelope_from = "<" + impl_->settings.from + ">";
  impl_->curl = curl_easy_init();
  if (!impl_->curl) throw std::runtime_error("[smtp] curl_easy_init failed");
  CURL* h = impl_->curl;
  const SmtpSettings& s = impl_->settings;
  curl_easy_setopt(h, CURLOPT_URL, s.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, &read_message);
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, impl_->envelope_from.c_str());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, impl_->error);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(s.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(s.timeout.count()));
  // smtps:// is TLS from the first byte; for smtp:// STARTTLS is mandatory
  // unless plain SMTP was explicitly allowed.
  curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(s.allow_insecure ? CURLUSESSL_TRY : CURLUSESSL_ALL));
  if (!s.user.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, s.user.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, s.password.c_str());
  }
}

SmtpMailer::~SmtpMailer() {
  if (impl_ && impl_->curl) curl_easy_cleanup(impl_->curl);
}

std::uint64_t SmtpMailer::connections_opened() const { return impl_->connections; }

DeliveryResult SmtpMailer::send(const OutgoingEmail& email) {
  CURL* h = impl_->curl;
  ReadCursor cursor{&email.data, 0};
  const std::string rcpt = "<" + email.recipient + ">";
  curl_slist* recipients = curl_slist_append(nullptr, rcpt.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients);
  curl_easy_setopt(h, CURLOPT_READDATA, &cursor);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(email.data.size()));
  impl_->error[0] = '\0';
  const CURLcode rc = curl_easy_perform(h);
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  long connects = 0;
  curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
  impl_->connections += static_cast<std::uint64_t>(connects);
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, nullptr);
  curl_slist_free_all(recipients);

  DeliveryResult result;
  result.smtp_code = static_cast<int>(code);
  if (rc == CURLE_OK) {
    result.status = DeliveryStatus::kDelivered;
    result.detail = "accepted";
    spdlog::debug("[smtp] delivered {}", email.message_id);
    return result;
  }
  // libcurl's messages carry codes, not addresses; drop any that might.
  std::string text = impl_->error[0] ? impl_->error : curl_easy_strerror(rc);
  if (text.find('@') != std::string::npos) text = curl_easy_strerror(rc);
  result.detail = text + (code ? " (SMTP " + std::to_string(code) + ")" : std::string());
  // Credentials and TLS failures are configuration or server problems, not a
  // verdict on this message: keep them retryable so a fix delivers the backlog.
  const bool setup_failure = rc == CURLE_LOGIN_DENIED || rc == CURLE_USE_SSL_FAILED || rc == CURLE_SSL_CONNECT_ERROR ||
                             rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_AUTH_ERROR;
  if (!setup_failure && code >= 500 && code < 600) {
    result.status = DeliveryStatus::kPermanent;
    spdlog::warn("[smtp] permanent failure for {}: {}", email.message_id, result.detail);
  } else {
    result.status = DeliveryStatus::kTransient;
    spdlog::warn("[smtp] transient failure for {}: {}", email.message_id, result.detail);
  }
  return result;
}

}  // namespace headroom::edge
