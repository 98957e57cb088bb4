#pragma once
// A small, strict reader of the messages nudges::compose_email writes, for
// the email round-trip fuzz target: RFC 5322 header unfolding, RFC 2047
// encoded words (B and Q, UTF-8), quoted strings, multipart/alternative
// splitting and quoted-printable decoding. Strict where mail software is
// strict: trailing white space of a quoted-printable line is dropped (RFC 2045
// §6.7: transports may strip it), a '=' not followed by two hex digits or a
// line break is an error, and encoded words are decoded only as whole
// white-space separated words (RFC 2047 §5), the white space between two of
// them dropped. Test code only: it reads what one composer writes, not all mail.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace headroom::fuzz::mime {

struct Header {
  std::string name;
  std::string value;  // unfolded (CRLF before white space removed), leading white space dropped
};

struct Part {
  std::vector<Header> headers;
  std::string body;  // decoded; line breaks as "\n"
};

struct Message {
  std::vector<Header> headers;
  std::vector<Part> parts;
};

inline bool is_wsp(char c) { return c == ' ' || c == '\t'; }

inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Standard base64 with padding; nullopt on anything else.
inline std::optional<std::string> decode_base64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t pad = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+') v = 62;
    else if (c == '/') v = 63;
    else if (c == '=' && i + 2 >= text.size()) {
      ++pad;
      continue;
    } else return std::nullopt;
    if (pad > 0) return std::nullopt;  // data after padding
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (pad > 2) return std::nullopt;
  return out;
}

// One RFC 2047 encoded word (=?charset?B|Q?text?=), decoded; nullopt when
// `word` is not one.
inline std::optional<std::string> decode_encoded_word(std::string_view word) {
  if (word.size() < 8 || !word.starts_with("=?") || !word.ends_with("?=")) return std::nullopt;
  const std::string_view inner = word.substr(2, word.size() - 4);
  const auto q1 = inner.find('?');
  if (q1 == std::string_view::npos) return std::nullopt;
  const auto q2 = inner.find('?', q1 + 1);
  if (q2 != q1 + 2 || inner.find('?', q2 + 1) != std::string_view::npos) return std::nullopt;
  std::string_view charset = inner.substr(0, q1);
  if (const auto star = charset.find('*'); star != std::string_view::npos) charset = charset.substr(0, star);  // RFC 2231 language
  const char encoding = inner[q1 + 1];
  const std::string_view text = inner.substr(q2 + 1);
  if (charset.empty()) return std::nullopt;
  if (encoding == 'B' || encoding == 'b') return decode_base64(text);
  if (encoding == 'Q' || encoding == 'q') {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '_') {
        out.push_back(' ');
      } else if (text[i] == '=') {
        if (i + 2 >= text.size() || hex_value(text[i + 1]) < 0 || hex_value(text[i + 2]) < 0) return std::nullopt;
        out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
        i += 2;
      } else {
        out.push_back(text[i]);
      }
    }
    return out;
  }
  return std::nullopt;
}

// Unstructured text (Subject) or a phrase (a display name) with its encoded
// words decoded.
inline std::string decode_words(std::string_view value) {
  std::string out;
  std::string pending_space;  // white space after the last word
  bool last_encoded = false;
  std::size_t i = 0;
  while (i < value.size()) {
    if (is_wsp(value[i])) {
      const std::size_t start = i;
      while (i < value.size() && is_wsp(value[i])) ++i;
      pending_space = std::string(value.substr(start, i - start));
      continue;
    }
    const std::size_t start = i;
    while (i < value.size() && !is_wsp(value[i])) ++i;
    const std::string_view word = value.substr(start, i - start);
    const auto decoded = decode_encoded_word(word);
    if (!(decoded && last_encoded)) out += pending_space;
    pending_space.clear();
    if (decoded) out += *decoded;
    else out.append(word);
    last_encoded = decoded.has_value();
  }
  out += pending_space;
  return out;
}

// A display name as a quoted-string: the text with its backslash escapes undone.
inline std::optional<std::string> unquote(std::string_view quoted) {
  if (quoted.size() < 2 || quoted.front() != '"' || quoted.back() != '"') return std::nullopt;
  std::string out;
  for (std::size_t i = 1; i + 1 < quoted.size(); ++i) {
    if (quoted[i] == '\\') {
      if (i + 2 >= quoted.size()) return std::nullopt;
      out.push_back(quoted[++i]);
    } else if (quoted[i] == '"') {
      return std::nullopt;
    } else {
      out.push_back(quoted[i]);
    }
  }
  return out;
}

struct Mailbox {
  std::string display_name;
  std::string address;
};

// `addr`, `"Name" <addr>` or `=?UTF-8?B?...?= <addr>`.
inline std::optional<Mailbox> parse_mailbox(std::string_view value) {
  while (!value.empty() && is_wsp(value.back())) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (value.back() != '>') {
    if (value.find_first_of(" \t<>\"") != std::string_view::npos) return std::nullopt;
    return Mailbox{"", std::string(value)};
  }
  const auto open = value.rfind('<');
  if (open == std::string_view::npos) return std::nullopt;
  Mailbox m{"", std::string(value.substr(open + 1, value.size() - open - 2))};
  std::string_view phrase = value.substr(0, open);
  while (!phrase.empty() && is_wsp(phrase.back())) phrase.remove_suffix(1);
  if (!phrase.empty() && phrase.front() == '"') {
    auto name = unquote(phrase);
    if (!name) return std::nullopt;
    m.display_name = std::move(*name);
  } else {
    m.display_name = decode_words(phrase);
  }
  return m;
}

