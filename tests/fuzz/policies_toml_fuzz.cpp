// Fuzz target: nudge policies (nudges/policy.hpp), from `[[policies]]` TOML
// as the config file has them and, for an input starting with '{', from the
// JSON `definition` that headroom.nudge_policies stores. Properties:
//  - parsing either returns validated policies or throws PolicyError whose
//    message starts with the source;
//  - an accepted policy written as the store writes it (policy_to_json, then
//    dump) serialises without throwing, holds no \u0000 (jsonb refuses it),
//    and parses back to the same policy;
//  - its variant weights sum to a finite number, and choose_variant picks a
//    variant of positive weight.

#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nudges/assignment.hpp"
#include "nudges/policy.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace headroom;

namespace {

void check_policy(const nudges::Policy& p) {
  nudges::validate_policy(p, "fuzz");
  const nlohmann::json j = nudges::policy_to_json(p);
  std::string text;
  try {
    text = j.dump();
  } catch (const nlohmann::json::exception& e) {
    FUZZ_CHECK(false, std::string("policy_to_json(...).dump() threw: ") + e.what());
  }
  FUZZ_CHECK(text.find("\\u0000") == std::string::npos, "the store's jsonb column refuses \\u0000: " + fuzz::show(text));
  nudges::Policy back;
  try {
    back = nudges::parse_policy_json_text(text, "round-trip");
  } catch (const nudges::PolicyError& e) {
    FUZZ_CHECK(false, std::string("a policy's own JSON does not parse back: ") + e.what() + "\n  " + fuzz::show(text));
  }
  FUZZ_CHECK(nudges::policy_to_json(back) == j, fuzz::show(text) + "\n  back: " + fuzz::show(nudges::policy_to_json(back).dump()));

  std::vector<double> weights;
  double total = 0;
  for (const auto& v : p.variants) {
    weights.push_back(v.weight);
    total += v.weight;
  }
  FUZZ_CHECK(std::isfinite(total) && total > 0, std::to_string(total));
  for (const char* account : {"a", "acct-1", "c90", "zz-top"}) {
    const std::size_t i = nudges::choose_variant(p.experiment, account, weights);
    FUZZ_CHECK(i < weights.size() && weights[i] > 0, std::to_string(i));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool json = !text.empty() && text.front() == '{';
  const std::string_view source = json ? "headroom.nudge_policies" : "policies.toml";
  std::vector<nudges::Policy> policies;
  try {
    if (json) policies.push_back(nudges::parse_policy_json_text(text, source));
    else policies = nudges::parse_policies_toml(text, source);
  } catch (const nudges::PolicyError& e) {
    FUZZ_CHECK(std::string_view(e.what()).starts_with(source), e.what());
    return 0;
  }
  for (const auto& p : policies) check_policy(p);
  return 0;
}
