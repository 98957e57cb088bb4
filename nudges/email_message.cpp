#include "nudges/email_message.hpp"

#include <array>
#include <cstdio>

#include "nudges/sha256.hpp"

namespace headroom::nudges {

namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode64(std::string_view bytes, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t(static_cast<unsigned char>(bytes[i])) << 16) |
                            (std::uint32_t(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                            std::uint32_t(static_cast<unsigned char>(bytes[i + 2]));
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    out.push_back(alphabet[v & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t v = std::uint32_t(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) v |= std::uint32_t(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    if (rest == 2) out.push_back(alphabet[(v >> 6) & 63]);
    if (pad) out.append(rest == 1 ? "==" : "=");
  }
  return out;
}

bool is_plain_ascii(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

void check_header_value(std::string_view value, std::string_view field) {
  if (value.find_first_of("\r\n") != std::string_view::npos) {
    throw EmailError("email " + std::string(field) + " contains a line break");
  }
}

// RFC 5322 §2.1.1: lines SHOULD be at most 78 characters, MUST be at most 998.
constexpr std::size_t kLineLength = 78;
constexpr std::size_t kMaxLineLength = 998;
// RFC 5321 §4.5.3.1.3: a path, with its angle brackets, is at most 256.
constexpr std::size_t kMaxAddressLength = 254;

// Messages never repeat the address itself: it must not reach logs.
void check_address(std::string_view address, std::string_view field) {
  const std::size_t at = address.find('@');
  bool ok = !address.empty() && at != std::string_view::npos && at > 0 && at + 1 < address.size() &&
            address.find('@', at + 1) == std::string_view::npos;
  for (unsigned char c : address) ok = ok && c > 0x20 && c < 0x7f && c != '<' && c != '>' && c != '"' && c != ',';
  if (!ok) throw EmailError("email " + std::string(field) + " address is not a plain addr-spec (local@domain)");
  if (address.size() > kMaxAddressLength)
    throw EmailError("email " + std::string(field) + " address is longer than 254 characters (RFC 5321)");
}

// Text a reader gets back unchanged when it travels as is: printable ASCII
// without "=?" (a reader would decode an "=?...?=" word in it), and without
// leading, trailing or doubled spaces (unfolding, parsers and transports trim
// or change those).
bool is_plain_header_text(std::string_view s) {
  return is_plain_ascii(s) && s.find("=?") == std::string_view::npos && s.find("  ") == std::string_view::npos &&
         (s.empty() || (s.front() != ' ' && s.back() != ' '));
}

// True when every CRLF-separated line of `text` is at most 78 characters.
bool lines_fit(std::string_view text) {
  std::size_t start = 0;
  for (;;) {
    const std::size_t eol = text.find("\r\n", start);
    const std::size_t end = eol == std::string_view::npos ? text.size() : eol;
    if (end - start > kLineLength) return false;
    if (eol == std::string_view::npos) return true;
    start = eol + 2;
  }
}

// The length of the last line of `text`.
std::size_t last_line_length(std::string_view text) {
  const std::size_t eol = text.rfind("\r\n");
  return eol == std::string_view::npos ? text.size() : text.size() - eol - 2;
}

// Folds a plain-ASCII header at spaces so lines stay <= 78 characters.
std::string fold_ascii(std::string_view name, std::string_view value) {
  std::string out(name);
  out += ": ";
  std::size_t line_len = out.size();
  std::size_t pos = 0;
  while (pos < value.size()) {
    std::size_t next_space = value.find(' ', pos + 1);
    if (next_space == std::string_view::npos) next_space = value.size();
    const std::string_view word = value.substr(pos, next_space - pos);
    if (line_len + word.size() > 78 && pos > 0 && word.front() == ' ') {
      out += "\r\n";
      line_len = 0;
    }
    out.append(word);
    line_len += word.size();
    pos = next_space;
  }
  out += "\r\n";
  return out;
}

void append_hex_byte(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out.push_back('=');
  out.push_back(kHex[c >> 4]);
  out.push_back(kHex[c & 15]);
}

}  // namespace

std::string base64_encode(std::string_view bytes) { return encode64(bytes, kB64, true); }
std::string base64url_encode(std::string_view bytes) { return encode64(bytes, kB64Url, false); }

bool base64url_decode(std::string_view text, std::string& out) {
  out.clear();
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-') v = 62;
    else if (c == '_') v = 63;
    else return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // A lone leftover character (6 bits) cannot come from any byte string, and
  // the bits left over after the last byte must be zero: otherwise several
  // spellings would decode to the same bytes (RFC 4648 §3.5), and one
  // unsubscribe link would have several valid forms.
  if (bits >= 6) return false;
  return (acc & ((1u << bits) - 1)) == 0;
}

std::string message_id_for(std::string_view dedupe_key, std::string_view from_address) {
  const std::string hex = to_hex(sha256(dedupe_key)).substr(0, 32);
  std::string domain = "headroom.local";
  const std::size_t at = from_address.rfind('@');
  if (at != std::string_view::npos && at + 1 < from_address.size()) {
    std::string_view d = from_address.substr(at + 1);
    while (!d.empty() && d.back() == '>') d.remove_suffix(1);
    if (!d.empty() && is_plain_ascii(d) && d.find_first_of(" <>@") == std::string_view::npos) domain = std::string(d);
  }
  return "<" + hex + "@" + domain + ">";
}

std::string rfc5322_date(std::chrono::sys_seconds t) {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::weekday wd{day};
  const std::chrono::hh_mm_ss hms{t - day};
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s, %u %s %d %02d:%02d:%02d +0000", kDays[wd.c_encoding()],
                static_cast<unsigned>(ymd.day()), kMonths[static_cast<unsigned>(ymd.month()) - 1],
                static_cast<int>(ymd.year()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
  return buf;
}

std::string encode_header_text(std::string_view text) {
  return is_plain_header_text(text) ? std::string(text) : encoded_words(text);
}

std::string encoded_words(std::string_view text) {
  // 36 bytes -> 48 base64 chars -> a 60-char encoded word, so even the first
  // line ("Subject: " + word) stays under 78 characters.
  constexpr std::size_t kChunk = 36;
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t len = std::min(kChunk, text.size() - pos);
    // Never split a UTF-8 sequence across words (RFC 2047 §5).
    while (len > 0 && pos + len < text.size() && (static_cast<unsigned char>(text[pos + len]) & 0xC0) == 0x80) --len;
    if (len == 0) len = std::min(kChunk, text.size() - pos);
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64_encode(text.substr(pos, len)) + "?=";
    pos += len;
  }
  return out;
}

std::string quoted_printable(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  std::size_t line_len = 0;
  auto emit = [&](std::string_view piece) {
    if (line_len + piece.size() > 75) {
      out += "=\r\n";
      line_len = 0;
    }
    out.append(piece);
    line_len += piece.size();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;  // the \n emits the break
    if (c == '\n') {
      out += "\r\n";
      line_len = 0;
      continue;
    }
    const bool at_line_end = i + 1 == text.size() || text[i + 1] == '\n' || text[i + 1] == '\r';
    std::string piece;
    if ((c == ' ' || c == '\t') && at_line_end) {
      append_hex_byte(piece, c);  // trailing whitespace would be stripped in transit
    } else if ((c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t') {
      piece.push_back(static_cast<char>(c));
    } else {
      append_hex_byte(piece, c);
    }
    emit(piece);
  }
  return out;
}

std::string compose_email(const EmailContent& m) {
  check_address(m.from, "From");
  check_address(m.to, "To");
  check_header_value(m.from_name, "From name");
  check_header_value(m.subject, "Subject");
  check_header_value(m.message_id, "Message-ID");
  check_header_value(m.unsubscribe_url, "List-Unsubscribe URL");
  if (m.message_id.size() < 5 || m.message_id.front() != '<' || m.message_id.back() != '>' ||
      m.message_id.find('@') == std::string::npos) {
    throw EmailError("email Message-ID must look like <id@domain>");
  }
  // Headers are 7-bit, and a Message-ID cannot be folded.
  if (!is_plain_ascii(m.message_id) || m.message_id.find(' ') != std::string::npos)
    throw EmailError("email Message-ID must be printable ASCII without spaces");
  if (m.message_id.size() > kMaxLineLength - std::string_view("Message-ID: ").size())
    throw EmailError("email Message-ID is longer than a header line may be (998 characters)");
  if (!m.unsubscribe_url.empty() && (!is_plain_ascii(m.unsubscribe_url) ||
                                     m.unsubscribe_url.find_first_of("<> ") != std::string::npos)) {
    throw EmailError("email List-Unsubscribe URL must be plain ASCII without spaces or angle brackets");
  }
  if (m.unsubscribe_url.size() > kMaxLineLength - std::string_view("List-Unsubscribe: <>").size())
    throw EmailError("email List-Unsubscribe URL is longer than a header line may hold (998 characters)");
  const std::string boundary = "=_hr_" + to_hex(sha256(m.message_id)).substr(0, 24);

  std::string out;
  out.reserve(m.text_body.size() + m.html_body.size() + 1024);
  out += "Date: " + rfc5322_date(m.date) + "\r\n";
  if (m.from_name.empty()) {
    out += "From: " + m.from + "\r\n";
  } else {
    // A display name too long for one line (or not plain text) goes as
    // encoded words, one per line; the address moves to a line of its own
    // when it does not fit after the name.
    std::string name;
    if (is_plain_header_text(m.from_name)) {
      std::string quoted = "\"";
      for (char c : m.from_name) {
        if (c == '"' || c == '\\') quoted.push_back('\\');
        quoted.push_back(c);
      }
      quoted += "\"";
      if (6 + quoted.size() <= kLineLength) name = std::move(quoted);
    }
    if (name.empty()) name = encoded_words(m.from_name);
    const std::string line = "From: " + name;
    out += line;
    out += last_line_length(line) + 3 + m.from.size() <= kLineLength ? " <" : "\r\n <";
    out += m.from + ">\r\n";
  }
  out += "To: " + m.to + "\r\n";
  // Folded plain text when every line fits, else encoded words (a word
  // longer than a line cannot be folded).
  std::string subject;
  if (is_plain_header_text(m.subject)) subject = fold_ascii("Subject", m.subject);
  if (subject.empty() || !lines_fit(subject)) subject = "Subject: " + encoded_words(m.subject) + "\r\n";
  out += subject;
  out += "Message-ID: " + m.message_id + "\r\n";
  out += "MIME-Version: 1.0\r\n";
  if (!m.unsubscribe_url.empty()) {
    out += "List-Unsubscribe: <" + m.unsubscribe_url + ">\r\n";
    out += "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n";
  }
  out += "Auto-Submitted: auto-generated\r\n";
  out += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n";
  out += "\r\n";
  out += "This is a multi-part message in MIME format.\r\n";
  out += "\r\n--" + boundary + "\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  out += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
  out += quoted_printable(m.text_body);
  out += "\r\n--" + boundary + "\r\n";
  out += "Content-Type: text/html; charset=UTF-8\r\n";
  out += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
  out += quoted_printable(m.html_body);
  out += "\r\n--" + boundary + "--\r\n";
  return out;
}

}  // namespace headroom::nudges
