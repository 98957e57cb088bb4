#include "edge/process_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

namespace headroom::edge {
namespace {

// Boot time (Unix seconds) from /proc/stat's "btime" line; a process's start
// in /proc/self/stat counts clock ticks from boot.
std::optional<double> boot_time_seconds() {
  std::ifstream in("/proc/stat");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
  return std::nullopt;
}

// /proc/self/stat, from the field after the command name (which may hold
// spaces and parentheses, so it is skipped to its last ')'): fields 3 to 52
// of proc(5), as text.
std::optional<std::vector<std::string>> stat_fields() {
  std::ifstream in("/proc/self/stat");
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(text.substr(close + 1));
  std::vector<std::string> fields{std::istream_iterator<std::string>(rest), std::istream_iterator<std::string>()};
  if (fields.size() < 22) return std::nullopt;
  return fields;
}

void read_stat(ProcessStats& out) {
  const auto fields = stat_fields();
  if (!fields) return;
  // proc(5) numbers fields from 1; fields[0] is field 3 (state).
  auto field = [&](int number) { return std::stoull((*fields)[static_cast<std::size_t>(number - 3)]); };
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  out.cpu_seconds = static_cast<double>(field(14) + field(15)) / ticks;  // utime + stime
  out.virtual_memory_bytes = field(23);
  out.resident_memory_bytes = field(24) * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  // Boot time does not change while we run: read once.
  static const std::optional<double> boot = boot_time_seconds();
  if (boot) out.start_time_seconds = *boot + static_cast<double>(field(22)) / ticks;
}

}  // namespace

ProcessStats read_process_stats() {
  ProcessStats out;
  try {
    read_stat(out);
  } catch (const std::exception&) {
    // An unreadable or unexpected /proc leaves the fields unset (see header).
  }
  std::error_code ec;
  std::uint64_t fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++fds;
  if (!ec) out.open_fds = fds;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) out.max_fds = limit.rlim_cur;
  return out;
}

}  // namespace headroom::edge
