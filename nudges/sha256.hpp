#pragma once
// SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), small and dependency-free.
// Used for unsubscribe tokens and stable Message-IDs. Implemented here rather
// than linking OpenSSL's libcrypto so the pure nudges library stays free of
// system crypto dependencies; the test suite pins the FIPS and RFC 4231 vectors.
// Not constant-time against cache attacks beyond what HMAC needs; never use it
// for password hashing.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace headroom::nudges {

using Sha256Digest = std::array<std::uint8_t, 32>;

Sha256Digest sha256(std::string_view data);
Sha256Digest hmac_sha256(std::string_view key, std::string_view message);

// Lower-case hex of a digest (64 characters).
std::string to_hex(const Sha256Digest& digest);

// Compares in time independent of where the inputs differ (token checks).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace headroom::nudges
