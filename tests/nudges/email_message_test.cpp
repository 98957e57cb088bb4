#include <gtest/gtest.h>

#include "nudges/email_message.hpp"
#include "nudges/planner.hpp"

namespace headroom::nudges {
namespace {

using std::chrono::sys_days;
using std::chrono::sys_seconds;

EmailContent sample() {
  EmailContent m;
  m.from = "alerts@bank.example";
  m.to = "customer@example.com";
  m.subject = "Heads-up: your balance may run low on Friday, March 13";
  m.text_body = "Hello,\nline two\n";
  m.html_body = "<p>Hello</p>\n";
  m.message_id = message_id_for(dedupe_key("acct-1", "default", forecast::make_date(2026, 3, 13), Channel::kEmail),
                                m.from);
  m.unsubscribe_url = "https://bank.example/v1/unsubscribe?token=abc.def";
  m.date = sys_seconds{sys_days{forecast::make_date(2026, 3, 10)}} + std::chrono::seconds{14 * 3600 + 5 * 60 + 9};
  return m;
}

std::string headers_of(const std::string& message) { return message.substr(0, message.find("\r\n\r\n") + 2); }

TEST(MessageId, IsDerivedFromTheDedupeKeyAndTheSendersDomain) {
  const std::string key = dedupe_key("acct-1", "default", forecast::make_date(2026, 3, 13), Channel::kEmail);
  const std::string id = message_id_for(key, "alerts@bank.example");
  EXPECT_EQ(id, message_id_for(key, "alerts@bank.example"));
  EXPECT_EQ(id.size(), 1 + 32 + 1 + 12 + 1);
  EXPECT_EQ(id.substr(33), "@bank.example>");
  EXPECT_NE(id, message_id_for(dedupe_key("acct-1", "default", forecast::make_date(2026, 3, 14), Channel::kEmail),
                               "alerts@bank.example"));
  EXPECT_EQ(message_id_for(key, "no-domain").substr(33), "@headroom.local>");
  // The first 32 hex digits of SHA-256 of the key (Python: hashlib.sha256), so a
  // resend after an upgrade keeps its Message-ID.
  EXPECT_EQ(message_id_for("acct-1/default/2026-03-13/email", "alerts@bank.example"),
            "<4f720f6b57e17bfa292820b1331e4671@bank.example>");
}

TEST(ComposeEmail, WritesTheRfc5322Headers) {
  const std::string h = headers_of(compose_email(sample()));
  EXPECT_EQ(h.rfind("Date: Tue, 10 Mar 2026 14:05:09 +0000\r\n", 0), 0u) << h;
  EXPECT_NE(h.find("\r\nFrom: alerts@bank.example\r\n"), std::string::npos);
  EXPECT_NE(h.find("\r\nTo: customer@example.com\r\n"), std::string::npos);
  EXPECT_NE(h.find("\r\nSubject: Heads-up: your balance may run low on Friday, March 13\r\n"), std::string::npos);
  EXPECT_NE(h.find("\r\nMessage-ID: " + sample().message_id + "\r\n"), std::string::npos);
  EXPECT_NE(h.find("\r\nMIME-Version: 1.0\r\n"), std::string::npos);
  EXPECT_NE(h.find("\r\nList-Unsubscribe: <https://bank.example/v1/unsubscribe?token=abc.def>\r\n"), std::string::npos);
  EXPECT_NE(h.find("\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"), std::string::npos);
  EXPECT_NE(h.find("\r\nContent-Type: multipart/alternative; boundary=\"=_hr_"), std::string::npos);
}

TEST(ComposeEmail, IsByteIdenticalWhenComposedTwice) {
  EXPECT_EQ(compose_email(sample()), compose_email(sample()));
}

TEST(ComposeEmail, CarriesTextThenHtmlAsQuotedPrintableParts) {
  EmailContent m = sample();
  m.text_body = "Caf\xC3\xA9 = 5 \xE2\x82\xAC \nnext";
  m.html_body = "<p>Caf\xC3\xA9</p>";
  const std::string msg = compose_email(m);
  const std::size_t text = msg.find("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
  const std::size_t html = msg.find("Content-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
  ASSERT_NE(text, std::string::npos);
  ASSERT_NE(html, std::string::npos);
  EXPECT_LT(text, html);
  EXPECT_NE(msg.find("Caf=C3=A9 =3D 5 =E2=82=AC=20\r\nnext"), std::string::npos) << msg;
  EXPECT_NE(msg.find("<p>Caf=C3=A9</p>"), std::string::npos);
  const std::string boundary = msg.substr(msg.find("boundary=\"") + 10, 29);
  EXPECT_NE(msg.find("\r\n--" + boundary + "--\r\n"), std::string::npos);
  for (unsigned char c : msg) EXPECT_LT(c, 0x80);  // 7-bit clean
}

TEST(ComposeEmail, EncodesANonAsciiSubjectAsRfc2047Words) {
  EmailContent m = sample();
  m.subject = "Attention : solde bas le vendredi 13 mars \xE2\x80\x94 pr\xC3\xA9voyez un virement \xC3\xA9l\xC3\xA9ment";
  const std::string h = headers_of(compose_email(m));
  const std::size_t start = h.find("Subject: =?UTF-8?B?");
  ASSERT_NE(start, std::string::npos) << h;
  // Folded over several lines, each within 78 characters.
  const std::size_t end = h.find("\r\nMessage-ID:");
  const std::string subject = h.substr(start, end - start);
  EXPECT_NE(subject.find("?=\r\n =?UTF-8?B?"), std::string::npos);
  std::size_t pos = 0;
  while (pos < subject.size()) {
    const std::size_t eol = std::min(subject.find("\r\n", pos), subject.size());
    EXPECT_LE(eol - pos, 78u);
    pos = eol + 2;
  }
}

TEST(EncodeHeaderText, LeavesAsciiAloneAndSplitsOnCharacterBoundaries) {
  EXPECT_EQ(encode_header_text("plain"), "plain");
  EXPECT_EQ(encode_header_text("\xC3\xA9t\xC3\xA9"), "=?UTF-8?B?w6l0w6k=?=");
  // 40 two-byte characters = 80 bytes: words of 36, 36 and 8 bytes, none split mid-character.
  std::string many;
  for (int i = 0; i < 40; ++i) many += "\xC3\xA9";
  EXPECT_EQ(encode_header_text(many), "=?UTF-8?B?" + base64_encode(many.substr(0, 36)) + "?=\r\n =?UTF-8?B?" +
                                          base64_encode(many.substr(36, 36)) + "?=\r\n =?UTF-8?B?" +
                                          base64_encode(many.substr(72)) + "?=");
}

TEST(QuotedPrintable, SoftBreaksLongLinesAtSeventySixCharacters) {
  const std::string qp = quoted_printable(std::string(200, 'x'));
  EXPECT_EQ(qp, std::string(75, 'x') + "=\r\n" + std::string(75, 'x') + "=\r\n" + std::string(50, 'x'));
}

TEST(ComposeEmail, RejectsHeaderInjectionWithoutEchoingTheAddress) {
  EmailContent m = sample();
  m.subject = "Hi\r\nBcc: victim@example.com";
  EXPECT_THROW(compose_email(m), EmailError);
  m = sample();
  m.to = "secret-person@example.com>\r\nBcc: x@y";
  try {
    compose_email(m);
    FAIL() << "expected EmailError";
  } catch (const EmailError& e) {
    EXPECT_EQ(std::string(e.what()).find("secret-person"), std::string::npos);
    EXPECT_EQ(std::string(e.what()), "email To address is not a plain addr-spec (local@domain)");
  }
}

TEST(ComposeEmail, OmitsListUnsubscribeWithoutAUrl) {
  EmailContent m = sample();
  m.unsubscribe_url.clear();
  EXPECT_EQ(compose_email(m).find("List-Unsubscribe"), std::string::npos);
}

TEST(ComposeEmail, QuotesOrEncodesTheSendersDisplayName) {
  EmailContent m = sample();
  m.from_name = "Bank \"Alerts\"";
  EXPECT_NE(compose_email(m).find("\r\nFrom: \"Bank \\\"Alerts\\\"\" <alerts@bank.example>\r\n"), std::string::npos);
  m.from_name = "Banque \xC3\xA9";
  EXPECT_NE(compose_email(m).find("\r\nFrom: =?UTF-8?B?QmFucXVlIMOp?= <alerts@bank.example>\r\n"), std::string::npos);
}

// Found by fuzzing (tests/fuzz/email_roundtrip_fuzz.cpp, docs/fuzzing.md).
std::string header_line(const std::string& message, const std::string& name) {
  const auto at = message.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "(none)";
  auto end = message.find("\r\n", at + 2);
  while (message.compare(end + 2, 1, " ") == 0) end = message.find("\r\n", end + 2);  // folded
  return message.substr(at + 2, end - at - 2);
}

TEST(ComposeEmail, EncodesAPlainSubjectThatAReaderWouldDecodeOrTrim) {
  EmailContent m = sample();
  // Sent as is, a reader decoded the literal encoded word to "hello".
  m.subject = "Literally =?UTF-8?B?aGVsbG8=?=";
  EXPECT_EQ(header_line(compose_email(m), "Subject"), "Subject: " + encoded_words(m.subject));
  for (const char* subject : {" leading", "trailing ", "two  spaces"}) {
    m.subject = subject;
    EXPECT_EQ(header_line(compose_email(m), "Subject"), "Subject: " + encoded_words(subject)) << subject;
  }
  m.subject = "Plain words fold at spaces";
  EXPECT_EQ(header_line(compose_email(m), "Subject"), "Subject: Plain words fold at spaces");
}

TEST(ComposeEmail, KeepsEveryHeaderLineWithinSeventyEightCharacters) {
  EmailContent m = sample();
  // One word longer than a line could not be folded: the line was 9 + 100 long.
  m.subject = "Your balance " + std::string(100, 'x');
  m.from_name = std::string(90, 'B');  // a quoted display name of 92 on the From line
  const std::string message = compose_email(m);
  const std::string headers = message.substr(0, message.find("\r\n\r\n") + 2);
  for (std::size_t pos = 0, eol; (eol = headers.find("\r\n", pos)) != std::string::npos; pos = eol + 2)
    EXPECT_LE(eol - pos, 78u) << headers.substr(pos, eol - pos);
  EXPECT_EQ(header_line(message, "Subject"), "Subject: " + encoded_words(m.subject));
  EXPECT_EQ(header_line(message, "From"), "From: " + encoded_words(m.from_name) + " <alerts@bank.example>");
  // A short display name keeps the address on its line; a long address that
  // does not fit after the name gets a line of its own.
  m.from_name = "Bank";
  EXPECT_EQ(header_line(compose_email(m), "From"), "From: \"Bank\" <alerts@bank.example>");
  m.from = "overdraft-alerts-" + std::string(40, 'n') + "@bank.example";
  EXPECT_EQ(header_line(compose_email(m), "From"), "From: \"Bank\"\r\n <" + m.from + ">");
}

TEST(ComposeEmail, RefusesWhatNoHeaderLineCanHold) {
  EmailContent m = sample();
  m.to = std::string(250, 'a') + "@example.com";
  EXPECT_THROW(compose_email(m), EmailError);
  m = sample();
  m.unsubscribe_url = "https://bank.example/u?token=" + std::string(1000, 'a');
  EXPECT_THROW(compose_email(m), EmailError);
  m = sample();
  m.message_id = "<\xC3\xA9t\xC3\xA9@bank.example>";  // headers are 7-bit
  EXPECT_THROW(compose_email(m), EmailError);
}

TEST(Base64Url, RefusesNonZeroTrailingBitsSoEachTokenHasOneSpelling) {
  std::string out;
  EXPECT_TRUE(base64url_decode("YQ", out));  // "a"
  EXPECT_EQ(out, "a");
  // "YR" differs from "YQ" only in bits past the last byte: it decoded to "a" too.
  EXPECT_FALSE(base64url_decode("YR", out));
  EXPECT_FALSE(base64url_decode("YWJ", out));  // "ab" is "YWI"
  EXPECT_TRUE(base64url_decode("YWI", out));
  EXPECT_EQ(out, "ab");
}

}  // namespace
}  // namespace headroom::nudges
