#pragma once
// Shared by the fuzz targets (tests/fuzz/*_fuzz.cpp): how a target states a
// property, splits its input into fields, and hands bytes to code that reads
// a file. Each target defines LLVMFuzzerTestOneInput; under clang it links
// libFuzzer (HEADROOM_FUZZ=ON), in the normal build replay_main.cpp runs it
// over the target's corpus (docs/fuzzing.md).

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

// A property of the code under test. A failure prints where and why, then
// aborts: libFuzzer keeps the input as a crash, the replay test fails.
#define FUZZ_CHECK(condition, why)                                                                     \
  do {                                                                                                 \
    if (!(condition)) ::headroom::fuzz::fail(__FILE__, __LINE__, #condition, std::string(why));        \
  } while (false)

namespace headroom::fuzz {

[[noreturn]] inline void fail(const char* file, int line, const char* condition, const std::string& why) {
  std::fprintf(stderr, "%s:%d: property violated: %s\n  %s\n", file, line, condition, why.c_str());
  std::fflush(stderr);
  std::abort();
}

// The input as text fields separated by 0xFF (a byte that never occurs in
// UTF-8, so any UTF-8 field, and most invalid ones, can be written). Missing
// fields read as empty.
class Fields {
 public:
  Fields(const std::uint8_t* data, std::size_t size) {
    const std::string_view all(reinterpret_cast<const char*>(data), size);
    std::size_t start = 0;
    for (;;) {
      const std::size_t sep = all.find('\xff', start);
      if (sep == std::string_view::npos) {
        fields_.push_back(all.substr(start));
        break;
      }
      fields_.push_back(all.substr(start, sep - start));
      start = sep + 1;
    }
  }
  std::string_view operator[](std::size_t i) const { return i < fields_.size() ? fields_[i] : std::string_view{}; }
  std::size_t size() const { return fields_.size(); }
  // The first 8 bytes of field i as a little-endian integer (missing bytes 0).
  std::uint64_t number(std::size_t i) const {
    std::uint64_t v = 0;
    const std::string_view f = (*this)[i];
    for (std::size_t k = 0; k < f.size() && k < 8; ++k) v |= std::uint64_t(static_cast<unsigned char>(f[k])) << (8 * k);
    return v;
  }

 private:
  std::vector<std::string_view> fields_;
};

// Bytes as a file that code under test opens by path: an anonymous memory
// file (memfd), reached as /proc/self/fd/N and rewritten for every input, so
// fuzzing touches no disk and leaves nothing behind.
class MemoryFile {
 public:
  MemoryFile() : fd_(::memfd_create("headroom-fuzz", 0)) {
    if (fd_ < 0) fail(__FILE__, __LINE__, "memfd_create", "cannot create a memory file");
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemoryFile() { ::close(fd_); }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  // Replaces the contents; returns the path to open.
  const std::string& write(std::string_view bytes) {
    if (::ftruncate(fd_, 0) != 0) fail(__FILE__, __LINE__, "ftruncate", "cannot truncate the memory file");
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
      if (n <= 0) fail(__FILE__, __LINE__, "pwrite", "cannot write the memory file");
      done += static_cast<std::size_t>(n);
    }
    return path_;
  }

 private:
  int fd_;
  std::string path_;
};

// Printable form of bytes for failure messages: \xNN for anything else, cut at 300.
inline std::string show(std::string_view bytes) {
  std::string out;
  for (const char c : bytes.substr(0, 300)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\') {
      out.push_back(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", u);
      out += buf;
    }
  }
  if (bytes.size() > 300) out += "...(" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

}  // namespace headroom::fuzz
