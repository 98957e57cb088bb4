#include "ingest/csv_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include <sys/stat.h>

namespace headroom::ingest {

namespace {

// Bytes that end an unquoted field or make it malformed.
constexpr bool is_special(char c) { return c == ',' || c == '\n' || c == '\r' || c == '"'; }

}  // namespace

CsvRecordReader::CsvRecordReader(const std::string& path, std::size_t block_bytes, std::size_t max_record_bytes)
    : path_(path), max_record_bytes_(std::max<std::size_t>(max_record_bytes, 1)) {
  oversized_error_ = "record longer than " + std::to_string(max_record_bytes_) + " bytes (the limit)";
  file_ = std::fopen(path.c_str(), "rb");
  if (file_ == nullptr) throw std::system_error(errno, std::generic_category(), "cannot open " + path);
  // A file smaller than a block gets a buffer of its size (and one byte to
  // see the end): a few-line file costs a few bytes, not 4 MiB. Pipes and
  // files that grow keep the block; the buffer grows anyway when a record
  // outruns it, and no result depends on the block size.
  std::size_t block = std::max<std::size_t>(block_bytes, 64);
  struct stat st {};
  if (::fstat(::fileno(file_), &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
      static_cast<std::uint64_t>(st.st_size) < block)
    block = std::max<std::size_t>(static_cast<std::size_t>(st.st_size) + 1, 64);
  buf_.resize(block);
}

CsvRecordReader::~CsvRecordReader() {
  if (file_ != nullptr) std::fclose(file_);
}

bool CsvRecordReader::refill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  // One record larger than the whole buffer: grow instead of failing.
  if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
  const std::size_t got = std::fread(buf_.data() + end_, 1, buf_.size() - end_, file_);
  if (got == 0) {
    if (std::ferror(file_)) throw std::system_error(errno, std::generic_category(), "cannot read " + path_);
    eof_ = true;
    return false;
  }
  end_ += got;
  return true;
}

bool CsvRecordReader::next(CsvRecord& out) {
  if (at_start_) {
    while (end_ - begin_ < 3 && refill()) {
    }
    if (end_ - begin_ >= 3 && std::memcmp(buf_.data() + begin_, "\xEF\xBB\xBF", 3) == 0) begin_ += 3;
    at_start_ = false;
  }
  for (;;) {
    if (begin_ == end_) {
      if (!refill()) return false;
      continue;
    }
    const std::size_t start = begin_;
    const std::size_t start_line = line_;
    if (parse_record(out)) {
      if (out.raw.size() <= max_record_bytes_) return true;
      // Whole in the buffer but over the limit: refused and skipped the same
      // way, so nothing depends on where a block boundary fell.
      begin_ = start;
      line_ = start_line;
    } else {
      // The record may run past the buffer: read more and parse it again from
      // its start (only records straddling a block boundary pay for this).
      // It is known to be over the limit only when its bytes so far are: a
      // CR last in the buffer may be the first half of its CRLF terminator,
      // which is no part of the record (counting it refused a record of
      // exactly the limit whose CRLF straddled a block boundary).
      std::size_t pending = end_ - begin_;
      if (buf_[end_ - 1] == '\r') --pending;
      if (pending <= max_record_bytes_) {
        refill();
        continue;
      }
    }
    skip_oversized(out);
    return true;
  }
}

void CsvRecordReader::skip_oversized(CsvRecord& out) {
  oversized_.assign(buf_.data() + begin_, max_record_bytes_);
  out.fields.clear();
  out.line = line_;
  out.raw = oversized_;
  out.error = oversized_error_;
  std::size_t pos = begin_ + max_record_bytes_;
  line_ += static_cast<std::size_t>(std::count(buf_.data() + begin_, buf_.data() + pos, '\n'));
  for (;;) {
    const char* const from = buf_.data() + pos;
    const auto* nl = static_cast<const char*>(std::memchr(from, '\n', end_ - pos));
    if (nl != nullptr) {
      ++line_;
      begin_ = static_cast<std::size_t>(nl + 1 - buf_.data());
      return;
    }
    begin_ = end_;  // nothing kept of the rest of the record
    if (!refill()) return;
    pos = begin_;
  }
}

bool CsvRecordReader::parse_record(CsvRecord& out) {
  const char* const base = buf_.data();
  const char* const rec = base + begin_;
  const char* const e = base + end_;
  const char* p = rec;
  // Unescaped text is never longer than its source, so this size means the
  // string never reallocates under the views handed out for this record.
  if (unescaped_.size() < end_ - begin_) unescaped_.resize(end_ - begin_);
  std::size_t scratch = 0;

  out.fields.clear();
  out.error = {};
  const char* raw_end = nullptr;  // end of the record's bytes, before the terminator
  const char* next = nullptr;     // first byte of the following record

  auto fail_at = [&](const char* at, std::string_view why) {
    // Resynchronise at the next line break so the rest of the file still parses.
    const char* nl = static_cast<const char*>(std::memchr(at, '\n', static_cast<std::size_t>(e - at)));
    if (nl == nullptr) {
      if (!eof_) return false;
      raw_end = e;
      next = e;
    } else {
      raw_end = (nl > rec && nl[-1] == '\r') ? nl - 1 : nl;
      next = nl + 1;
    }
    out.error = why;
    return true;
  };

  for (;;) {
    if (p < e && *p == '"') {
      const char* const start = ++p;
      bool doubled = false;
      const char* close = nullptr;
      for (;;) {
        const char* q = static_cast<const char*>(std::memchr(p, '"', static_cast<std::size_t>(e - p)));
        if (q == nullptr) {
          if (!eof_) return false;
          out.error = "quoted field not closed before end of file";
          raw_end = e;
          next = e;
          goto done;
        }
        if (q + 1 == e && !eof_) return false;
        if (q + 1 < e && q[1] == '"') {
          doubled = true;
          p = q + 2;
          continue;
        }
        close = q;
        break;
      }
      if (doubled) {
        char* const dst = unescaped_.data() + scratch;
        std::size_t n = 0;
        for (const char* s = start; s < close; ++s) {
          dst[n++] = *s;
          if (*s == '"') ++s;  // the second quote of a doubled pair
        }
        out.fields.emplace_back(dst, n);
        scratch += n;
      } else {
        out.fields.emplace_back(start, static_cast<std::size_t>(close - start));
      }
      p = close + 1;
      if (p == e) {  // eof_ is set here: the q + 1 == e case above returned otherwise
        raw_end = e;
        next = e;
        goto done;
      }
      if (*p == ',') {
        ++p;
        continue;
      }
      if (*p == '\n') {
        raw_end = p;
        next = p + 1;
        goto done;
      }
      if (*p == '\r') {
        if (p + 1 == e && !eof_) return false;
        if (p + 1 < e && p[1] == '\n') {
          raw_end = p;
          next = p + 2;
          goto done;
        }
      }
      if (!fail_at(p, "unexpected character after a closing quote")) return false;
      goto done;
    }

    const char* const start = p;
    while (p < e && !is_special(*p)) ++p;
    if (p == e) {
      if (!eof_) return false;
      out.fields.emplace_back(start, static_cast<std::size_t>(p - start));
      raw_end = e;
      next = e;
      goto done;
    }
    switch (*p) {
      case ',':
        out.fields.emplace_back(start, static_cast<std::size_t>(p - start));
        ++p;
        continue;
      case '\n':
        out.fields.emplace_back(start, static_cast<std::size_t>(p - start));
        raw_end = p;
        next = p + 1;
        goto done;
      case '\r':
        if (p + 1 == e && !eof_) return false;
        if (p + 1 < e && p[1] == '\n') {
          out.fields.emplace_back(start, static_cast<std::size_t>(p - start));
          raw_end = p;
          next = p + 2;
          goto done;
        }
        if (!fail_at(p, "carriage return not followed by a line feed")) return false;
        goto done;
      default:  // '"'
        if (!fail_at(p, "quote inside an unquoted field (quote the whole field and double the quote)")) return false;
        goto done;
    }
  }

done:
  out.line = line_;
  out.raw = std::string_view(rec, static_cast<std::size_t>(raw_end - rec));
  line_ += static_cast<std::size_t>(std::count(rec, next, '\n'));
  begin_ = static_cast<std::size_t>(next - base);
  return true;
}

namespace {

// Length of the well-formed UTF-8 sequence starting at s (s < e), or 0.
std::size_t utf8_sequence_length(const unsigned char* s, const unsigned char* e) {
  const unsigned char c = *s;
  if (c < 0x80) return 1;
  int extra;
  std::uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    extra = 1;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    extra = 2;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    extra = 3;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (e - s <= extra) return 0;
  for (int i = 1; i <= extra; ++i) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if ((extra == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
    return 0;
  return static_cast<std::size_t>(extra) + 1;
}

}  // namespace

std::string escape_invalid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const e = s + text.size();
  while (s < e) {
    const std::size_t n = *s == 0 ? 0 : utf8_sequence_length(s, e);
    if (n == 0) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += "\\x";
      out += kHex[*s >> 4];
      out += kHex[*s & 0xF];
      ++s;
    } else {
      out.append(reinterpret_cast<const char*>(s), n);
      s += n;
    }
  }
  return out;
}

bool is_valid_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const e = s + text.size();
  while (s < e) {
    // ASCII fast path, eight bytes at a time.
    while (e - s >= 8) {
      std::uint64_t chunk;
      std::memcpy(&chunk, s, 8);
      if (chunk & 0x8080808080808080ULL) break;
      s += 8;
    }
    if (s == e) break;
    const std::size_t n = utf8_sequence_length(s, e);
    if (n == 0) return false;
    s += n;
  }
  return true;
}

}  // namespace headroom::ingest
