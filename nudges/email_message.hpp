#pragma once
// RFC 5322 / MIME composition of a nudge email, pure: the Date comes in as a
// parameter and the Message-ID is derived from the dedupe key, so composing
// the same outbox row twice (a resend after a crash) yields byte-identical
// headers and downstream systems can deduplicate on Message-ID.
//
// Output: CRLF line endings, 7-bit clean, lines <= 78 characters except a
// line holding only an address, the Message-ID or the List-Unsubscribe URL
// that is itself too long (those cannot be folded; each is refused beyond
// the 998-character limit, addresses beyond 254):
//   Date, From, To, Subject (RFC 2047 B-encoded UTF-8 words unless it is
//   plain text that folds into lines that fit: printable ASCII without "=?",
//   leading, trailing or doubled spaces, no word too long for a line; a
//   display name likewise, else quoted),
//   Message-ID, MIME-Version, List-Unsubscribe (<https URL>),
//   List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058),
//   multipart/alternative with text/plain then text/html, both UTF-8
//   quoted-printable. Header values containing CR or LF are rejected
//   (EmailError), so template values cannot inject headers.

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

namespace headroom::nudges {

class EmailError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct EmailContent {
  std::string from;  // bare address: headroom@bank.example
  std::string from_name;  // optional display name, may be UTF-8
  std::string to;    // bare address
  std::string subject;
  std::string text_body;  // UTF-8, \n or \r\n line ends
  std::string html_body;
  std::string message_id;       // "<...@...>", see message_id_for()
  std::string unsubscribe_url;  // https://.../unsubscribe?token=...; empty = no List-Unsubscribe headers
  std::chrono::sys_seconds date{};
};

// "<32 hex of SHA-256(dedupe_key)>@<domain of from>" in angle brackets; the
// domain falls back to "headroom.local" when `from` has none.
std::string message_id_for(std::string_view dedupe_key, std::string_view from_address);

// The full message, ready for SMTP DATA.
std::string compose_email(const EmailContent& content);

// "Fri, 13 Mar 2026 14:05:09 +0000"
std::string rfc5322_date(std::chrono::sys_seconds t);
// The value as is when it reads back unchanged as plain text (printable
// ASCII, no "=?", no leading, trailing or doubled space), else encoded_words().
std::string encode_header_text(std::string_view text);
// "=?UTF-8?B?...?=" words (each <= 75 chars, split on UTF-8 boundaries)
// joined by CRLF SP (folded); empty text gives no word.
std::string encoded_words(std::string_view text);
// RFC 2045 quoted-printable with CRLF line breaks and soft breaks at 76.
std::string quoted_printable(std::string_view text);

std::string base64_encode(std::string_view bytes);
// RFC 4648 §5 alphabet, no padding: safe in URLs and tokens.
std::string base64url_encode(std::string_view bytes);
// Decodes into `out`; false on any character outside the alphabet, on a
// length no encoding has, and on non-zero bits after the last byte: exactly
// what base64url_encode writes is accepted, one spelling per byte string.
bool base64url_decode(std::string_view text, std::string& out);

}  // namespace headroom::nudges
