#include <gtest/gtest.h>

#include "nudges/email_message.hpp"
#include "nudges/sha256.hpp"
#include "nudges/unsubscribe.hpp"

namespace headroom::nudges {
namespace {

TEST(Sha256, MatchesFipsVectors) {
  EXPECT_EQ(to_hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(to_hex(sha256(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(HmacSha256, MatchesRfc4231Vectors) {
  EXPECT_EQ(to_hex(hmac_sha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 3: 50 bytes of data; test case 4: a 25-byte key.
  EXPECT_EQ(to_hex(hmac_sha256(std::string(20, '\xaa'), std::string(50, '\xdd'))),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  std::string key4;
  for (char c = 1; c <= 25; ++c) key4.push_back(c);
  EXPECT_EQ(to_hex(hmac_sha256(key4, std::string(50, '\xcd'))),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  // Test case 6: a key longer than the block size is hashed first.
  EXPECT_EQ(to_hex(hmac_sha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  // Test case 7: long key and long data.
  EXPECT_EQ(to_hex(hmac_sha256(std::string(131, '\xaa'),
                               "This is a test using a larger than block-size key and a larger than block-size data. "
                               "The key needs to be hashed before being used by the HMAC algorithm.")),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST(HmacSha256, AcceptsAnEmptyKeyAndAKeyOfExactlyOneBlock) {
  // Values from Python's hmac module.
  EXPECT_EQ(to_hex(hmac_sha256("", "")), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  EXPECT_EQ(to_hex(hmac_sha256(std::string(64, 'k'), "block-size key")),
            "3639ed45f96410ae1abf821aaf15a4e616209464f7e06fb79435d35e485bd3c2");
}

TEST(ConstantTimeEqual, IsTrueOnlyForTheSameBytesOfTheSameLength) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_FALSE(constant_time_equal("abcd", "abc"));
  EXPECT_FALSE(constant_time_equal("", "a"));
  EXPECT_FALSE(constant_time_equal(std::string_view("a\0", 2), "a"));
}

TEST(UnsubscribeToken, VerifiesItsOwnSignatureAndReturnsTheAccount) {
  const std::string token = sign_unsubscribe_token("s3cret", "acct-42");
  const auto account = verify_unsubscribe_token("s3cret", token);
  ASSERT_TRUE(account.has_value());
  EXPECT_EQ(*account, "acct-42");
}

TEST(UnsubscribeToken, IsStableForTheSameSecretAndAccount) {
  EXPECT_EQ(sign_unsubscribe_token("s3cret", "acct-42"), sign_unsubscribe_token("s3cret", "acct-42"));
  EXPECT_EQ(sign_unsubscribe_token("s3cret", "acct-42").substr(0, 11), "YWNjdC00Mg.");
  // The whole token, so links already sent keep verifying (Python: base64url of hmac.new).
  EXPECT_EQ(sign_unsubscribe_token("s3cret", "acct-42"), "YWNjdC00Mg.z9cK7_hGBGSsurAWezlbqHR1LvhA0mxvz5G_UZiiNq0");
}

TEST(UnsubscribeToken, RejectsAnotherSecretATamperedAccountAndGarbage) {
  const std::string token = sign_unsubscribe_token("s3cret", "acct-42");
  EXPECT_FALSE(verify_unsubscribe_token("other", token));
  // Same signature, account id swapped for acct-43.
  const std::string forged = base64url_encode("acct-43") + token.substr(token.find('.'));
  EXPECT_FALSE(verify_unsubscribe_token("s3cret", forged));
  EXPECT_FALSE(verify_unsubscribe_token("s3cret", ""));
  EXPECT_FALSE(verify_unsubscribe_token("s3cret", "."));
  EXPECT_FALSE(verify_unsubscribe_token("s3cret", "YWNjdC00Mg"));
  EXPECT_FALSE(verify_unsubscribe_token("s3cret", "YWNjdC00Mg.!!"));
  EXPECT_FALSE(verify_unsubscribe_token("s3cret", token + "x"));
  EXPECT_FALSE(verify_unsubscribe_token("s3cret", token + ".x"));
}

// Found by fuzzing (tests/fuzz/unsubscribe_token_fuzz.cpp): the account part
// "YR" decoded to "a" like "YQ", so one link had several valid spellings.
TEST(UnsubscribeToken, HasOneSpellingPerAccount) {
  const std::string token = sign_unsubscribe_token("s3cret", "a");
  ASSERT_EQ(token.substr(0, 3), "YQ.");
  EXPECT_TRUE(verify_unsubscribe_token("s3cret", token));
  EXPECT_FALSE(verify_unsubscribe_token("s3cret", "YR" + token.substr(2)));
  // The signature's last character carries 2 spare bits the same way.
  std::string other = token;
  other.back() = other.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_unsubscribe_token("s3cret", other));
}

TEST(UnsubscribeToken, UrlAppendsTheTokenAsAQueryParameter) {
  EXPECT_EQ(unsubscribe_url("https://bank.example/v1/unsubscribe", "a.b"),
            "https://bank.example/v1/unsubscribe?token=a.b");
  EXPECT_EQ(unsubscribe_url("https://bank.example/u?lang=en", "a.b"), "https://bank.example/u?lang=en&token=a.b");
}

TEST(Base64Url, RoundTripsArbitraryBytes) {
  const std::string bytes("\x00\xff\x10 hello \xe2\x82\xac", 13);
  std::string back;
  ASSERT_TRUE(base64url_decode(base64url_encode(bytes), back));
  EXPECT_EQ(back, bytes);
  EXPECT_EQ(base64_encode("hello"), "aGVsbG8=");
  EXPECT_FALSE(base64url_decode("a", back));
}

}  // namespace
}  // namespace headroom::nudges
