#pragma once
// Email delivery over SMTP with libcurl: the edge behind the Mailer interface.
//
// Security: smtp:// requires STARTTLS (CURLUSESSL_ALL) and smtps:// is
// implicit TLS; plain SMTP is allowed only with allow_insecure (loopback
// tests, HEADROOM_SMTP_ALLOW_INSECURE=1), and then TLS is still used when the
// server offers it. Certificates are verified against the system store.
//
// One SmtpMailer keeps one CURL easy handle, so consecutive messages reuse
// the SMTP connection (one EHLO/AUTH per connection, not per message).
// Not thread-safe: one mailer per delivery worker.
//
// Each send is classified, never thrown:
//   delivered  the server answered 250 to the message
//   transient  a 4xx reply, or a connection/TLS/timeout failure — retry later
//              with nudges::next_retry; the outcome of a connection that broke
//              after DATA is unknown, so the resend carries the same Message-ID
//   permanent  a 5xx reply (mailbox unknown, policy rejection) — record, never retry
// Logs (tag "[smtp]") name the Message-ID and the SMTP code, never an address.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace headroom::edge {

struct SmtpSettings {
  std::string url;             // smtp://host:port (STARTTLS) or smtps://host:port; empty = email off
  std::string user;            // AUTH user; empty = no AUTH
  std::string password;        // AUTH password (env or file only, never a flag)
  std::string from = "headroom@localhost";  // envelope sender and From address
  bool allow_insecure = false;  // permit plain SMTP (loopback testing)
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds timeout{60'000};  // whole transfer of one message
};

// Throws std::invalid_argument when the settings cannot work (bad scheme, ...).
void validate_smtp_settings(const SmtpSettings& settings);

enum class DeliveryStatus { kDelivered, kTransient, kPermanent };
const char* to_string(DeliveryStatus status);

struct DeliveryResult {
  DeliveryStatus status = DeliveryStatus::kTransient;
  int smtp_code = 0;   // last SMTP reply code, 0 when none (connection failure)
  std::string detail;  // for the outbox's last_error; never contains an address
};

struct OutgoingEmail {
  std::string recipient;   // envelope RCPT TO (bare address)
  std::string message_id;  // for logs: "<...@...>"
  std::string data;        // the RFC 5322 message (nudges::compose_email)
};

class Mailer {
 public:
  virtual ~Mailer() = default;
  virtual DeliveryResult send(const OutgoingEmail& email) = 0;
};

class SmtpMailer final : public Mailer {
 public:
  explicit SmtpMailer(SmtpSettings settings);  // validates; throws std::invalid_argument
  ~SmtpMailer() override;
  SmtpMailer(const SmtpMailer&) = delete;
  SmtpMailer& operator=(const SmtpMailer&) = delete;

  DeliveryResult send(const OutgoingEmail& email) override;

  // New SMTP connections opened so far (connection reuse keeps this at 1 for
  // a healthy server); exported as a metric by the daemon.
  std::uint64_t connections_opened() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace headroom::edge
