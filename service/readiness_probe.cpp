#include "service/readiness_probe.hpp"

#include <exception>

#include <spdlog/spdlog.h>

#include "db/database_probe.hpp"

namespace headroom::service {

using SteadyClock = std::chrono::steady_clock;

ReadinessProbe::ReadinessProbe(ReadinessProbeSettings settings) : settings_(std::move(settings)) {}

ReadinessProbe::~ReadinessProbe() { stop(); }

void ReadinessProbe::start() { thread_ = std::thread([this] { run(); }); }

void ReadinessProbe::stop() {
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }
  stop_requested_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool ReadinessProbe::database_reachable() const {
  const auto last = SteadyClock::time_point(SteadyClock::duration(last_success_.load()));
  return last_check_ok_.load() && last != SteadyClock::time_point::min() &&
         SteadyClock::now() - last <= settings_.max_age;
}

void ReadinessProbe::run() {
  try {
    db::DatabaseProbe probe{settings_.database_url, settings_.timeout};
    bool was_ok = true;  // the first failure is logged
    std::unique_lock lock(mutex_);
    while (!stopped_) {
      const auto started = SteadyClock::now();
      lock.unlock();
      const bool ok = probe.check();
      if (ok) last_success_ = SteadyClock::now().time_since_epoch().count();
      last_check_ok_ = ok;
      if (ok && !was_ok) spdlog::info("[readiness] database reachable again");
      if (!ok && was_ok) spdlog::warn("[readiness] database probe failed: {}", probe.last_error());
      was_ok = ok;
      lock.lock();
      stop_requested_.wait_until(lock, started + settings_.interval, [&] { return stopped_; });
    }
  } catch (const std::exception& e) {
    // Only a URL that does not parse gets here, and the pool refused it first.
    spdlog::error("[readiness] probe not started: {}; /readyz stays not ready", e.what());
  }
}

}  // namespace headroom::service
