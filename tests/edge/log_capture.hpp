#pragma once
// Captures what the code under test logs through spdlog's default logger,
// for tests that check a line is written once and holds no customer data.
// Install it before starting threads that log and let it go after joining
// them (swapping the default logger is not synchronized with logging).

#include <memory>
#include <string>
#include <vector>

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

namespace headroom::testing {

class LogCapture {
 public:
  LogCapture()
      : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1024)), previous_(spdlog::default_logger()) {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink_));
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::vector<std::string> lines() { return sink_->last_formatted(); }
  // Lines holding `needle`.
  std::vector<std::string> lines_with(const std::string& needle) {
    std::vector<std::string> out;
    for (auto& line : lines())
      if (line.find(needle) != std::string::npos) out.push_back(std::move(line));
    return out;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace headroom::testing
