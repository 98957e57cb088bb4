// SMTP integration tests against the real sink scripts/test.sh starts
// (HEADROOM_TEST_SMTP_URL, messages as files in HEADROOM_TEST_MAILDIR), and
// one private sink started here on a port where nothing listened before.
#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "nudges/email_message.hpp"
#include "nudges/planner.hpp"
#include "nudges/retry.hpp"
#include "nudges/templates.hpp"
#include "nudges/unsubscribe.hpp"
#include "edge/smtp_mailer.hpp"

extern char** environ;

namespace headroom::edge {
namespace {

namespace fs = std::filesystem;
using forecast::make_date;
using forecast::Money;
using std::chrono::sys_seconds;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Unique per process and test, so reruns against a long-lived sink never
// collide with the sink's per-Message-ID tempfail counters.
std::string nonce() {
  static int counter = 0;
  return std::to_string(::getpid()) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + "-" + std::to_string(counter++);
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> messages_with_id(const fs::path& maildir, const std::string& message_id) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(maildir, ec)) {
    if (entry.path().extension() != ".eml") continue;
    std::string text = read_file(entry.path());
    if (text.find("\r\nMessage-ID: " + message_id + "\r\n") != std::string::npos) found.push_back(std::move(text));
  }
  return found;
}

// Bounded poll on the observable effect: the sink writes the file before it
// answers 250, so this normally succeeds on the first look.
std::vector<std::string> wait_for_messages(const fs::path& maildir, const std::string& message_id, std::size_t count) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{15};
  std::vector<std::string> found;
  while (std::chrono::steady_clock::now() < deadline) {
    found = messages_with_id(maildir, message_id);
    if (found.size() >= count) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return found;
}

std::string qp_decode(std::string_view qp) {
  std::string out;
  for (std::size_t i = 0; i < qp.size(); ++i) {
    if (qp[i] == '=' && i + 2 < qp.size() && qp[i + 1] == '\r' && qp[i + 2] == '\n') {
      i += 2;
    } else if (qp[i] == '=' && i + 2 < qp.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(qp.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(qp[i]);
    }
  }
  return out;
}

// The body of the MIME part whose Content-Type starts with `type`.
std::string part_body(const std::string& message, const std::string& type) {
  const std::size_t header = message.find("Content-Type: " + type);
  if (header == std::string::npos) return "";
  const std::size_t start = message.find("\r\n\r\n", header) + 4;
  const std::size_t end = message.find("\r\n--=_hr_", start);
  return qp_decode(std::string_view(message).substr(start, end - start));
}

// The Subject header with its RFC 2047 B-words decoded (as a mail client shows it).
std::string decoded_subject(const std::string& message) {
  const std::size_t start = message.find("\r\nSubject: ");
  if (start == std::string::npos) return "(no Subject)";
  std::size_t end = start + 2;
  do {
    end = message.find("\r\n", end) + 2;
  } while (message[end] == ' ' || message[end] == '\t');
  const std::string header = message.substr(start + 11, end - start - 13);
  std::string out;
  std::size_t pos = 0;
  while ((pos = header.find("=?UTF-8?B?", pos)) != std::string::npos) {
    const std::size_t stop = header.find("?=", pos + 10);
    std::string b64 = header.substr(pos + 10, stop - pos - 10);
    for (char& c : b64) c = c == '+' ? '-' : c == '/' ? '_' : c;
    while (!b64.empty() && b64.back() == '=') b64.pop_back();
    std::string bytes;
    if (!nudges::base64url_decode(b64, bytes)) return "(bad base64)";
    out += bytes;
    pos = stop + 2;
  }
  return out;
}

struct Nudge {
  std::string dedupe_key;
  nudges::EmailContent content;
  OutgoingEmail email;
};

Nudge make_nudge(const std::string& recipient, const std::string& account_id, const std::string& from) {
  nudges::ForecastSummary f;
  f.window_probability = 0.8;
  f.first_risky_day = make_date(2026, 3, 13);
  f.expected_shortfall = Money::from_cents(8450);
  f.drivers = {{nudges::Driver::Kind::kBill, "Rent", Money::from_cents(-120000), make_date(2026, 3, 13)}};
  f.next_income_date = make_date(2026, 3, 15);
  f.next_income_amount = Money::from_cents(210000);
  nudges::CopyVariant variant = nudges::default_copy_variant();
  variant.subject = "Attention \xE2\x80\x94 solde bas le {{first_risky_day}}";
  const std::string url = nudges::unsubscribe_url("https://bank.example/v1/unsubscribe",
                                                  nudges::sign_unsubscribe_token("test-secret", account_id));
  const nudges::CopyValues values =
      nudges::make_copy_values(f, Money::from_cents(0), make_date(2026, 3, 10), "USD", "en-US", url);
  const nudges::RenderedCopy copy = nudges::render_copy(variant, values);

  Nudge n;
  n.dedupe_key = nudges::dedupe_key(account_id, "default", *f.first_risky_day, nudges::Channel::kEmail);
  n.content.from = from;
  n.content.to = recipient;
  n.content.subject = copy.subject;
  n.content.text_body = copy.text_body;
  n.content.html_body = copy.html_body;
  n.content.message_id = nudges::message_id_for(n.dedupe_key, from);
  n.content.unsubscribe_url = url;
  n.content.date = sys_seconds{std::chrono::sys_days{make_date(2026, 3, 10)}} + std::chrono::hours{15};
  n.email.recipient = recipient;
  n.email.message_id = n.content.message_id;
  n.email.data = nudges::compose_email(n.content);
  return n;
}

SmtpSettings test_settings(const std::string& url) {
  SmtpSettings s;
  s.url = url;
  s.from = "alerts@bank.example";
  s.allow_insecure = true;
  s.connect_timeout = std::chrono::milliseconds{5000};
  s.timeout = std::chrono::milliseconds{15000};
  return s;
}

// Sends, retrying transient failures on the schedule of nudges::next_retry
// with a simulated clock (the schedule is under test, not wall time).
struct Delivery {
  DeliveryResult last;
  std::vector<DeliveryResult> attempts;
  std::vector<sys_seconds> attempt_times;
};
Delivery deliver_with_retries(Mailer& mailer, const OutgoingEmail& email) {
  nudges::RetryPolicy policy;
  const sys_seconds first{std::chrono::seconds{1'773'100'000}};
  sys_seconds now = first;
  Delivery d;
  for (int attempt = 1;; ++attempt) {
    d.attempt_times.push_back(now);
    d.last = mailer.send(email);
    d.attempts.push_back(d.last);
    if (d.last.status != DeliveryStatus::kTransient) return d;
    const nudges::RetryStep step = nudges::next_retry(policy, attempt, first, now, 42);
    if (step.give_up) return d;
    now = step.next_attempt_at;
  }
}

struct SmtpSink : ::testing::Test {
  std::string url = env("HEADROOM_TEST_SMTP_URL");
  fs::path maildir = env("HEADROOM_TEST_MAILDIR");
  void SetUp() override {
    if (url.empty() || maildir.empty()) {
      GTEST_FAIL() << "HEADROOM_TEST_SMTP_URL / HEADROOM_TEST_MAILDIR not set: run through scripts/test.sh";
    }
  }
};

TEST_F(SmtpSink, DeliversANudgeWithStableMessageIdUnsubscribeHeadersEncodedSubjectAndBothBodies) {
  const std::string id = nonce();
  SmtpMailer mailer(test_settings(url));
  const Nudge n = make_nudge("customer-" + id + "@example.com", "acct-" + id, "alerts@bank.example");
  const DeliveryResult r = mailer.send(n.email);
  ASSERT_EQ(r.status, DeliveryStatus::kDelivered) << r.detail;
  EXPECT_EQ(r.smtp_code, 250);

  const auto found = wait_for_messages(maildir, n.content.message_id, 1);
  ASSERT_EQ(found.size(), 1u);
  const std::string& m = found[0];
  EXPECT_EQ(n.content.message_id, nudges::message_id_for(n.dedupe_key, "alerts@bank.example"));
  EXPECT_NE(m.find("X-Sink-Mail-From: alerts@bank.example\r\n"), std::string::npos);
  EXPECT_NE(m.find("X-Sink-Rcpt-To: customer-" + id + "@example.com\r\n"), std::string::npos);
  EXPECT_NE(m.find("\r\nList-Unsubscribe: <https://bank.example/v1/unsubscribe?token=" +
                   nudges::sign_unsubscribe_token("test-secret", "acct-" + id) + ">\r\n"),
            std::string::npos);
  EXPECT_NE(m.find("\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"), std::string::npos);
  EXPECT_EQ(decoded_subject(m), "Attention \xE2\x80\x94 solde bas le Friday, March 13") << m;

  const std::string text = part_body(m, "text/plain");
  const std::string html = part_body(m, "text/html");
  EXPECT_NE(text.find("below $0.00 on Friday, March 13 (in 3 days), by about $84.50."), std::string::npos) << text;
  EXPECT_NE(text.find("Coming up before then: Rent ($1,200.00, Friday, March 13)."), std::string::npos) << text;
  EXPECT_NE(text.find("Your next expected deposit: $2,100.00 on Sunday, March 15."), std::string::npos) << text;
  EXPECT_NE(html.find("<strong>Friday, March 13</strong>"), std::string::npos) << html;
  EXPECT_NE(html.find("<a href=\"https://bank.example/v1/unsubscribe?token="), std::string::npos) << html;
  EXPECT_EQ(text.find("{{"), std::string::npos);
  EXPECT_EQ(html.find("{{"), std::string::npos);
}

TEST_F(SmtpSink, AResendOfTheSameOutboxRowCarriesTheSameMessageId) {
  const std::string id = nonce();
  SmtpMailer mailer(test_settings(url));
  const Nudge first = make_nudge("customer-" + id + "@example.com", "acct-" + id, "alerts@bank.example");
  const Nudge again = make_nudge("customer-" + id + "@example.com", "acct-" + id, "alerts@bank.example");
  ASSERT_EQ(first.email.data, again.email.data);
  ASSERT_EQ(mailer.send(first.email).status, DeliveryStatus::kDelivered);
  ASSERT_EQ(mailer.send(again.email).status, DeliveryStatus::kDelivered);
  // The sink (like any MTA) stores both; the shared Message-ID is what lets
  // downstream systems deduplicate the crash-window resend.
  EXPECT_EQ(wait_for_messages(maildir, first.content.message_id, 2).size(), 2u);
}

TEST_F(SmtpSink, RetriesA451UntilAcceptedAndDeliversOnce) {
  const std::string id = nonce();
  SmtpMailer mailer(test_settings(url));
  const Nudge n = make_nudge("tempfail-2-" + id + "@example.com", "acct-" + id, "alerts@bank.example");
  const Delivery d = deliver_with_retries(mailer, n.email);
  ASSERT_EQ(d.attempts.size(), 3u);
  EXPECT_EQ(d.attempts[0].status, DeliveryStatus::kTransient);
  EXPECT_EQ(d.attempts[0].smtp_code, 451);
  EXPECT_EQ(d.attempts[1].status, DeliveryStatus::kTransient);
  EXPECT_EQ(d.last.status, DeliveryStatus::kDelivered);
  EXPECT_GT(d.attempt_times[2] - d.attempt_times[1], d.attempt_times[1] - d.attempt_times[0] - std::chrono::seconds{16});
  EXPECT_EQ(wait_for_messages(maildir, n.content.message_id, 1).size(), 1u);
  EXPECT_EQ(messages_with_id(maildir, n.content.message_id).size(), 1u);
  EXPECT_EQ(d.attempts[0].detail.find("tempfail"), std::string::npos) << "the address must not leak into errors";
}

TEST_F(SmtpSink, A550IsPermanentAndNotRetried) {
  const std::string id = nonce();
  SmtpMailer mailer(test_settings(url));
  const Nudge n = make_nudge("permfail-" + id + "@example.com", "acct-" + id, "alerts@bank.example");
  const Delivery d = deliver_with_retries(mailer, n.email);
  ASSERT_EQ(d.attempts.size(), 1u);
  EXPECT_EQ(d.last.status, DeliveryStatus::kPermanent);
  EXPECT_EQ(d.last.smtp_code, 550);
  EXPECT_EQ(d.last.detail.find("permfail"), std::string::npos);
  EXPECT_TRUE(messages_with_id(maildir, n.content.message_id).empty());
}

TEST_F(SmtpSink, ReusesOneConnectionAcrossMessages) {
  SmtpMailer mailer(test_settings(url));
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    const std::string id = nonce();
    const Nudge n = make_nudge("customer-" + id + "@example.com", "acct-" + id, "alerts@bank.example");
    ASSERT_EQ(mailer.send(n.email).status, DeliveryStatus::kDelivered);
    ids.push_back(n.content.message_id);
  }
  EXPECT_EQ(mailer.connections_opened(), 1u);
  for (const auto& mid : ids) EXPECT_EQ(wait_for_messages(maildir, mid, 1).size(), 1u);
}

TEST_F(SmtpSink, RefusesPlainSmtpWhenInsecureIsNotAllowed) {
  SmtpSettings s = test_settings(url);
  s.allow_insecure = false;  // the sink offers no STARTTLS
  SmtpMailer mailer(s);
  const std::string id = nonce();
  const Nudge n = make_nudge("customer-" + id + "@example.com", "acct-" + id, "alerts@bank.example");
  const DeliveryResult r = mailer.send(n.email);
  EXPECT_EQ(r.status, DeliveryStatus::kTransient);
  EXPECT_TRUE(messages_with_id(maildir, n.content.message_id).empty());
}

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A private sink process, stopped (by its pid) when the test ends.
class OwnSink {
 public:
  OwnSink(const fs::path& dir, int port) : dir_(dir) {
    const std::string sink = env("HEADROOM_TEST_SMTP_SINK");
    std::vector<std::string> args = {"/usr/bin/python3", sink, "--maildir", (dir / "mail").string(),
                                     "--port", std::to_string(port), "--port-file", (dir / "port").string()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
  }
  ~OwnSink() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool wait_listening() const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{20};
    while (std::chrono::steady_clock::now() < deadline) {
      std::error_code ec;
      if (fs::exists(dir_ / "port", ec) && fs::file_size(dir_ / "port", ec) > 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    return false;
  }

 private:
  fs::path dir_;
  pid_t pid_ = -1;
};

TEST_F(SmtpSink, AServerThatIsDownIsTransientAndTheRetryDeliversOnceItIsBack) {
  ASSERT_FALSE(env("HEADROOM_TEST_SMTP_SINK").empty()) << "HEADROOM_TEST_SMTP_SINK not set";
  const int port = free_loopback_port();
  const std::string id = nonce();
  SmtpMailer mailer(test_settings("smtp://127.0.0.1:" + std::to_string(port)));
  const Nudge n = make_nudge("customer-" + id + "@example.com", "acct-" + id, "alerts@bank.example");

  const DeliveryResult down = mailer.send(n.email);
  EXPECT_EQ(down.status, DeliveryStatus::kTransient);
  EXPECT_EQ(down.smtp_code, 0);
  const nudges::RetryStep step = nudges::next_retry({}, 1, sys_seconds{}, sys_seconds{}, 1);
  EXPECT_FALSE(step.give_up);

  const fs::path dir = fs::temp_directory_path() / ("headroom-smtp-" + id);
  fs::create_directories(dir);
  {
    OwnSink sink(dir, port);
    ASSERT_TRUE(sink.wait_listening()) << "private sink did not start";
    const DeliveryResult back = mailer.send(n.email);
    ASSERT_EQ(back.status, DeliveryStatus::kDelivered) << back.detail;
    EXPECT_EQ(wait_for_messages(dir / "mail", n.content.message_id, 1).size(), 1u);
    EXPECT_EQ(messages_with_id(dir / "mail", n.content.message_id).size(), 1u);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace headroom::edge
