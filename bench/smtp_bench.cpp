// Email throughput to a local SMTP server (HEADROOM_BENCH_SMTP_URL, started by
// scripts/bench/nudges.sh): render the copy, compose the MIME message and send
// it over one SmtpMailer, whose libcurl handle reuses the connection.
// Wall-clock rate (UseRealTime): the time is spent waiting on the server.
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "nudges/email_message.hpp"
#include "nudges/planner.hpp"
#include "nudges/templates.hpp"
#include "nudges/unsubscribe.hpp"
#include "edge/smtp_mailer.hpp"

namespace {

using namespace headroom;

void BM_ComposeAndSendEmail(benchmark::State& state) {
  const char* url = std::getenv("HEADROOM_BENCH_SMTP_URL");
  if (!url) {
    state.SkipWithError("HEADROOM_BENCH_SMTP_URL not set (run scripts/bench.sh nudges)");
    return;
  }
  edge::SmtpSettings settings;
  settings.url = url;
  settings.from = "alerts@bank.example";
  settings.allow_insecure = true;
  edge::SmtpMailer mailer(settings);

  nudges::ForecastSummary f;
  f.first_risky_day = forecast::make_date(2026, 3, 13);
  f.expected_shortfall = forecast::Money::from_cents(8450);
  f.drivers = {{nudges::Driver::Kind::kBill, "Rent", forecast::Money::from_cents(-120000), *f.first_risky_day}};
  const nudges::CopyVariant variant = nudges::default_copy_variant();
  const auto date = std::chrono::sys_seconds{std::chrono::sys_days{forecast::make_date(2026, 3, 10)}};
  std::size_t i = 0, failed = 0;
  for (auto _ : state) {
    const std::string account = "bench-" + std::to_string(i++);
    const std::string url_text = nudges::unsubscribe_url("https://bank.example/v1/unsubscribe",
                                                         nudges::sign_unsubscribe_token("bench-secret", account));
    const auto copy = nudges::render_copy(
        variant, nudges::make_copy_values(f, {}, forecast::make_date(2026, 3, 10), "USD", "en-US", url_text));
    nudges::EmailContent c;
    c.from = settings.from;
    c.to = account + "@example.com";
    c.subject = copy.subject;
    c.text_body = copy.text_body;
    c.html_body = copy.html_body;
    c.message_id = nudges::message_id_for(
        nudges::dedupe_key(account, "bench", *f.first_risky_day, nudges::Channel::kEmail), c.from);
    c.unsubscribe_url = url_text;
    c.date = date;
    const auto r = mailer.send({c.to, c.message_id, nudges::compose_email(c)});
    failed += r.status != edge::DeliveryStatus::kDelivered;
  }
  if (failed) state.SkipWithError("some messages were not delivered");
  state.counters["messages/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["connections"] = static_cast<double>(mailer.connections_opened());
}

BENCHMARK(BM_ComposeAndSendEmail)->UseRealTime()->Iterations(2000);

}  // namespace

BENCHMARK_MAIN();
