#pragma once
// A base for fake API backends that answer from memory: the asynchronous
// reads (edge::ApiBackend::read_forecast, read_nudge_feed) call the blocking
// stored_forecast() and nudge_feed_json() the fake defines and answer at
// once, an exception passed to the continuation as a real backend passes a
// failed read's.

#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "edge/http_api.hpp"

namespace headroom::testing {

class ImmediateReads : public edge::ApiBackend {
 public:
  virtual std::optional<forecast::StoredForecast> stored_forecast(std::string_view account_id) = 0;
  virtual std::optional<std::string> nudge_feed_json(std::string_view account_id) = 0;

  void read_forecast(std::string account_id, edge::BackendDone<forecast::StoredForecast> done) final {
    answer(done, [&] { return stored_forecast(account_id); });
  }
  void read_nudge_feed(std::string account_id, edge::BackendDone<std::string> done) final {
    answer(done, [&] { return nudge_feed_json(account_id); });
  }

 private:
  template <class Done, class Read>
  static void answer(Done& done, Read read) {
    decltype(read()) value;
    try {
      value = read();
    } catch (...) {
      return done(std::nullopt, std::current_exception());
    }
    done(std::move(value), nullptr);
  }
};

}  // namespace headroom::testing
