#pragma once
// The delivery worker: turns due outbox rows into effects, exactly once.
//
//   in-app  release_due_in_app(): the nudge becomes `available` (a trigger
//           sends NOTIFY headroom_nudges with its id) and its outbox row
//           `sent`, in one transaction.
//   email   claim a batch (FOR UPDATE SKIP LOCKED, lease = settings.lease) and
//           commit; then for each row: compose (Date = row created_at,
//           Message-ID stored on the row: both stable across resends), send
//           with the Mailer, and mark in its own transaction — sent,
//           failed (5xx, or the retry deadline passed), retry (4xx or
//           connection error: nudges::next_retry, jitter seeded by the row
//           id), or cancelled (opted out, or no address/consent any more).
//           Just before each send the claim is read again
//           (db::claim_state): a row an erasure cancelled since the claim,
//           an account that opted out since, or a row another replica took
//           over is not sent.
// A crash after a claim leaves rows pending with a stale lease; they are
// claimed again once it runs out and resent with the same Message-ID. The
// residual window — the server accepted, the mark did not commit — is one
// message per crashed worker (docs/policies.md).
//
// Not thread-safe: one worker per thread (it owns its mailer).

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <pqxx/connection>

#include "nudges/retry.hpp"
#include "edge/smtp_mailer.hpp"
#include "service/clock.hpp"

namespace headroom::service {

struct DeliverySettings {
  std::string replica_id;            // claimed_by; unique per process
  std::chrono::seconds lease{60};    // a claim unmarked for this long is claimed again
  int batch = 50;                    // rows per claim transaction
  std::string from_name;             // optional display name of the From header
  nudges::RetryPolicy retry;         // 30 s doubling to 1 h, ±50 % jitter, 24 h deadline
  // What "due" means: the wall clock by default (empty); a lockstep
  // experiment passes its simulated instant. Leases run on the database
  // server's clock; drain()'s wait bound is a duration, on steady_clock.
  Clock clock;
};

struct DeliveryStats {
  std::size_t emails_sent = 0;
  std::size_t emails_failed = 0;     // permanent, or retry deadline passed
  std::size_t emails_retried = 0;    // transient: rescheduled
  std::size_t emails_cancelled = 0;  // opted out / no contact at send time, or withdrawn since the claim
  std::size_t in_app_released = 0;
  std::size_t in_app_cancelled = 0;
  std::size_t total() const {
    return emails_sent + emails_failed + emails_retried + emails_cancelled + in_app_released + in_app_cancelled;
  }
  DeliveryStats& operator+=(const DeliveryStats& o);
};

class DeliveryWorker {
 public:
  // `mailer` may be null: the email channel is off and email rows stay pending.
  DeliveryWorker(DeliverySettings settings, std::unique_ptr<edge::Mailer> mailer, std::string from_address);

  // Delivers what is due now, batch after batch, until nothing due is left,
  // `stop` is set (checked between messages) or `max_rows` were handled.
  DeliveryStats deliver_due(pqxx::connection& conn, const std::atomic<bool>& stop,
                            std::size_t max_rows = static_cast<std::size_t>(-1));

  // deliver_due, then, while due rows are still leased (by a worker that may
  // have died), waits for their leases to run out and takes them over —
  // polling, bounded by `wait_bound`. For `headroom run --once`.
  DeliveryStats drain(pqxx::connection& conn, const std::atomic<bool>& stop, std::chrono::seconds wait_bound);

  bool email_enabled() const { return mailer_ != nullptr; }

 private:
  DeliveryStats deliver_emails(pqxx::connection& conn, const std::atomic<bool>& stop, std::size_t max_rows);

  DeliverySettings settings_;
  std::unique_ptr<edge::Mailer> mailer_;
  std::string from_address_;
};

// An edge::SmtpMailer for these settings, or null when settings.url is empty.
std::unique_ptr<edge::Mailer> make_mailer(const edge::SmtpSettings& settings);

}  // namespace headroom::service
