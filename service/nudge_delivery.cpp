#include "service/nudge_delivery.hpp"

#include <thread>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "db/nudge_store.hpp"
#include "nudges/email_message.hpp"

namespace headroom::service {

DeliveryStats& DeliveryStats::operator+=(const DeliveryStats& o) {
  emails_sent += o.emails_sent;
  emails_failed += o.emails_failed;
  emails_retried += o.emails_retried;
  emails_cancelled += o.emails_cancelled;
  in_app_released += o.in_app_released;
  in_app_cancelled += o.in_app_cancelled;
  return *this;
}

std::unique_ptr<edge::Mailer> make_mailer(const edge::SmtpSettings& settings) {
  if (settings.url.empty()) return nullptr;
  return std::make_unique<edge::SmtpMailer>(settings);
}

DeliveryWorker::DeliveryWorker(DeliverySettings settings, std::unique_ptr<edge::Mailer> mailer, std::string from_address)
    : settings_(std::move(settings)), mailer_(std::move(mailer)), from_address_(std::move(from_address)) {
  if (settings_.batch < 1) settings_.batch = 1;
}

DeliveryStats DeliveryWorker::deliver_due(pqxx::connection& conn, const std::atomic<bool>& stop, std::size_t max_rows) {
  DeliveryStats stats;
  while (!stop.load() && stats.total() < max_rows) {
    const int limit = static_cast<int>(std::min<std::size_t>(max_rows - stats.total(), 1000));
    const db::InAppRelease r = db::release_due_in_app(conn, limit, wall_now(settings_.clock));
    stats.in_app_released += r.released;
    stats.in_app_cancelled += r.cancelled;
    if (r.released + r.cancelled < static_cast<std::size_t>(limit)) break;
  }
  if (mailer_ && !stop.load() && stats.total() < max_rows) stats += deliver_emails(conn, stop, max_rows - stats.total());
  if (stats.total() > 0)
    spdlog::info("[delivery] in-app {} available, {} cancelled; email {} sent, {} retried, {} failed, {} cancelled",
                 stats.in_app_released, stats.in_app_cancelled, stats.emails_sent, stats.emails_retried,
                 stats.emails_failed, stats.emails_cancelled);
  return stats;
}

DeliveryStats DeliveryWorker::deliver_emails(pqxx::connection& conn, const std::atomic<bool>& stop,
                                             std::size_t max_rows) {
  DeliveryStats stats;
  while (!stop.load() && stats.total() < max_rows) {
    const int limit = static_cast<int>(std::min<std::size_t>(max_rows - stats.total(), settings_.batch));
    const auto claimed =
        db::claim_due_emails(conn, settings_.replica_id, settings_.lease, limit, wall_now(settings_.clock));
    if (claimed.empty()) break;
    for (const auto& row : claimed) {
      // A stop between messages leaves the rest of the batch claimed; its
      // lease runs out and another worker (or the restart) takes it over.
      if (stop.load()) break;
      if (row.opted_out) {
        db::mark_cancelled(conn, row.outbox_id, "opted_out");
        ++stats.emails_cancelled;
        continue;
      }
      if (row.email.empty() || !row.email_consent) {
        db::mark_cancelled(conn, row.outbox_id, "no_contact");
        ++stats.emails_cancelled;
        continue;
      }
      edge::OutgoingEmail email;
      try {
        const auto payload = nlohmann::json::parse(row.payload_json);
        nudges::EmailContent content;
        content.from = from_address_;
        content.from_name = settings_.from_name;
        content.to = row.email;
        content.subject = payload.value("subject", "");
        content.text_body = payload.value("text", "");
        content.html_body = payload.value("html", "");
        content.unsubscribe_url = payload.value("unsubscribe_url", "");
        content.message_id = row.message_id;
        content.date = row.created_at;
        email.recipient = row.email;
        email.message_id = row.message_id;
        email.data = nudges::compose_email(content);
      } catch (const std::exception& e) {
        // A payload that cannot become a message never will: permanent.
        spdlog::error("[delivery] outbox {} ({}): cannot compose: {}", row.outbox_id, row.message_id, e.what());
        db::mark_failed(conn, row.outbox_id, 0, std::string("compose: ") + e.what());
        ++stats.emails_failed;
        continue;
      }
      // The claim is re-read just before the send: an erasure (which
      // cancels the row and removes its copy) or an opt-out may have
      // committed since the batch was claimed, and a lease outrun by a slow
      // batch may have passed the row to another replica.
      const db::ClaimState claim = db::claim_state(conn, row.outbox_id, settings_.replica_id, row.attempts);
      if (claim == db::ClaimState::kLost) continue;  // the other replica sends it
      if (claim != db::ClaimState::kHeld) {
        if (claim == db::ClaimState::kOptedOut) db::mark_cancelled(conn, row.outbox_id, "opted_out");
        ++stats.emails_cancelled;
        continue;
      }
      // Sent outside any transaction: the claim has committed, the mark
      // follows in its own transaction (never retried around the send).
      const edge::DeliveryResult result = mailer_->send(email);
      switch (result.status) {
        case edge::DeliveryStatus::kDelivered:
          db::mark_sent(conn, row.outbox_id, result.smtp_code);
          ++stats.emails_sent;
          break;
        case edge::DeliveryStatus::kPermanent:
          spdlog::warn("[delivery] outbox {} ({}) account {}: permanent failure {}", row.outbox_id, row.message_id,
                       row.account_id, result.smtp_code);
          db::mark_failed(conn, row.outbox_id, result.smtp_code, result.detail);
          ++stats.emails_failed;
          break;
        case edge::DeliveryStatus::kTransient: {
          const auto step = nudges::next_retry(settings_.retry, row.attempts, row.first_attempt_at,
                                               std::chrono::floor<std::chrono::seconds>(wall_now(settings_.clock)),
                                               static_cast<std::uint64_t>(row.outbox_id));
          if (step.give_up) {
            spdlog::warn("[delivery] outbox {} ({}): retry deadline passed after {} attempts", row.outbox_id,
                         row.message_id, row.attempts);
            db::mark_failed(conn, row.outbox_id, result.smtp_code, "retry deadline passed: " + result.detail);
            ++stats.emails_failed;
          } else {
            db::mark_retry(conn, row.outbox_id, settings_.replica_id, row.attempts, step.next_attempt_at,
                           result.smtp_code, result.detail);
            ++stats.emails_retried;
          }
          break;
        }
      }
    }
    if (static_cast<int>(claimed.size()) < limit) break;
  }
  return stats;
}

DeliveryStats DeliveryWorker::drain(pqxx::connection& conn, const std::atomic<bool>& stop,
                                    std::chrono::seconds wait_bound) {
  DeliveryStats stats = deliver_due(conn, stop);
  const auto deadline = std::chrono::steady_clock::now() + wait_bound;
  while (!stop.load()) {
    const auto due_by = wall_now(settings_.clock);
    const auto in_app = db::outbox_backlog(conn, "in_app", settings_.lease, due_by);
    const auto emails = mailer_ ? db::outbox_backlog(conn, "email", settings_.lease, due_by) : db::OutboxBacklog{};
    if (std::chrono::steady_clock::now() > deadline) break;
    if (in_app.due + emails.due > 0) {
      stats += deliver_due(conn, stop);
      continue;
    }
    if (emails.leased == 0) break;
    // Rows leased by a worker that may have died: look again shortly and
    // take them over when their lease runs out (bounded by wait_bound).
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return stats;
}

}  // namespace headroom::service