// Headers up to the empty line; `rest` gets what follows it.
inline std::optional<std::vector<Header>> parse_headers(std::string_view text, std::string_view& rest,
                                                         std::string& why) {
  const auto end = text.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    why = "no empty line after the headers";
    return std::nullopt;
  }
  rest = text.substr(end + 4);
  std::vector<Header> headers;
  std::string_view block = text.substr(0, end + 2);
  while (!block.empty()) {
    const auto eol = block.find("\r\n");
    const std::string_view line = block.substr(0, eol);
    block.remove_prefix(eol + 2);
    if (!line.empty() && is_wsp(line.front())) {
      if (headers.empty()) {
        why = "continuation line before the first header";
        return std::nullopt;
      }
      headers.back().value.append(line);
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      why = "header line without a name: " + std::string(line.substr(0, 80));
      return std::nullopt;
    }
    std::string_view value = line.substr(colon + 1);
    headers.push_back(Header{std::string(line.substr(0, colon)), std::string(value)});
  }
  for (auto& h : headers) {
    std::size_t i = 0;
    while (i < h.value.size() && is_wsp(h.value[i])) ++i;
    h.value.erase(0, i);
  }
  return headers;
}

// RFC 2045 quoted-printable, line breaks decoded as "\n".
inline std::optional<std::string> decode_quoted_printable(std::string_view text, std::string& why) {
  std::string out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto eol = text.find("\r\n", pos);
    const bool last = eol == std::string_view::npos;
    if (last) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    while (!line.empty() && is_wsp(line.back())) line.remove_suffix(1);
    bool soft = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (c == '=') {
        if (i + 1 == line.size()) {
          soft = true;
          break;
        }
        if (i + 2 >= line.size() || hex_value(line[i + 1]) < 0 || hex_value(line[i + 2]) < 0) {
          why = "'=' not followed by two hex digits";
          return std::nullopt;
        }
        out.push_back(static_cast<char>(hex_value(line[i + 1]) * 16 + hex_value(line[i + 2])));
        i += 2;
      } else {
        out.push_back(c);
      }
    }
    if (last) break;
    if (!soft) out.push_back('\n');
    pos = eol + 2;
  }
  return out;
}

inline const Header* find_header(const std::vector<Header>& headers, std::string_view name, std::size_t* count = nullptr) {
  const Header* found = nullptr;
  std::size_t n = 0;
  for (const auto& h : headers) {
    if (iequals(h.name, name)) {
      if (!found) found = &h;
      ++n;
    }
  }
  if (count) *count = n;
  return found;
}

// The boundary parameter of a multipart Content-Type value.
inline std::optional<std::string> boundary_of(std::string_view content_type) {
  const auto at = content_type.find("boundary=\"");
  if (at == std::string_view::npos) return std::nullopt;
  const auto start = at + 10;
  const auto end = content_type.find('"', start);
  if (end == std::string_view::npos) return std::nullopt;
  return std::string(content_type.substr(start, end - start));
}

inline std::optional<Message> parse_message(std::string_view text, std::string& why) {
  Message m;
  std::string_view body;
  auto headers = parse_headers(text, body, why);
  if (!headers) return std::nullopt;
  m.headers = std::move(*headers);
  const Header* ct = find_header(m.headers, "Content-Type");
  if (!ct || !ct->value.starts_with("multipart/alternative;")) {
    why = "not multipart/alternative";
    return std::nullopt;
  }
  const auto boundary = boundary_of(ct->value);
  if (!boundary || boundary->empty()) {
    why = "no boundary";
    return std::nullopt;
  }
  // Body: preamble, then "--b" lines; a delimiter is CRLF "--b" (RFC 2046 §5.1.1).
  const std::string delimiter = "\r\n--" + *boundary;
  std::string framed = "\r\n" + std::string(body);  // the first delimiter may open the body
  std::size_t at = framed.find(delimiter);
  if (at == std::string::npos) {
    why = "no first boundary";
    return std::nullopt;
  }
  for (;;) {
    std::size_t after = at + delimiter.size();
    if (framed.compare(after, 2, "--") == 0) {
      if (framed.compare(after + 2, std::string::npos, "\r\n") != 0) {
        why = "text after the closing boundary";
        return std::nullopt;
      }
      break;
    }
    if (framed.compare(after, 2, "\r\n") != 0) {
      why = "boundary line not ended by CRLF";
      return std::nullopt;
    }
    after += 2;
    const std::size_t next = framed.find(delimiter, after);
    if (next == std::string::npos) {
      why = "no closing boundary";
      return std::nullopt;
    }
    const std::string_view part_text = std::string_view(framed).substr(after, next - after);
    Part part;
    std::string_view content;
    auto ph = parse_headers(part_text, content, why);
    if (!ph) return std::nullopt;
    part.headers = std::move(*ph);
    const Header* cte = find_header(part.headers, "Content-Transfer-Encoding");
    if (!cte || !iequals(cte->value, "quoted-printable")) {
      why = "part not quoted-printable";
      return std::nullopt;
    }
    auto decoded = decode_quoted_printable(content, why);
    if (!decoded) return std::nullopt;
    part.body = std::move(*decoded);
    m.parts.push_back(std::move(part));
    at = next;
  }
  return m;
}

}  // namespace headroom::fuzz::mime
