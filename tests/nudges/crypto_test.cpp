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
  // Test case 6: a key longer than the block size is hashed first.
  EXPECT_EQ(to_hex(hmac_sha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
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
