#pragma once
// SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) from OpenSSL's libcrypto
// (EVP_Digest, HMAC), for unsubscribe tokens and stable Message-IDs. The
// project keeps the test vectors (FIPS 180-4, RFC 4231 in
// tests/nudges/crypto_test.cpp), not the algorithm. libcrypto is linked
// privately: callers see only these functions.
// Both throw std::runtime_error if libcrypto reports a failure (a broken
// installation, never an input); thread-safe.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace headroom::nudges {

using Sha256Digest = std::array<std::uint8_t, 32>;

Sha256Digest sha256(std::string_view data);
// Any key length: a key longer than the 64-byte block is hashed first (RFC 2104).
Sha256Digest hmac_sha256(std::string_view key, std::string_view message);

// Lower-case hex of a digest (64 characters).
std::string to_hex(const Sha256Digest& digest);

// True when a and b hold the same bytes. Time depends only on the lengths
// (OpenSSL's CRYPTO_memcmp), so a caller cannot learn a token or MAC byte by
// byte from response times. For unsubscribe signatures and the API's bearer token.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace headroom::nudges
