// Fuzz target: email composition (nudges/email_message.hpp), round trip.
// Input: fields separated by 0xFF: from, from_name, to, subject, text body,
// html body, Message-ID (a value starting with '<' is used as is, anything
// else as the dedupe key of message_id_for), List-Unsubscribe URL, date
// (8 bytes). A missing from/to field is a valid default address.
// compose_email either throws EmailError or writes a message that
//  - is 7-bit, with CRLF line ends only, no NUL, lines of at most 998
//    characters, and of at most 78 except a line holding nothing but one
//    address, Message-ID or URL too long to fit (which cannot be folded);
//  - parses back (tests/fuzz/mime_parser.hpp) with each header once and the
//    same values: Date, From (display name and address), To, Subject,
//    Message-ID, List-Unsubscribe(-Post), and text then html parts whose
//    decoded bodies are the bodies composed (line ends as "\n").

#include <chrono>
#include <string>

#include "nudges/email_message.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "tests/fuzz/mime_parser.hpp"

using namespace headroom;
namespace mime = headroom::fuzz::mime;

namespace {

std::string normalized_body(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    out.push_back(text[i]);
  }
  return out;
}

const mime::Header& one_header(const mime::Message& m, std::string_view name, const std::string& message) {
  std::size_t count = 0;
  const mime::Header* h = mime::find_header(m.headers, name, &count);
  FUZZ_CHECK(count == 1, std::string(name) + " appears " + std::to_string(count) + " times in\n" + fuzz::show(message));
  return *h;
}

void check_lines(const std::string& message, const nudges::EmailContent& c) {
  for (std::size_t i = 0; i < message.size(); ++i) {
    const auto u = static_cast<unsigned char>(message[i]);
    FUZZ_CHECK(u != 0 && u < 0x80, "byte " + std::to_string(u) + " at " + std::to_string(i));
    if (message[i] == '\r') FUZZ_CHECK(i + 1 < message.size() && message[i + 1] == '\n', "bare CR at " + std::to_string(i));
    if (message[i] == '\n') FUZZ_CHECK(i > 0 && message[i - 1] == '\r', "bare LF at " + std::to_string(i));
  }
  FUZZ_CHECK(message.ends_with("\r\n"), "no final CRLF");
  const std::string tokens[] = {c.from, "<" + c.from + ">", c.to, c.message_id, "<" + c.unsubscribe_url + ">"};
  std::size_t pos = 0;
  while (pos < message.size()) {
    const std::size_t eol = message.find("\r\n", pos);
    const std::string_view line = std::string_view(message).substr(pos, eol - pos);
    pos = eol + 2;
    FUZZ_CHECK(line.size() <= 998, "line of " + std::to_string(line.size()) + ": " + fuzz::show(line));
    if (line.size() <= 78) continue;
    // What is left of an over-long line must be one token that cannot be folded.
    std::string_view rest = line;
    if (!rest.empty() && mime::is_wsp(rest.front())) {
      rest.remove_prefix(1);
    } else if (const auto colon = rest.find(": "); colon != std::string_view::npos) {
      rest.remove_prefix(colon + 2);
    }
    bool unfoldable = false;
    for (const auto& t : tokens) unfoldable = unfoldable || rest == t;
    FUZZ_CHECK(unfoldable, "line of " + std::to_string(line.size()) + " > 78: " + fuzz::show(line));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::Fields in(data, size);
  nudges::EmailContent c;
  c.from = in.size() > 0 ? std::string(in[0]) : "alerts@bank.example";
  c.from_name = in[1];
  c.to = in.size() > 2 ? std::string(in[2]) : "customer@example.com";
  c.subject = in[3];
  c.text_body = in[4];
  c.html_body = in[5];
  c.message_id = in[6].starts_with("<") ? std::string(in[6]) : nudges::message_id_for(in[6], c.from);
  c.unsubscribe_url = in[7];
  // 1970 to 9999: the years a Date header can carry.
  c.date = std::chrono::sys_seconds{std::chrono::seconds{static_cast<std::int64_t>(in.number(8) % 253'402'300'800ULL)}};

  std::string message;
  try {
    message = nudges::compose_email(c);
  } catch (const nudges::EmailError& e) {
    FUZZ_CHECK(std::string_view(e.what()).starts_with("email "), e.what());
    return 0;
  }
  FUZZ_CHECK(message == nudges::compose_email(c), "composing twice differs");
  check_lines(message, c);

  std::string why;
  const auto parsed = mime::parse_message(message, why);
  FUZZ_CHECK(parsed, why + " in\n" + fuzz::show(message));
  const auto& m = *parsed;
  FUZZ_CHECK(one_header(m, "Date", message).value == nudges::rfc5322_date(c.date), message);
  const auto from = mime::parse_mailbox(one_header(m, "From", message).value);
  FUZZ_CHECK(from, "From does not parse: " + fuzz::show(message));
  FUZZ_CHECK(from->address == c.from, fuzz::show(from->address));
  FUZZ_CHECK(from->display_name == c.from_name,
             "display name '" + fuzz::show(c.from_name) + "' parses back as '" + fuzz::show(from->display_name) + "'");
  FUZZ_CHECK(one_header(m, "To", message).value == c.to, fuzz::show(message));
  const std::string subject = mime::decode_words(one_header(m, "Subject", message).value);
  FUZZ_CHECK(subject == c.subject, "subject '" + fuzz::show(c.subject) + "' parses back as '" + fuzz::show(subject) + "'");
  FUZZ_CHECK(one_header(m, "Message-ID", message).value == c.message_id, fuzz::show(message));
  FUZZ_CHECK(one_header(m, "MIME-Version", message).value == "1.0", fuzz::show(message));
  std::size_t count = 0;
  const auto* unsubscribe = mime::find_header(m.headers, "List-Unsubscribe", &count);
  if (c.unsubscribe_url.empty()) {
    FUZZ_CHECK(count == 0, fuzz::show(message));
  } else {
    FUZZ_CHECK(count == 1 && unsubscribe->value == "<" + c.unsubscribe_url + ">", fuzz::show(message));
    FUZZ_CHECK(one_header(m, "List-Unsubscribe-Post", message).value == "List-Unsubscribe=One-Click", message);
  }
  FUZZ_CHECK(m.parts.size() == 2, std::to_string(m.parts.size()) + " parts");
  const auto* text_type = mime::find_header(m.parts[0].headers, "Content-Type");
  const auto* html_type = mime::find_header(m.parts[1].headers, "Content-Type");
  FUZZ_CHECK(text_type && text_type->value == "text/plain; charset=UTF-8", fuzz::show(message));
  FUZZ_CHECK(html_type && html_type->value == "text/html; charset=UTF-8", fuzz::show(message));
  FUZZ_CHECK(m.parts[0].body == normalized_body(c.text_body),
             "text '" + fuzz::show(c.text_body) + "' parses back as '" + fuzz::show(m.parts[0].body) + "'");
  FUZZ_CHECK(m.parts[1].body == normalized_body(c.html_body),
             "html '" + fuzz::show(c.html_body) + "' parses back as '" + fuzz::show(m.parts[1].body) + "'");
  return 0;
}
